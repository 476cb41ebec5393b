"""Hostile input against the DAV server: XXE and billion-laughs bodies, a 50 MB PUT over
the 10 MB body limit, an RRULE that would expand to millions of instances, malformed
iCalendar and vCard. Each gets a clear 4xx, and /healthz stays ok."""
import socket
import unittest

from davtest import USER, DavCase

CAL = f"/dav/calendars/{USER}/calendar/"
BOOK = f"/dav/addressbooks/{USER}/contacts/"

XXE = """<?xml version="1.0"?>
<!DOCTYPE D:propfind [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<D:propfind xmlns:D="DAV:"><D:prop><D:displayname>&xxe;</D:displayname></D:prop></D:propfind>"""

LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR">
<C:prop-filter name="SUMMARY"><C:text-match>&lol9;</C:text-match></C:prop-filter>
</C:comp-filter></C:filter></C:calendar-query>"""

# Every second since 2026; the query asks for the instances of a whole year.
SECONDLY = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//taube test//EN
BEGIN:VEVENT
UID:secondly@example.org
DTSTAMP:20260101T000000Z
DTSTART:20260101T000000Z
DTEND:20260101T000001Z
RRULE:FREQ=SECONDLY
SUMMARY:every second
END:VEVENT
END:VCALENDAR
"""

EXPAND_YEAR = """<?xml version="1.0"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><C:calendar-data><C:expand start="20260101T000000Z" end="20270101T000000Z"/></C:calendar-data></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
<C:time-range start="20260101T000000Z" end="20270101T000000Z"/></C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""

RANGE_LATE = """<?xml version="1.0"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
<D:prop><D:getetag/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
<C:time-range start="20261201T000000Z" end="20261202T000000Z"/></C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""


class HostileTest(DavCase):
    def test_xml_entities_refused(self):
        for path, method, body in (("/dav/", "PROPFIND", XXE), (CAL, "REPORT", LAUGHS)):
            status, _, data = self.request(method, path, body, {"Content-Type": "application/xml", "Depth": "0"})
            self.assertEqual(status, 400, data)
            self.assertNotIn(b"root:", data)
            self.assertTrue(self.healthy())

    def test_body_over_limit(self):
        # 50 MB announced against the 10 MB default: refused from the header, before the body.
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.sendall((f"PUT {CAL}big.ics HTTP/1.1\r\nHost: x\r\nContent-Type: text/calendar\r\n"
                      f"Content-Length: {50 << 20}\r\n\r\n").encode())
        chunk = b"X" * (1 << 20)
        try:
            for _ in range(50):
                sock.sendall(chunk)
        except OSError:
            pass  # the server closed after answering
        reply = b""
        try:
            while not reply.endswith(b"\n") or b"\r\n\r\n" not in reply:
                data = sock.recv(65536)
                if not data:
                    break
                reply += data
        except OSError:
            pass
        sock.close()
        self.assertTrue(reply.startswith(b"HTTP/1.1 413"), reply[:200])
        # A calendar object above max-resource-size (1 MiB) but under the body limit.
        big = SECONDLY.replace("SUMMARY:every second", "DESCRIPTION:" + "x" * (2 << 20))
        status, _, data = self.request("PUT", CAL + "big.ics", big, {"Content-Type": "text/calendar"})
        self.assertEqual(status, 413, data)
        self.assertTrue(self.healthy())

    def test_rrule_with_millions_of_instances(self):
        status, _, data = self.request("PUT", CAL + "secondly.ics", SECONDLY, {"Content-Type": "text/calendar"})
        self.assertEqual(status, 201, data)
        status, _, data = self.request("REPORT", CAL, EXPAND_YEAR, {"Content-Type": "application/xml", "Depth": "1"})
        self.assertEqual(status, 403, data)
        self.assertIn(b"max-instances", data)
        # Eleven months of seconds before the range: more iterator steps than allowed.
        status, _, data = self.request("REPORT", CAL, RANGE_LATE, {"Content-Type": "application/xml", "Depth": "1"})
        self.assertEqual(status, 403, data)
        self.assertTrue(self.healthy())

    def test_malformed_objects(self):
        bad_calendars = [
            "not a calendar at all",
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART:garbage\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\n"
            "DTSTART:20260101T000000Z\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:b\r\nDTSTAMP:20260101T000000Z\r\n"
            "DTSTART:20260101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",  # two UIDs
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a\r\nDTSTAMP:20260101T000000Z\r\n"
            "DTSTART;TZID=Nowhere/City:20260101T090000\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",  # no VTIMEZONE
        ]
        for text in bad_calendars:
            status, _, data = self.request("PUT", CAL + "bad.ics", text, {"Content-Type": "text/calendar"})
            self.assertEqual(status, 403, (text[:60], data))
            self.assertIn(b"valid-calendar", data)
        # Too many components: refused before anything is expanded or stored.
        status, _, data = self.request("PUT", CAL + "bad.ics", "BEGIN:VCALENDAR\r\n" + "BEGIN:VEVENT\r\n" * 5000,
                                       {"Content-Type": "text/calendar"})
        self.assertIn(status, (403, 413), data)
        status, _, _ = self.request("PUT", CAL + "bad.ics", "\xff\xfe binary", {"Content-Type": "application/octet-stream"})
        self.assertEqual(status, 403)
        bad_cards = [
            "BEGIN:VCARD\r\nFN:x\r\nEND:VCARD\r\n",  # no VERSION
            "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:x\r\nEND:VCARD\r\n",
            "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:x\r\n",  # no END
            "garbage",
        ]
        for text in bad_cards:
            status, _, data = self.request("PUT", BOOK + "bad.vcf", text, {"Content-Type": "text/vcard"})
            self.assertEqual(status, 403, (text[:40], data))
            self.assertIn(b"valid-address-data", data)
        # Malformed XML, unknown REPORT, path traversal.
        status, _, _ = self.request("PROPFIND", CAL, "<D:propfind xmlns:D='DAV:'><D:prop>", {"Depth": "0"})
        self.assertEqual(status, 400)
        status, _, data = self.request("REPORT", CAL, "<x:unknown xmlns:x='urn:x'/>", {"Depth": "0"})
        self.assertEqual(status, 403)
        status, _, _ = self.request("GET", f"/dav/calendars/{USER}/calendar/%2e%2e/x")
        self.assertEqual(status, 404)
        self.assertTrue(self.healthy())


if __name__ == "__main__":
    unittest.main()
