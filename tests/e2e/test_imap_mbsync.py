"""A real sync client round trip: mbsync (isync) syncs 1,000 messages in three
folders with flags down to a local Maildir, the test changes flags and moves
messages locally, syncs back, and the server must then match the Maildir; a
second sync must transfer nothing."""
import email
import imaplib
import os
import re
import shutil
import subprocess
import unittest

from taubetest import TaubeCase

USER = "a@example.org"
PASSWORD = "secret-pw"
MBSYNC = shutil.which("mbsync")
FOLDERS = {"INBOX": 900, "Work": 60, "Work/Reports": 40}


def message(folder, i):
    return (f"From: sender{i % 7}@example.net\r\nTo: {USER}\r\nSubject: {folder} message {i}\r\n"
            f"Message-ID: <{folder.replace('/', '.')}.{i}@test.example>\r\n"
            f"Date: Wed, 25 Nov 2026 10:00:00 +0000\r\n\r\nBody of {folder} message {i}.\r\n").encode()


def initial_flags(i):
    flags = []
    if i % 3 == 0:
        flags.append("\\Seen")
    if i % 10 == 0:
        flags.append("\\Flagged")
    if i % 25 == 0:
        flags.append("\\Answered")
    return flags


MAILDIR_FLAGS = {"D": "\\Draft", "F": "\\Flagged", "R": "\\Answered", "S": "\\Seen", "T": "\\Deleted"}


