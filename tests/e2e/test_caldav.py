"""CalDAV and CardDAV end to end: python3-caldav (discovery from the server root,
MKCALENDAR, PUT, time-range search, multiget, delete) and raw CardDAV requests against
the real `taube serve`."""
import base64
import datetime
import http.client
import ssl
import unittest
import urllib.parse

import caldav
import icalendar

from davtest import NS, PASSWORD, USER, DavCase, responses

UTC = datetime.timezone.utc

VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""

SINGLE = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//taube test//EN
BEGIN:VEVENT
UID:single-1@example.org
DTSTAMP:20261101T000000Z
DTSTART:20261201T100000Z
DTEND:20261201T110000Z
SUMMARY:Dentist
END:VEVENT
END:VCALENDAR
"""

# Weekly on Wednesdays 09:00 Berlin (08:00Z in winter), ten times from 2 December 2026;
# 16 December excluded, 23 December moved to 15:00 Berlin (14:00Z).
WEEKLY = ("""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//taube test//EN
""" + VTIMEZONE + """BEGIN:VEVENT
UID:weekly-1@example.org
DTSTAMP:20261101T000000Z
DTSTART;TZID=Europe/Berlin:20261202T090000
DTEND;TZID=Europe/Berlin:20261202T100000
RRULE:FREQ=WEEKLY;COUNT=10
EXDATE;TZID=Europe/Berlin:20261216T090000
SUMMARY:Team meeting
END:VEVENT
BEGIN:VEVENT
UID:weekly-1@example.org
DTSTAMP:20261101T000000Z
RECURRENCE-ID;TZID=Europe/Berlin:20261223T090000
DTSTART;TZID=Europe/Berlin:20261223T150000
DTEND;TZID=Europe/Berlin:20261223T160000
SUMMARY:Team meeting (moved)
END:VEVENT
END:VCALENDAR
""")


def utc(*args):
    return datetime.datetime(*args, tzinfo=UTC)


def query_body(start, end, expand=False):
    exp = f'<C:expand start="{start}" end="{end}"/>' if expand else ""
    return f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data>{exp}</C:calendar-data></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start}" end="{end}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""


class CalDavTest(DavCase):
    def client(self):
        return caldav.DAVClient(url=self.base + "/", username=USER, password=PASSWORD)

    def uids_in(self, calendar, start, end):
        found = calendar.date_search(start=start, end=end, expand=False)
        return sorted(str(icalendar.Calendar.from_ical(e.data).walk("VEVENT")[0]["UID"]) for e in found)

    def test_discovery_and_events(self):
        client = self.client()
        principal = client.principal()  # PROPFIND current-user-principal on "/"
        self.assertIn("/dav/principals/", str(principal.url))
        names = [str(c.url).rstrip("/").rsplit("/", 1)[-1] for c in principal.calendars()]
        self.assertIn("calendar", names)  # created with the account
        self.assertNotIn("contacts", names)

        cal = principal.make_calendar(name="Work", cal_id="work")
        self.assertEqual(cal.get_display_name(), "Work")
        self.assertIn("work", [str(c.url).rstrip("/").rsplit("/", 1)[-1] for c in principal.calendars()])

        single = cal.save_event(SINGLE)
        weekly = cal.save_event(WEEKLY)
        self.assertEqual(len(cal.events()), 2)

        # Time ranges decide on instances: the EXDATE, the moved override, COUNT.
        self.assertEqual(self.uids_in(cal, utc(2026, 12, 1), utc(2027, 1, 1)),
                         ["single-1@example.org", "weekly-1@example.org"])
        self.assertEqual(self.uids_in(cal, utc(2026, 12, 16), utc(2026, 12, 17)), [])  # excluded
        self.assertEqual(self.uids_in(cal, utc(2026, 12, 23, 7, 30), utc(2026, 12, 23, 8, 30)), [])
        self.assertEqual(self.uids_in(cal, utc(2026, 12, 23, 13, 30), utc(2026, 12, 23, 14, 30)),
                         ["weekly-1@example.org"])
        self.assertEqual(self.uids_in(cal, utc(2027, 2, 3), utc(2027, 2, 4)), ["weekly-1@example.org"])
        self.assertEqual(self.uids_in(cal, utc(2027, 2, 5), utc(2027, 6, 1)), [])  # after COUNT

        # Server-side expansion (RFC 4791 9.6.5): one VEVENT per instance, in UTC.
        path = urllib.parse.urlparse(str(cal.url)).path
        status, root, raw = self.xml("REPORT", path, query_body("20261201T000000Z", "20270101T000000Z", True), 1)
        self.assertEqual(status, 207, raw)
        starts = []
        for href, entry in responses(root).items():
            data = entry["props"]["{urn:ietf:params:xml:ns:caldav}calendar-data"].text
            self.assertNotIn("RRULE", data)
            for ev in icalendar.Calendar.from_ical(data).walk("VEVENT"):
                if str(ev["UID"]) == "weekly-1@example.org":
                    starts.append(ev["DTSTART"].dt.astimezone(UTC))
        self.assertEqual(sorted(starts), [utc(2026, 12, 2, 8), utc(2026, 12, 9, 8), utc(2026, 12, 23, 14),
                                          utc(2026, 12, 30, 8)])

        # Multiget of both events and one missing href.
        urls = [single.url, weekly.url, caldav.lib.url.URL.objectify(str(cal.url) + "missing.ics")]
        body = ('<?xml version="1.0"?><C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
                "<D:prop><D:getetag/><C:calendar-data/></D:prop>" +
                "".join(f"<D:href>{urllib.parse.urlparse(str(u)).path}</D:href>" for u in urls) +
                "</C:calendar-multiget>")
        status, root, raw = self.xml("REPORT", path, body, 1)
        self.assertEqual(status, 207, raw)
        got = responses(root)
        self.assertEqual(len(got), 3)
        missing = [h for h, e in got.items() if e["status"] == 404]
        self.assertEqual(len(missing), 1)
        datas = [e["props"]["{urn:ietf:params:xml:ns:caldav}calendar-data"].text for e in got.values() if e["props"]]
        self.assertTrue(any("Team meeting (moved)" in d for d in datas))
        events = cal.calendar_multiget([single.url, weekly.url])
        self.assertEqual(len(events), 2)

        # Free/busy over December: four weekly instances and the dentist.
        fb = cal.freebusy_request(utc(2026, 12, 1), utc(2027, 1, 1))
        periods = [str(p) for p in icalendar.Calendar.from_ical(fb.data).walk("VFREEBUSY")[0].get("FREEBUSY")]
        self.assertEqual(len(periods), 5, periods)

        # ETags: a stale If-Match is refused, the current one accepted.
        status, headers, _ = self.request("GET", urllib.parse.urlparse(str(single.url)).path)
        self.assertEqual(status, 200)
        etag = headers["etag"]
        status, _, _ = self.request("PUT", urllib.parse.urlparse(str(single.url)).path,
                                    SINGLE.replace("Dentist", "Dentist 2"),
                                    {"Content-Type": "text/calendar", "If-Match": '"0000"'})
        self.assertEqual(status, 412)
        status, h2, _ = self.request("PUT", urllib.parse.urlparse(str(single.url)).path,
                                     SINGLE.replace("Dentist", "Dentist 2"),
                                     {"Content-Type": "text/calendar", "If-Match": etag})
        self.assertEqual(status, 204)
        self.assertNotEqual(h2["etag"], etag)
        status, _, _ = self.request("PUT", urllib.parse.urlparse(str(single.url)).path, SINGLE,
                                    {"Content-Type": "text/calendar", "If-None-Match": "*"})
        self.assertEqual(status, 412)

        # The same UID under another name: CALDAV:no-uid-conflict.
        status, _, body = self.request("PUT", path + "dup.ics", SINGLE, {"Content-Type": "text/calendar"})
        self.assertEqual(status, 403)
        self.assertIn(b"no-uid-conflict", body)

        weekly.delete()
        self.assertEqual(len(cal.events()), 1)
        self.assertEqual(self.uids_in(cal, utc(2026, 12, 1), utc(2027, 1, 1)), ["single-1@example.org"])
        cal.delete()
        self.assertNotIn("work", [str(c.url).rstrip("/").rsplit("/", 1)[-1] for c in principal.calendars()])
        self.assertTrue(self.healthy())

    def test_well_known_and_auth(self):
        status, headers, _ = self.request("PROPFIND", "/.well-known/caldav", auth=False)
        self.assertEqual(status, 301)
        self.assertEqual(headers["location"], "/dav/")
        status, headers, _ = self.request("PROPFIND", "/dav/", auth=False)
        self.assertEqual(status, 401)
        self.assertIn("Basic", headers["www-authenticate"])
        status, _, _ = self.request("PROPFIND", "/dav/", password="wrong")
        self.assertEqual(status, 401)
        status, headers, _ = self.request("OPTIONS", "/dav/calendars/", auth=False)
        self.assertEqual(status, 200)
        for word in ("1", "3", "calendar-access", "addressbook", "extended-mkcol"):
            self.assertIn(word, [w.strip() for w in headers["dav"].split(",")])
        # Over TLS (the https listener) Basic works the same way.
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", self.ports["https"], timeout=30, context=ctx)
        auth = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        conn.request("PROPFIND", "/", body='<D:propfind xmlns:D="DAV:"><D:prop><D:current-user-principal/>'
                     "</D:prop></D:propfind>", headers={"Authorization": "Basic " + auth, "Depth": "0"})
        resp = conn.getresponse()
        body = resp.read()
        conn.close()
        self.assertEqual(resp.status, 207, body)
        self.assertIn(f"/dav/principals/{USER}/".encode(), body)
        # Another user's home is not visible.
        self.taube("user", "add", "b@example.org", stdin="other-pw\n")
        status, _, _ = self.request("PROPFIND", "/dav/calendars/b@example.org/calendar/", headers={"Depth": "0"})
        self.assertEqual(status, 404)


VCARD3 = """BEGIN:VCARD
VERSION:3.0
UID:card-1@example.org
FN:Bob Builder
N:Builder;Bob;;;
EMAIL;TYPE=WORK:bob@example.net
TEL:+49 30 1234
END:VCARD
"""

VCARD4 = """BEGIN:VCARD
VERSION:4.0
UID:urn:uuid:card-2
FN:Carol Danvers
EMAIL:carol@example.com
END:VCARD
"""


class CardDavTest(DavCase):
    def test_contacts(self):
        # Discovery: principal -> addressbook-home-set -> collections.
        status, root, raw = self.xml("PROPFIND", "/", '<?xml version="1.0"?><D:propfind xmlns:D="DAV:">'
                                     "<D:prop><D:current-user-principal/></D:prop></D:propfind>", 0)
        self.assertEqual(status, 207, raw)
        principal = root.find(".//D:current-user-principal/D:href", NS).text
        status, root, raw = self.xml("PROPFIND", principal,
                                     '<?xml version="1.0"?><D:propfind xmlns:D="DAV:" '
                                     'xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop>'
                                     "<CR:addressbook-home-set/></D:prop></D:propfind>", 0)
        self.assertEqual(status, 207, raw)
        home = urllib.parse.unquote(root.find(".//CR:addressbook-home-set/D:href", NS).text)
        self.assertEqual(home, f"/dav/addressbooks/{USER}/")
        status, root, raw = self.xml("PROPFIND", home, '<?xml version="1.0"?><D:propfind xmlns:D="DAV:">'
                                     "<D:prop><D:resourcetype/><D:displayname/></D:prop></D:propfind>", 1)
        self.assertEqual(status, 207, raw)
        books = [urllib.parse.unquote(h) for h, e in responses(root).items()
                 if "{DAV:}resourcetype" in e["props"] and
                 e["props"]["{DAV:}resourcetype"].find("CR:addressbook", NS) is not None]
        self.assertEqual(books, [f"/dav/addressbooks/{USER}/contacts/"])

        # Extended MKCOL (RFC 5689) makes a second address book.
        book = home + "friends/"
        status, _, raw = self.request("MKCOL", book,
                                      '<?xml version="1.0"?><D:mkcol xmlns:D="DAV:" '
                                      'xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>'
                                      "<D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>"
                                      "<D:displayname>Friends</D:displayname></D:prop></D:set></D:mkcol>",
                                      {"Content-Type": "application/xml"})
        self.assertEqual(status, 201, raw)

        status, root, _ = self.xml("REPORT", book, '<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:">'
                                   "<D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop>"
                                   "</D:sync-collection>")
        self.assertEqual(status, 207)
        token0 = root.find("D:sync-token", NS).text

        for name, card in (("bob.vcf", VCARD3), ("carol.vcf", VCARD4)):
            status, headers, raw = self.request("PUT", book + name, card, {"Content-Type": "text/vcard",
                                                                          "If-None-Match": "*"})
            self.assertEqual(status, 201, raw)
            self.assertTrue(headers["etag"].startswith('"'))

        query = ('<?xml version="1.0"?><CR:addressbook-query xmlns:D="DAV:" '
                 'xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><CR:address-data/></D:prop>'
                 '<CR:filter><CR:prop-filter name="EMAIL"><CR:text-match match-type="ends-with">'
                 "example.net</CR:text-match></CR:prop-filter></CR:filter></CR:addressbook-query>")
        status, root, raw = self.xml("REPORT", book, query, 1)
        self.assertEqual(status, 207, raw)
        got = responses(root)
        self.assertEqual([urllib.parse.unquote(h) for h in got], [book + "bob.vcf"])
        data = list(got.values())[0]["props"]["{urn:ietf:params:xml:ns:carddav}address-data"].text
        self.assertIn("FN:Bob Builder", data)

        multiget = ('<?xml version="1.0"?><CR:addressbook-multiget xmlns:D="DAV:" '
                    'xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><CR:address-data/></D:prop>'
                    f"<D:href>{book}carol.vcf</D:href><D:href>{book}nobody.vcf</D:href>"
                    "</CR:addressbook-multiget>")
        status, root, raw = self.xml("REPORT", book, multiget, 1)
        self.assertEqual(status, 207, raw)
        got = {urllib.parse.unquote(h): e for h, e in responses(root).items()}
        self.assertIn("Carol Danvers", got[book + "carol.vcf"]["props"]["{urn:ietf:params:xml:ns:carddav}address-data"].text)
        self.assertEqual(got[book + "nobody.vcf"]["status"], 404)

        # sync-collection: both new cards since the first token, then the deletion.
        sync = ('<?xml version="1.0"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>{}</D:sync-token>'
                "<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>")
        status, root, _ = self.xml("REPORT", book, sync.format(token0))
        self.assertEqual(status, 207)
        self.assertEqual(sorted(urllib.parse.unquote(h) for h in responses(root)),
                         [book + "bob.vcf", book + "carol.vcf"])
        token1 = root.find("D:sync-token", NS).text
        status, _, _ = self.request("DELETE", book + "bob.vcf")
        self.assertEqual(status, 204)
        status, root, _ = self.xml("REPORT", book, sync.format(token1))
        got = responses(root)
        self.assertEqual(list(got.values())[0]["status"], 404)
        self.assertEqual([urllib.parse.unquote(h) for h in got], [book + "bob.vcf"])
        status, _, body = self.request("REPORT", book, sync.format("data:,bogus"),
                                       {"Content-Type": "application/xml"})
        self.assertEqual(status, 403)
        self.assertIn(b"valid-sync-token", body)

        # Sync tokens survive a restart: the current one still says "nothing new".
        status, root, _ = self.xml("REPORT", book, sync.format(""))
        token2 = root.find("D:sync-token", NS).text
        self.stop_server(self.server)
        self.server = self.start_server()
        self.port = self.ports["http"]
        status, root, raw = self.xml("REPORT", book, sync.format(token2))
        self.assertEqual(status, 207, raw)
        self.assertEqual(responses(root), {})
        self.assertEqual(root.find("D:sync-token", NS).text, token2)

        # A vCard without FN is refused with CARDDAV:valid-address-data.
        status, _, body = self.request("PUT", book + "bad.vcf", "BEGIN:VCARD\nVERSION:3.0\nEND:VCARD\n",
                                       {"Content-Type": "text/vcard"})
        self.assertEqual(status, 403)
        self.assertIn(b"valid-address-data", body)
        self.assertTrue(self.healthy())


if __name__ == "__main__":
    unittest.main()
