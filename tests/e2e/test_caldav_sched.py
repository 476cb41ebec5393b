"""CalDAV scheduling (RFC 6638) end to end against the real `taube serve`: an organizer
invites a local user and an external address; the local attendee's schedule inbox and
calendar get the invitation, the attendee accepts and the organizer's copy shows it; the
external attendee's iMIP mail (RFC 6047) leaves through the outbound queue to an SMTP
sink; a cancel reaches the attendee; a room books when free and declines when busy;
free/busy over the outbox."""
import base64
import email
import email.policy
import http.client
import unittest
import xml.etree.ElementTree as ET

from dnstest import DnsServer
from outboundtest import FAST, Node, Peer

NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav"}


def event(uid, start, end, attendees, organizer="alice@a.test", summary="Planning", sequence=0):
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//taube test//EN", "BEGIN:VEVENT",
             f"UID:{uid}", "DTSTAMP:20261101T000000Z", f"DTSTART:{start}", f"DTEND:{end}",
             f"SEQUENCE:{sequence}", f"SUMMARY:{summary}", f"ORGANIZER;CN=Alice:mailto:{organizer}",
             f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{organizer}"]
    for a, partstat in attendees:
        lines.append(f"ATTENDEE;PARTSTAT={partstat};RSVP=TRUE:mailto:{a}")
    lines += ["END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


def unfold(text):
    return text.replace("\r\n ", "").replace("\n ", "")


class CaldavSchedulingTest(unittest.TestCase):
    def setUp(self):
        self.dns = DnsServer({"mx.a.test": ["A 127.0.0.1"]}, zones=["b.test"]).start()
        self.peer = Peer()
        self.node = Node("a.test", users=("alice", "bob", "carol", "room1"))
        self.node.start(FAST + f'[outbound.routes]\n"b.test" = "{self.peer.address}"\n'
                        f'[dns]\nresolver = "{self.dns.address}"\n'
                        '[http]\nrooms = ["Room1@a.test"]\n')

    def tearDown(self):
        try:
            self.node.stop_cleanly(self)
        finally:
            self.node.close()
            self.peer.close()
            self.dns.stop()

    # --- a small DAV client -------------------------------------------------------

    def request(self, user, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.node.ports["http"], timeout=60)
        h = dict(headers or {})
        h["Authorization"] = "Basic " + base64.b64encode(f"{user}@a.test:{user}-pw".encode()).decode()
        conn.request(method, path, body=body.encode() if isinstance(body, str) else body, headers=h)
        r = conn.getresponse()
        data = r.read()
        conn.close()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def put(self, user, name, text, expect=(201, 204)):
        path = f"/dav/calendars/{user}@a.test/calendar/{name}"
        status, headers, body = self.request(user, "PUT", path, text, {"Content-Type": "text/calendar"})
        self.assertIn(status, expect, body)
        return headers

    def get(self, user, collection, name):
        status, _, body = self.request(user, "GET", f"/dav/calendars/{user}@a.test/{collection}/{name}")
        self.assertEqual(status, 200, body)
        return unfold(body.decode())

    def members(self, user, collection):
        """{name: text} of every object in the collection."""
        status, _, body = self.request(user, "PROPFIND", f"/dav/calendars/{user}@a.test/{collection}/",
                                       '<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>'
                                       '<D:getetag/></D:prop></D:propfind>', {"Depth": "1"})
        self.assertEqual(status, 207, body)
        out = {}
        for r in ET.fromstring(body).findall("D:response", NS):
            href = r.find("D:href", NS).text
            name = href.rstrip("/").rsplit("/", 1)[1]
            if href.endswith("/"):
                continue
            out[name] = self.get(user, collection, name)
        return out

    def copy_of(self, user, uid):
        found = [(n, t) for n, t in self.members(user, "calendar").items() if f"UID:{uid}" in t]
        self.assertEqual(len(found), 1, f"{user} has {len(found)} copies of {uid}")
        return found[0]

    def wait(self, cond, timeout=60, what="condition"):
        self.node.wait_until(self, cond, timeout, what)

    # --- tests ----------------------------------------------------------------------

    def test_invite_local_and_external_accept_and_cancel(self):
        uid = "meeting-1@a.test"
        text = event(uid, "20261201T100000Z", "20261201T110000Z",
                     [("bob@a.test", "NEEDS-ACTION"), ("ext@b.test", "NEEDS-ACTION")])
        headers = self.put("alice", "meeting.ics", text)
        # The stored copy changed (SCHEDULE-STATUS), so no ETag (RFC 4791 5.3.4).
        self.assertNotIn("etag", headers)
        mine = self.get("alice", "calendar", "meeting.ics")
        self.assertIn("SCHEDULE-STATUS=1.2", mine)
        self.assertRegex(mine, r"ATTENDEE;[^\r\n]*SCHEDULE-STATUS=1\.2[^\r\n]*:mailto:bob@a\.test")
        self.assertRegex(mine, r"ATTENDEE;[^\r\n]*SCHEDULE-STATUS=1\.1[^\r\n]*:mailto:ext@b\.test")

        # Bob: a REQUEST in the schedule inbox and the event in his calendar.
        inbox = self.members("bob", "inbox")
        self.assertEqual(len(inbox), 1)
        request = next(iter(inbox.values()))
        self.assertIn("METHOD:REQUEST", request)
        self.assertIn(f"UID:{uid}", request)
        name, copy = self.copy_of("bob", uid)
        self.assertNotIn("METHOD:", copy)
        self.assertRegex(copy, r"ATTENDEE;[^\r\n]*PARTSTAT=NEEDS-ACTION[^\r\n]*:mailto:bob@a\.test")

        # The external attendee: an iMIP mail through the outbound queue.
        self.wait(lambda: self.peer.delivered, what="the iMIP mail")
        sender, rcpts, data = self.peer.delivered[0]
        self.assertEqual(sender, "alice@a.test")
        self.assertEqual(rcpts, ["ext@b.test"])
        msg = email.message_from_bytes(data, policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        self.assertIn("alice@a.test", msg["From"])
        parts = {p.get_content_type(): p for p in msg.iter_parts()}
        self.assertIn("text/plain", parts)
        cal = parts["text/calendar"]
        self.assertEqual(cal.get_param("method"), "REQUEST")
        self.assertEqual(cal.get_content_charset(), "utf-8")
        body = unfold(cal.get_content())
        self.assertIn("METHOD:REQUEST", body)
        self.assertIn(f"UID:{uid}", body)
        self.assertNotIn("SCHEDULE-STATUS", body)

        # Bob accepts: Alice's copy shows it and her inbox holds the REPLY.
        accepted = copy.replace("PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:bob", "PARTSTAT=ACCEPTED:mailto:bob")
        if accepted == copy:
            accepted = copy.replace("RSVP=TRUE;PARTSTAT=NEEDS-ACTION:mailto:bob", "PARTSTAT=ACCEPTED:mailto:bob")
        self.assertNotEqual(accepted, copy)
        self.put("bob", name, accepted, expect=(204,))
        mine = self.get("alice", "calendar", "meeting.ics")
        self.assertRegex(mine, r"ATTENDEE;[^\r\n]*PARTSTAT=ACCEPTED[^\r\n]*:mailto:bob@a\.test")
        self.assertRegex(mine, r"ATTENDEE;[^\r\n]*SCHEDULE-STATUS=2\.0[^\r\n]*:mailto:bob@a\.test")
        self.assertRegex(mine, r"ATTENDEE;[^\r\n]*PARTSTAT=NEEDS-ACTION[^\r\n]*:mailto:ext@b\.test")
        replies = [t for t in self.members("alice", "inbox").values() if "METHOD:REPLY" in t]
        self.assertEqual(len(replies), 1)
        self.assertIn("mailto:bob@a.test", replies[0])

        # Carol cannot take over the meeting by reusing its UID as organizer.
        self.put("carol", "hijack.ics", event(uid, "20261201T120000Z", "20261201T130000Z",
                                              [("bob@a.test", "NEEDS-ACTION")], organizer="carol@a.test"))
        self.assertIn("SCHEDULE-STATUS=5.1", self.get("carol", "calendar", "hijack.ics"))
        self.assertIn("ORGANIZER;CN=Alice:mailto:alice@a.test", self.copy_of("bob", uid)[1])

        # Alice re-saves her copy unchanged: nobody is asked again.
        self.put("alice", "meeting.ics", mine, expect=(204,))
        self.assertEqual(len(self.members("bob", "inbox")), 1)

        # Alice cancels by deleting: Bob's inbox gets the CANCEL, his copy is cancelled,
        # and the external attendee gets a CANCEL mail.
        status, _, body = self.request("alice", "DELETE", "/dav/calendars/alice@a.test/calendar/meeting.ics")
        self.assertEqual(status, 204, body)
        cancels = [t for t in self.members("bob", "inbox").values() if "METHOD:CANCEL" in t]
        self.assertEqual(len(cancels), 1)
        self.assertIn("STATUS:CANCELLED", self.copy_of("bob", uid)[1])
        self.wait(lambda: len(self.peer.delivered) >= 2, what="the CANCEL mail")
        msg = email.message_from_bytes(self.peer.delivered[1][2], policy=email.policy.default)
        cal = [p for p in msg.iter_parts() if p.get_content_type() == "text/calendar"][0]
        self.assertEqual(cal.get_param("method"), "CANCEL")

    def test_room_books_when_free_and_declines_when_busy(self):
        first = event("book-1@a.test", "20261202T090000Z", "20261202T100000Z", [("room1@a.test", "NEEDS-ACTION")])
        self.put("alice", "book1.ics", first)
        mine = self.get("alice", "calendar", "book1.ics")
        self.assertRegex(mine, r"ATTENDEE;[^\r\n]*PARTSTAT=ACCEPTED[^\r\n]*:mailto:room1@a\.test")
        self.copy_of("room1", "book-1@a.test")  # booked in the room's calendar
        # Carol wants the room at an overlapping time: declined, not booked.
        clash = event("book-2@a.test", "20261202T093000Z", "20261202T103000Z", [("room1@a.test", "NEEDS-ACTION")],
                      organizer="carol@a.test")
        self.put("carol", "book2.ics", clash)
        theirs = self.get("carol", "calendar", "book2.ics")
        self.assertRegex(theirs, r"ATTENDEE;[^\r\n]*PARTSTAT=DECLINED[^\r\n]*:mailto:room1@a\.test")
        self.assertFalse([t for t in self.members("room1", "calendar").values() if "book-2@a.test" in t])
        replies = [t for t in self.members("carol", "inbox").values() if "METHOD:REPLY" in t]
        self.assertEqual(len(replies), 1)
        self.assertIn("PARTSTAT=DECLINED", replies[0])
        # Right after the first booking the room is free again.
        later = event("book-3@a.test", "20261202T100000Z", "20261202T110000Z", [("room1@a.test", "NEEDS-ACTION")],
                      organizer="carol@a.test")
        self.put("carol", "book3.ics", later)
        self.assertRegex(self.get("carol", "calendar", "book3.ics"),
                         r"ATTENDEE;[^\r\n]*PARTSTAT=ACCEPTED[^\r\n]*:mailto:room1@a\.test")

    def test_freebusy_over_the_outbox(self):
        self.put("bob", "busy.ics", "\r\n".join([
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//EN", "BEGIN:VEVENT", "UID:busy-1@a.test",
            "DTSTAMP:20261101T000000Z", "DTSTART:20261203T140000Z", "DTEND:20261203T150000Z",
            "SUMMARY:Busy", "END:VEVENT", "END:VCALENDAR", ""]))
        req = "\r\n".join([
            "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//t//EN", "METHOD:REQUEST", "BEGIN:VFREEBUSY",
            "UID:fb-1@a.test", "DTSTAMP:20261101T000000Z", "DTSTART:20261203T000000Z",
            "DTEND:20261204T000000Z", "ORGANIZER:mailto:alice@a.test", "ATTENDEE:mailto:bob@a.test",
            "ATTENDEE:mailto:nobody@b.test", "END:VFREEBUSY", "END:VCALENDAR", ""])
        status, _, body = self.request("alice", "POST", "/dav/calendars/alice@a.test/outbox/", req,
                                       {"Content-Type": "text/calendar; charset=utf-8"})
        self.assertEqual(status, 200, body)
        root = ET.fromstring(body)
        answers = {r.find("C:recipient/D:href", NS).text: r for r in root.findall("C:response", NS)}
        bob = answers["mailto:bob@a.test"]
        self.assertTrue(bob.find("C:request-status", NS).text.startswith("2.0"))
        data = unfold(bob.find("C:calendar-data", NS).text)
        self.assertIn("FREEBUSY;FBTYPE=BUSY:20261203T140000Z/20261203T150000Z", data)
        self.assertTrue(answers["mailto:nobody@b.test"].find("C:request-status", NS).text.startswith("3.7"))
        # Only the owner's outbox, only with a free/busy request.
        status, _, _ = self.request("bob", "POST", "/dav/calendars/alice@a.test/outbox/", req)
        self.assertIn(status, (403, 404))


if __name__ == "__main__":
    unittest.main()