@unittest.skipUnless(MBSYNC, "mbsync (isync) is not installed")
class TestMbsyncRoundTrip(TaubeCase):
    def setUp(self):
        super().setUp()
        self.taube("domain", "add", "example.org")
        self.taube("user", "add", USER, stdin=PASSWORD + "\n")
        for attempt in range(3):
            try:
                self.start_server()
                break
            except AssertionError as e:
                if "Address already in use" not in str(e) or attempt == 2:
                    raise
        self.maildir = os.path.join(self.data, "maildir")
        os.makedirs(self.maildir)
        self.config = os.path.join(self.data, "mbsyncrc")
        with open(self.config, "w") as f:
            f.write(f"""IMAPAccount taube
Host 127.0.0.1
Port {self.ports["imap"]}
User {USER}
Pass {PASSWORD}
SSLType None
AuthMechs PLAIN

IMAPStore remote
Account taube

MaildirStore local
Path {self.maildir}/
Inbox {self.maildir}/INBOX
SubFolders Verbatim

Channel taube
Far :remote:
Near :local:
Patterns INBOX Work*
Create Both
Expunge Both
SyncState *
Sync All
""")

    def imap(self):
        c = imaplib.IMAP4("127.0.0.1", self.ports["imap"], timeout=30)
        c.login(USER, PASSWORD)
        return c

    def mbsync(self, *extra):
        proc = subprocess.run([MBSYNC, "-c", self.config, "-a", *extra], capture_output=True, text=True, timeout=600,
                              env=dict(os.environ, HOME=self.data))
        self.assertEqual(proc.returncode, 0, f"mbsync failed:\n{proc.stdout}\n{proc.stderr}")
        return proc.stdout + proc.stderr

    def server_state(self):
        """{folder: {message-id: frozenset(flags)}} read over IMAP."""
        c = self.imap()
        state = {}
        for folder in FOLDERS:
            typ, data = c.select(folder, readonly=True)
            self.assertEqual(typ, "OK", data)
            count = int(data[0])
            state[folder] = {}
            if count == 0:
                continue
            typ, data = c.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
            for item in data:
                if not isinstance(item, tuple):
                    continue
                flags = re.search(rb"FLAGS \(([^)]*)\)", item[0]).group(1).decode().split()
                mid = email.message_from_bytes(item[1])["Message-ID"].strip()
                state[folder][mid] = frozenset(f for f in flags if f.startswith("\\"))
        c.logout()
        return state

    def server_status(self):
        c = self.imap()
        status = {f: c.status(f, "(MESSAGES UIDNEXT HIGHESTMODSEQ)")[1][0] for f in FOLDERS}
        c.logout()
        return status

    def maildir_files(self, folder):
        out = []
        base = os.path.join(self.maildir, folder)
        for sub in ("cur", "new"):
            d = os.path.join(base, sub)
            if os.path.isdir(d):
                out += [os.path.join(d, n) for n in sorted(os.listdir(d))]
        return out

    def local_state(self):
        state = {}
        for folder in FOLDERS:
            state[folder] = {}
            for path in self.maildir_files(folder):
                with open(path, "rb") as f:
                    mid = email.message_from_binary_file(f)["Message-ID"].strip()
                letters = path.rsplit(":2,", 1)[1] if ":2," in path else ""
                state[folder][mid] = frozenset(MAILDIR_FLAGS[c] for c in letters if c in MAILDIR_FLAGS)
        return state

    @staticmethod
    def set_maildir_flags(path, add="", remove=""):
        head, letters = (path.rsplit(":2,", 1) + [""])[:2] if ":2," in path else (path, "")
        letters = "".join(sorted((set(letters) | set(add)) - set(remove)))
        new = f"{head}:2,{letters}"
        if "/new/" in new:  # a message with flags belongs in cur/
            new = new.replace("/new/", "/cur/")
        os.rename(path, new)
        return new

    def test_round_trip_of_1000_messages_with_folders_and_flags(self):
        c = self.imap()
        c.create("Work/Reports")
        for folder, count in FOLDERS.items():
            for i in range(count):
                flags = initial_flags(i)
                typ, data = c.append(folder, "(" + " ".join(flags) + ")" if flags else None, None, message(folder, i))
                self.assertEqual(typ, "OK", data)
        c.logout()
        expected = self.server_state()
        self.assertEqual(sum(len(v) for v in expected.values()), 1000)

        # 1. Down: the Maildir mirrors the server, flags included.
        out = self.mbsync()
        self.assertEqual(self.local_state(), expected, out)

        # 2. Local changes: flags, a deletion, and moves between folders.
        inbox = self.maildir_files("INBOX")
        for path in inbox[0:10]:
            self.set_maildir_flags(path, add="S")
        for path in inbox[10:15]:
            self.set_maildir_flags(path, add="F", remove="S")
        for path in inbox[15:18]:
            self.set_maildir_flags(path, add="T")  # deleted: expunged on both sides
        inbox = self.maildir_files("INBOX")
        moved = []
        for path in inbox[100:120]:
            target = os.path.join(self.maildir, "Work", "cur", os.path.basename(path).split(",U=")[0] + ":2,S")
            os.rename(path, target)
            moved.append(target)
        wanted = self.local_state()
        for folder in wanted:
            wanted[folder] = {m: f for m, f in wanted[folder].items() if "\\Deleted" not in f}

        # 3. Up: the server now matches the Maildir.
        out = self.mbsync()
        server = self.server_state()
        self.assertEqual(len(server["INBOX"]), 900 - 3 - 20, out)
        self.assertEqual(len(server["Work"]), 60 + 20, out)
        self.assertEqual(server, wanted, out)
        self.assertEqual(self.local_state(), server)

        # 4. A second sync transfers nothing and changes nothing: with the protocol
        # trace (-Dn) we see every command mbsync sent.
        before_status = self.server_status()
        before_files = {f: self.maildir_files(f) for f in FOLDERS}
        out = self.mbsync("-Dn")
        sent = [line for line in out.splitlines() if line.startswith(">>> ")]
        self.assertTrue(any(" SELECT " in line for line in sent), out[-2000:])
        for line in sent:
            self.assertNotRegex(line, r" (APPEND|STORE|EXPUNGE|MOVE|COPY) |BODY\.PEEK\[\]|RFC822[^.]", line)
        self.assertEqual(self.server_status(), before_status)
        self.assertEqual({f: self.maildir_files(f) for f in FOLDERS}, before_files)
        self.assertEqual(self.server_state(), server)
        self.assertEqual(self.local_state(), server)


if __name__ == "__main__":
    unittest.main()
