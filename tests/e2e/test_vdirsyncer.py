"""vdirsyncer (Debian package) syncs a calendar and an address book between the real
`taube serve` and local filesystem storage, both ways; a sync with nothing new changes
nothing on either side."""
import os
import subprocess
import unittest

from davtest import NS, PASSWORD, USER, DavCase

EVENT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//taube test//EN
BEGIN:VEVENT
UID:{uid}
DTSTAMP:20261101T000000Z
DTSTART:20261201T100000Z
DTEND:20261201T110000Z
SUMMARY:{summary}
END:VEVENT
END:VCALENDAR
"""

CARD = """BEGIN:VCARD
VERSION:3.0
UID:{uid}
FN:{fn}
END:VCARD
"""


class VdirsyncerTest(DavCase):
    def setUp(self):
        super().setUp()
        self.local = os.path.join(self.data, "vdir")
        for sub in ("cal", "card", "status"):
            os.makedirs(os.path.join(self.local, sub), exist_ok=True)
        self.config = os.path.join(self.local, "config")
        base = f"http://127.0.0.1:{self.port}/"
        with open(self.config, "w") as f:
            f.write(f"""[general]
status_path = "{self.local}/status/"

[pair cal]
a = "cal_local"
b = "cal_remote"
collections = ["from b"]
conflict_resolution = "b wins"

[storage cal_local]
type = "filesystem"
path = "{self.local}/cal/"
fileext = ".ics"

[storage cal_remote]
type = "caldav"
url = "{base}"
username = "{USER}"
password = "{PASSWORD}"

[pair card]
a = "card_local"
b = "card_remote"
collections = ["from b"]
conflict_resolution = "b wins"

[storage card_local]
type = "filesystem"
path = "{self.local}/card/"
fileext = ".vcf"

[storage card_remote]
type = "carddav"
url = "{base}"
username = "{USER}"
password = "{PASSWORD}"
""")

    def vdirsyncer(self, *args):
        proc = subprocess.run(["vdirsyncer", "-c", self.config, *args], input="y\n" * 20,
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(proc.returncode, 0, f"vdirsyncer {args}: {proc.stdout}\n{proc.stderr}")
        return proc.stdout + proc.stderr

    def snapshot(self):
        """Local files with their contents, and the server's ctags and etags."""
        files = {}
        for root, _, names in os.walk(self.local):
            if "status" in root:
                continue
            for n in names:
                with open(os.path.join(root, n)) as f:
                    files[os.path.relpath(os.path.join(root, n), self.local)] = f.read()
        server = {}
        for home in (f"/dav/calendars/{USER}/calendar/", f"/dav/addressbooks/{USER}/contacts/"):
            status, root, raw = self.xml("PROPFIND", home, '<?xml version="1.0"?><D:propfind xmlns:D="DAV:" '
                                         'xmlns:CS="http://calendarserver.org/ns/"><D:prop><D:getetag/>'
                                         "<CS:getctag/><D:sync-token/></D:prop></D:propfind>", 1)
            self.assertEqual(status, 207, raw)
            for r in root.findall("D:response", NS):
                server[r.find("D:href", NS).text] = "".join(
                    (e.text or "") for e in r.iter() if e.tag in ("{DAV:}getetag", "{http://calendarserver.org/ns/}getctag"))
        return files, server

    def test_two_way_sync(self):
        cal = f"/dav/calendars/{USER}/calendar/"
        book = f"/dav/addressbooks/{USER}/contacts/"
        for path, body, ctype in ((cal + "remote-ev.ics", EVENT.format(uid="remote-ev", summary="From server"), "text/calendar"),
                                  (book + "remote-card.vcf", CARD.format(uid="remote-card", fn="Server Person"), "text/vcard")):
            status, _, raw = self.request("PUT", path, body, {"Content-Type": ctype})
            self.assertEqual(status, 201, raw)

        self.vdirsyncer("discover")
        cal_dir = os.path.join(self.local, "cal", "calendar")
        card_dir = os.path.join(self.local, "card", "contacts")
        self.assertTrue(os.path.isdir(cal_dir), os.listdir(os.path.join(self.local, "cal")))
        with open(os.path.join(cal_dir, "local-ev.ics"), "w") as f:
            f.write(EVENT.format(uid="local-ev", summary="From laptop"))
        with open(os.path.join(card_dir, "local-card.vcf"), "w") as f:
            f.write(CARD.format(uid="local-card", fn="Laptop Person"))

        self.vdirsyncer("sync")  # first sync: both directions
        files, server = self.snapshot()
        local_text = "\n".join(files.values())
        self.assertIn("From server", local_text)
        self.assertIn("Server Person", local_text)
        server_hrefs = "\n".join(server)
        self.assertIn("local-ev", server_hrefs)
        self.assertIn("local-card", server_hrefs)

        out = self.vdirsyncer("sync")  # second sync: nothing to do
        self.assertEqual(self.snapshot(), (files, server), out)
        for word in ("Copying", "Updating", "Deleting"):
            self.assertNotIn(word, out)

        # Changes on both sides travel, then again a sync that changes nothing.
        def read(path):
            with open(path) as f:
                return f.read()
        local_file = [os.path.join(cal_dir, n) for n in os.listdir(cal_dir)
                      if "From laptop" in read(os.path.join(cal_dir, n))][0]
        with open(local_file, "w") as f:
            f.write(EVENT.format(uid="local-ev", summary="Edited on laptop"))
        status, _, raw = self.request("PUT", book + "remote-card.vcf", CARD.format(uid="remote-card", fn="Renamed Person"),
                                      {"Content-Type": "text/vcard"})
        self.assertEqual(status, 204, raw)
        self.vdirsyncer("sync")
        files, server = self.snapshot()
        self.assertIn("Renamed Person", "\n".join(files.values()))
        status, _, body = self.request("GET", [h for h in server if "local-ev" in h][0])
        self.assertIn(b"Edited on laptop", body)
        out = self.vdirsyncer("sync")
        self.assertEqual(self.snapshot(), (files, server), out)
        self.assertTrue(self.healthy())


if __name__ == "__main__":
    unittest.main()
