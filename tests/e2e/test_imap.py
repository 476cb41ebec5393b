"""End-to-end IMAP tests: the real `taube serve` driven by Python's imaplib (and a
raw socket where imaplib cannot say what we need)."""
import imaplib
import re
import socket
import ssl
import time
import unittest

from taubetest import TaubeCase

USER = "a@example.org"
PASSWORD = "secret-pw"


def message(subject, body="Hello there.\r\n", sender="b@example.org", extra=""):
    return (f"From: Bob <{sender}>\r\nTo: Alice <{USER}>\r\nSubject: {subject}\r\n"
            f"Date: Wed, 25 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{subject.replace(' ', '.')}@example.org>\r\n"
            f"{extra}\r\n{body}").encode()


class RawClient:
    """A line-oriented IMAP client for protocol details imaplib hides."""

    def __init__(self, port, tls=False):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self.sock = ctx.wrap_socket(self.sock)
        self.file = self.sock.makefile("rb")
        self.greeting = self.readline()

    def readline(self):
        line = self.file.readline()
        if not line:
            raise EOFError("connection closed")
        return line.decode("utf-8", "replace")

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def command(self, tag, text):
        """Sends one command; returns (untagged lines, tagged line)."""
        self.send(f"{tag} {text}\r\n")
        return self.until_tagged(tag)

    def until_tagged(self, tag):
        lines = []
        while True:
            line = self.readline()
            if line.startswith(tag + " "):
                return lines, line.rstrip("\r\n")
            lines.append(line.rstrip("\r\n"))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class ImapCase(TaubeCase):
    def start_server_retrying(self, attempts=3):
        """free_port() can race with other processes binding the same port: retry."""
        for attempt in range(attempts):
            try:
                return self.start_server()
            except AssertionError as e:
                if "Address already in use" not in str(e) or attempt == attempts - 1:
                    raise

    def setUp(self):
        super().setUp()
        self.taube("domain", "add", "example.org")
        self.taube("user", "add", USER, stdin=PASSWORD + "\n")
        self.start_server_retrying()
        self.port = self.ports["imap"]
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            try:
                c.logout()
            except Exception:
                pass
        super().tearDown()

    def connect(self):
        c = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        c.login(USER, PASSWORD)
        self.clients.append(c)
        return c

    def raw(self, login=True, tls=False, port=None):
        r = RawClient(port or self.port, tls=tls)
        self.addCleanup(r.close)
        if login:
            _, done = r.command("L", f'LOGIN {USER} "{PASSWORD}"')
            self.assertTrue(done.startswith("L OK"), done)
        return r

    def fill(self, c, n, mailbox="INBOX"):
        for i in range(n):
            typ, data = c.append(mailbox, None, None, message(f"message {i}", body=f"body number {i}\r\n"))
            self.assertEqual(typ, "OK", data)


class TestImapSession(ImapCase):
    def test_greeting_announces_capabilities_and_login_works(self):
        r = self.raw(login=False)
        self.assertRegex(r.greeting, r"^\* OK \[CAPABILITY IMAP4rev1 IMAP4rev2 .*AUTH=PLAIN.*\] ")
        self.assertIn("STARTTLS", r.greeting)
        untagged, done = r.command("a", "CAPABILITY")
        self.assertEqual(done, "a OK CAPABILITY completed")
        self.assertTrue(untagged[0].startswith("* CAPABILITY IMAP4rev1"))
        _, done = r.command("b", "SELECT INBOX")
        self.assertEqual(done, "b BAD Log in first")
        _, done = r.command("c", f'LOGIN {USER} "{PASSWORD}"')
        self.assertRegex(done, r"^c OK \[CAPABILITY .*UIDPLUS.*\] Logged in$")
        untagged, done = r.command("d", "NAMESPACE")
        self.assertEqual(untagged, ['* NAMESPACE (("" "/")) NIL NIL'])
        untagged, done = r.command("e", 'ID ("name" "test")')
        self.assertTrue(untagged[0].startswith('* ID ("name" "Taube"'), untagged)
        untagged, done = r.command("f", "ENABLE CONDSTORE UTF8=ACCEPT X-UNKNOWN")
        self.assertEqual(untagged, ["* ENABLED CONDSTORE UTF8=ACCEPT"])
        untagged, done = r.command("g", "LOGOUT")
        self.assertEqual(untagged, ["* BYE Logging out"])
        self.assertEqual(done, "g OK LOGOUT completed")

    def test_wrong_password_is_refused_and_session_continues(self):
        r = self.raw(login=False)
        _, done = r.command("a", f"LOGIN {USER} wrong")
        self.assertEqual(done, "a NO [AUTHENTICATIONFAILED] Authentication failed")
        _, done = r.command("b", "NOOP")
        self.assertEqual(done, "b OK NOOP completed")

    def test_authenticate_plain_with_and_without_initial_response(self):
        import base64
        token = base64.b64encode(f"\0{USER}\0{PASSWORD}".encode()).decode()
        r = self.raw(login=False)
        _, done = r.command("a", f"AUTHENTICATE PLAIN {token}")
        self.assertRegex(done, r"^a OK \[CAPABILITY .*\] Logged in$")
        r2 = self.raw(login=False)
        r2.send("b AUTHENTICATE PLAIN\r\n")
        self.assertEqual(r2.readline(), "+ \r\n")
        r2.send(token + "\r\n")
        _, done = r2.until_tagged("b")
        self.assertRegex(done, r"^b OK ")

    def test_append_then_fetch_body_is_byte_exact(self):
        c = self.connect()
        raw = (b"From: b@example.org\r\nTo: a@example.org\r\nSubject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
               b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
               b"Content-Transfer-Encoding: 8bit\r\n\r\nGr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln\r\n.\r\n..dots\r\n")
        typ, data = c.append("INBOX", r"(\Flagged $Work)", imaplib.Time2Internaldate(1700000000), raw)
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0].decode(), r"^\[APPENDUID \d+ 1\] APPEND completed$")
        c.select("INBOX")
        typ, data = c.fetch("1", "(BODY.PEEK[] FLAGS RFC822.SIZE INTERNALDATE)")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0][1], raw)
        head = data[0][0].decode() + data[1].decode()
        self.assertIn(f"RFC822.SIZE {len(raw)}", head)
        self.assertIn(r"FLAGS (\Flagged $Work)", head)
        self.assertIn('INTERNALDATE "14-Nov-2023 22:13:20 +0000"', head)
        typ, data = c.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)] BODY.PEEK[TEXT]<0.5> BINARY.PEEK[1] BINARY.SIZE[1])")
        parts = [p for p in data if isinstance(p, tuple)]
        self.assertEqual(parts[0][1], b"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n\r\n")
        self.assertIn(b"BODY[TEXT]<0> {5}", parts[1][0])
        self.assertEqual(parts[1][1], b"Gr\xc3\xbc\xc3")
        self.assertEqual(parts[2][1], b"Gr\xc3\xbc\xc3\x9fe aus K\xc3\xb6ln\r\n.\r\n..dots\r\n")

    def test_large_append_round_trips_byte_exact(self):
        import random
        rng = random.Random(7)
        lines = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789 ") for _ in range(76)) for _ in range(40000)]
        raw = b"From: b@example.org\r\nSubject: big\r\n\r\n" + "\r\n".join(lines).encode() + b"\r\n"
        self.assertGreater(len(raw), 3_000_000)
        c = self.connect()
        typ, data = c.append("INBOX", None, None, raw)
        self.assertEqual(typ, "OK", data)
        c.select("INBOX")
        typ, data = c.fetch("1", "(RFC822.SIZE BODY.PEEK[])")
        self.assertEqual(data[0][1], raw)
        self.assertIn(f"RFC822.SIZE {len(raw)}".encode(), data[0][0])
        typ, data = c.fetch("1", "(BODY.PEEK[TEXT]<1000000.20>)")
        self.assertEqual(data[0][1], raw[raw.index(b"\r\n\r\n") + 4 + 1000000:][:20])

    def test_fetch_body_sets_seen_unless_peek_or_examine(self):
        c = self.connect()
        self.fill(c, 2)
        c.select("INBOX", readonly=True)
        c.fetch("1", "(BODY[])")
        c.select("INBOX")
        typ, data = c.fetch("1", "(FLAGS)")
        self.assertEqual(data[0], b"1 (FLAGS ())")
        typ, data = c.fetch("2", "(BODY[])")
        self.assertIn(rb"FLAGS (\Seen)", data[0][0] + data[1])
        typ, data = c.fetch("1:2", "(FLAGS)")
        self.assertEqual(data, [b"1 (FLAGS ())", rb"2 (FLAGS (\Seen))"])

    def test_fetch_envelope_and_bodystructure_from_stored_metadata(self):
        c = self.connect()
        self.fill(c, 1)
        c.select("INBOX")
        typ, data = c.fetch("1", "(ENVELOPE BODYSTRUCTURE UID EMAILID PREVIEW)")
        text = data[0].decode()
        self.assertIn('ENVELOPE ("Wed, 25 Nov 2026 10:00:00 +0000" "message 0" (("Bob" NIL "b" "example.org"))', text)
        self.assertIn('BODYSTRUCTURE ("text" "plain"', text)
        self.assertIn("UID 1", text)
        self.assertRegex(text, r"EMAILID \(\S+\)")
        self.assertIn('PREVIEW "body number 0"', text)

    def test_list_create_rename_delete_subscribe(self):
        c = self.connect()
        self.assertEqual(c.create("Work/Projects")[0], "OK")
        with self.assertRaises(imaplib.IMAP4.error):  # BAD: not valid modified UTF-7
            c.create("Caf&Jjo")
        self.assertEqual(c.create("Caf&AOk-")[0], "OK")
        typ, data = c.list('""', "*")
        names = [d.decode() for d in data]
        self.assertIn(r'(\HasChildren) "/" Work', names)
        self.assertIn(r'(\HasNoChildren) "/" Work/Projects', names)
        self.assertIn(r'(\HasNoChildren) "/" Caf&AOk-', names)
        self.assertIn(r'(\HasNoChildren \Sent) "/" Sent', names)
        typ, data = c.list('""', "%")
        self.assertNotIn(r'(\HasNoChildren) "/" Work/Projects', [d.decode() for d in data])
        self.assertEqual(c.rename("Work", "Job")[0], "OK")
        typ, data = c.list("Job/", "*")
        self.assertEqual([d.decode() for d in data], [r'(\HasNoChildren) "/" Job/Projects'])
        self.assertEqual(c.subscribe("Job/Projects")[0], "OK")
        typ, data = c.lsub('""', "Job*")
        self.assertEqual([d.decode() for d in data], ['() "/" Job/Projects'])
        typ, data = c._simple_command("LIST", "(SUBSCRIBED)", '""', '"*"', "RETURN", "(STATUS (MESSAGES))")
        typ, data = c._untagged_response(typ, data, "LIST")
        self.assertIn(r'(\HasNoChildren \Subscribed) "/" Job/Projects', [d.decode() for d in data])
        self.assertEqual(c.unsubscribe("Job/Projects")[0], "OK")
        self.assertEqual(c.delete("Job/Projects")[0], "OK")
        self.assertEqual(c.delete("INBOX")[0], "NO")
        self.assertEqual(c.delete("Nope")[0], "NO")
        self.assertEqual(c.create("INBOX")[0], "NO")

    def test_list_extended_special_use_and_status_return(self):
        r = self.raw()
        untagged, done = r.command("a", 'LIST (SPECIAL-USE) "" "*" RETURN (STATUS (MESSAGES UNSEEN))')
        self.assertEqual(done, "a OK LIST completed")
        self.assertIn(r'* LIST (\HasNoChildren \Trash) "/" Trash', untagged)
        self.assertIn("* STATUS Trash (MESSAGES 0 UNSEEN 0)", untagged)
        self.assertFalse(any('"/" INBOX' in u for u in untagged))
        untagged, done = r.command("b", 'LIST "" ""')
        self.assertEqual(untagged, [r'* LIST (\Noselect) "/" ""'])
        _, done = r.command("c", "CREATE Important (USE (\\Flagged))")
        self.assertEqual(done, "c NO [USEATTR] Unsupported special-use attribute")

    def test_status_items(self):
        c = self.connect()
        self.fill(c, 3)
        c.select("INBOX")
        c.store("1", "+FLAGS", r"(\Seen)")
        c.store("2", "+FLAGS", r"(\Deleted)")
        typ, data = c.status("INBOX", "(MESSAGES UIDNEXT UNSEEN DELETED SIZE RECENT HIGHESTMODSEQ UIDVALIDITY APPENDLIMIT MAILBOXID)")
        text = data[0].decode()
        self.assertRegex(text, r"^INBOX \(MESSAGES 3 UIDNEXT 4 UNSEEN 2 DELETED 1 SIZE \d+ RECENT 0 "
                               r"HIGHESTMODSEQ \d+ UIDVALIDITY \d+ APPENDLIMIT \d+ MAILBOXID \(M\d+\)\)$")

    def test_select_responses(self):
        c = self.connect()
        self.fill(c, 2)
        r = self.raw()
        untagged, done = r.command("s", "SELECT INBOX")
        self.assertEqual(done, "s OK [READ-WRITE] SELECT completed")
        self.assertIn(r"* FLAGS (\Seen \Answered \Flagged \Deleted \Draft)", untagged)
        self.assertIn("* 2 EXISTS", untagged)
        self.assertIn("* 0 RECENT", untagged)
        self.assertTrue(any(u.startswith("* OK [UIDVALIDITY ") for u in untagged))
        self.assertIn("* OK [UIDNEXT 3] Predicted next UID", untagged)
        self.assertTrue(any(u.startswith("* OK [HIGHESTMODSEQ ") for u in untagged))
        self.assertTrue(any(u.startswith(r"* OK [PERMANENTFLAGS (\Seen \Answered \Flagged \Deleted \Draft \*)]") for u in untagged))
        untagged, done = r.command("e", "EXAMINE INBOX")
        self.assertEqual(done, "e OK [READ-ONLY] EXAMINE completed")
        _, done = r.command("x", "STORE 1 +FLAGS (\\Seen)")
        self.assertEqual(done, "x NO [READ-ONLY] Mailbox is read-only")
        _, done = r.command("u", "UNSELECT")
        self.assertEqual(done, "u OK UNSELECT completed")
        _, done = r.command("f", "FETCH 1 FLAGS")
        self.assertEqual(done, "f BAD No mailbox selected")

    def test_search_keys(self):
        c = self.connect()
        self.fill(c, 5)
        c.append("INBOX", None, None, message("special offer", body="cheap watches and quantum widgets\r\n",
                                              sender="spam@example.net", extra="X-Spam: yes\r\n"))
        c.select("INBOX")
        c.store("2,4", "+FLAGS", r"(\Flagged)")
        c.store("5", "+FLAGS", "(\\Seen $Later)")
        self.assertEqual(c.search(None, "ALL")[1], [b"1 2 3 4 5 6"])
        self.assertEqual(c.search(None, "FLAGGED")[1], [b"2 4"])
        self.assertEqual(c.search(None, "UNFLAGGED", "UNSEEN")[1], [b"1 3 6"])
        self.assertEqual(c.search(None, "KEYWORD", "$Later")[1], [b"5"])
        self.assertEqual(c.search(None, "SUBJECT", "offer")[1], [b"6"])
        self.assertEqual(c.search(None, "FROM", "spam@")[1], [b"6"])
        self.assertEqual(c.search(None, "HEADER", "X-Spam", "yes")[1], [b"6"])
        self.assertEqual(c.search(None, "BODY", "quantum")[1], [b"6"])
        self.assertEqual(c.search(None, "TEXT", '"number 3"')[1], [b"4"])
        self.assertEqual(c.search(None, "OR", "FLAGGED", "KEYWORD", "$Later")[1], [b"2 4 5"])
        self.assertEqual(c.search(None, "NOT", "(FLAGGED)", "NOT", "SEEN", "2:5")[1], [b"3"])
        self.assertEqual(c.search(None, "NOT", "(FLAGGED SEEN)", "2:5")[1], [b"2 3 4 5"])
        self.assertEqual(c.search(None, "UID", "3:4")[1], [b"3 4"])
        self.assertEqual(c.search(None, "SENTON", "25-Nov-2026")[1], [b"1 2 3 4 5 6"])
        self.assertEqual(c.search(None, "SENTBEFORE", "25-Nov-2026")[1], [b""])
        self.assertEqual(c.search(None, "LARGER", "1")[1], [b"1 2 3 4 5 6"])
        self.assertEqual(c.search(None, "SMALLER", "10")[1], [b""])
        self.assertEqual(c.search(None, "YOUNGER", "3600")[1], [b"1 2 3 4 5 6"])
        self.assertEqual(c.search(None, "OLDER", "3600")[1], [b""])
        self.assertEqual(c.search("UTF-8", "SUBJECT", "offer")[1], [b"6"])
        self.assertEqual(c.search("KOI8-R", "SUBJECT", "offer")[0], "NO")
        self.assertEqual(c.uid("SEARCH", "FLAGGED")[1], [b"2 4"])

    def test_esearch_and_searchres(self):
        c = self.connect()
        self.fill(c, 5)
        r = self.raw()
        r.command("s", "SELECT INBOX")
        r.command("f", "STORE 2,3 +FLAGS.SILENT (\\Flagged)")
        untagged, done = r.command("a", "SEARCH RETURN (MIN MAX COUNT ALL) FLAGGED")
        self.assertEqual(untagged, ['* ESEARCH (TAG "a") MIN 2 MAX 3 ALL 2:3 COUNT 2'])
        untagged, done = r.command("b", "UID SEARCH RETURN (SAVE) UNFLAGGED")
        self.assertEqual(untagged, [])
        untagged, done = r.command("c", "FETCH $ (UID)")
        self.assertEqual(untagged, ["* 1 FETCH (UID 1)", "* 4 FETCH (UID 4)", "* 5 FETCH (UID 5)"])
        _, done = r.command("e0", "ENABLE IMAP4rev2")
        self.assertEqual(done, "e0 BAD Command not allowed in this state")  # RFC 5161 3.1
        r.command("e1", "UNSELECT")
        r.command("e2", "ENABLE IMAP4rev2")
        r.command("e3", "SELECT INBOX")
        untagged, done = r.command("d", "SEARCH SEEN")
        self.assertEqual(untagged, ['* ESEARCH (TAG "d")'])

    def test_store_flags_and_unchangedsince(self):
        c = self.connect()
        self.fill(c, 3)
        r = self.raw()
        r.command("s", "SELECT INBOX (CONDSTORE)")
        untagged, done = r.command("a", "STORE 1:2 +FLAGS (\\Answered $Done)")
        self.assertEqual(done, "a OK STORE completed")
        self.assertRegex(untagged[0], r"^\* 1 FETCH \(FLAGS \(\\Answered \$Done\) MODSEQ \((\d+)\)\)$")
        modseq = int(re.search(r"MODSEQ \((\d+)\)", untagged[0]).group(1))
        untagged, done = r.command("b", "STORE 1 -FLAGS.SILENT ($Done)")
        self.assertEqual(untagged, [])
        untagged, done = r.command("c", "UID STORE 1:3 FLAGS (\\Seen)")
        self.assertEqual(len(untagged), 3)
        self.assertTrue(untagged[2].startswith("* 3 FETCH (UID 3 FLAGS (\\Seen) MODSEQ"))
        untagged, done = r.command("d", f"STORE 1,3 (UNCHANGEDSINCE {modseq}) +FLAGS (\\Flagged)")
        self.assertEqual(done, "d OK [MODIFIED 1,3] Conditional STORE failed for some messages")
        untagged, done = r.command("e", "FETCH 1:3 (FLAGS)")
        self.assertEqual(untagged[0], "* 1 FETCH (FLAGS (\\Seen))")

    def test_copy_move_with_copyuid(self):
        c = self.connect()
        self.fill(c, 4)
        c.create("Archive/2026")
        r = self.raw()
        r.command("s", "SELECT INBOX")
        untagged, done = r.command("c", "COPY 1:2 Archive/2026")
        self.assertRegex(done, r"^c OK \[COPYUID \d+ 1:2 1:2\] COPY completed$")
        untagged, done = r.command("m", "UID MOVE 2:3 Trash")
        self.assertRegex(untagged[0], r"^\* OK \[COPYUID \d+ 2:3 1:2\] Moved$")
        self.assertEqual(untagged[1:], ["* 2 EXPUNGE", "* 2 EXPUNGE"])
        self.assertEqual(done, "m OK MOVE completed")
        _, done = r.command("n", "COPY 1 Nowhere")
        self.assertEqual(done, "n NO [TRYCREATE] Mailbox does not exist")
        c.select("Archive/2026")
        self.assertEqual(c.search(None, "ALL")[1], [b"1 2"])
        c.select("Trash")
        typ, data = c.fetch("1:2", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual([d[1] for d in data if isinstance(d, tuple)],
                         [b"Subject: message 1\r\n\r\n", b"Subject: message 2\r\n\r\n"])

    def test_expunge_and_uid_expunge(self):
        c = self.connect()
        self.fill(c, 5)
        r = self.raw()
        r.command("s", "SELECT INBOX")
        r.command("f", "STORE 1,2,4,5 +FLAGS.SILENT (\\Deleted)")
        untagged, done = r.command("u", "UID EXPUNGE 4:5")
        self.assertEqual(untagged, ["* 4 EXPUNGE", "* 4 EXPUNGE"])
        untagged, done = r.command("e", "EXPUNGE")
        self.assertEqual(untagged, ["* 1 EXPUNGE", "* 1 EXPUNGE"])
        untagged, done = r.command("a", "UID SEARCH ALL")
        self.assertEqual(untagged, ["* SEARCH 3"])
        r.command("f2", "STORE 1 +FLAGS.SILENT (\\Deleted)")
        _, done = r.command("c", "CLOSE")
        self.assertEqual(done, "c OK CLOSE completed")
        untagged, _ = r.command("st", "STATUS INBOX (MESSAGES)")
        self.assertEqual(untagged, ["* STATUS INBOX (MESSAGES 0)"])

    def test_idle_reports_append_from_another_session_within_one_second(self):
        other = self.connect()
        r = self.raw()
        r.command("s", "SELECT INBOX")
        r.send("i IDLE\r\n")
        self.assertEqual(r.readline(), "+ idling\r\n")
        latencies = []
        for n in range(1, 4):
            start = time.monotonic()
            typ, _ = other.append("INBOX", None, None, message(f"idle {n}"))
            self.assertEqual(typ, "OK")
            r.sock.settimeout(1.0)
            line = r.readline()
            latencies.append(time.monotonic() - start)
            self.assertEqual(line, f"* {n} EXISTS\r\n")
        r.sock.settimeout(10)
        other.select("INBOX")
        other.store("1", "+FLAGS", r"(\Flagged)")
        r.sock.settimeout(1.0)
        self.assertEqual(r.readline(), "* 1 FETCH (FLAGS (\\Flagged))\r\n")
        other.store("2", "+FLAGS", r"(\Deleted)")
        self.assertEqual(r.readline(), "* 2 FETCH (FLAGS (\\Deleted))\r\n")
        other.expunge()
        self.assertEqual(r.readline(), "* 2 EXPUNGE\r\n")
        r.sock.settimeout(10)
        r.send("DONE\r\n")
        _, done = r.until_tagged("i")
        self.assertEqual(done, "i OK IDLE terminated")
        print(f"\nIDLE latency append->EXISTS: {', '.join(f'{x * 1000:.1f} ms' for x in latencies)}")

    def test_idle_reports_smtp_delivery_within_one_second(self):
        import smtplib
        r = self.raw()
        r.command("s", "SELECT INBOX")
        r.send("i IDLE\r\n")
        self.assertEqual(r.readline(), "+ idling\r\n")
        start = time.monotonic()
        with smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=10) as smtp:
            refused = smtp.sendmail("x@example.net", [USER], message("over smtp"))
        self.assertEqual(refused, {})
        r.sock.settimeout(1.0)
        self.assertEqual(r.readline(), "* 1 EXISTS\r\n")
        elapsed = time.monotonic() - start
        self.assertLess(elapsed, 1.0)
        r.sock.settimeout(10)
        r.send("DONE\r\n")
        _, done = r.until_tagged("i")
        self.assertEqual(done, "i OK IDLE terminated")
        print(f"\nIDLE latency SMTP delivery->EXISTS (incl. SMTP session): {elapsed * 1000:.1f} ms")

    def test_two_sessions_see_each_others_flags_and_expunges(self):
        c = self.connect()
        self.fill(c, 3)
        a = self.raw()
        b = self.raw()
        a.command("s", "SELECT INBOX")
        b.command("s", "SELECT INBOX")
        a.command("f", "STORE 2 +FLAGS (\\Flagged)")
        untagged, done = b.command("n", "NOOP")
        self.assertEqual(untagged, ["* 2 FETCH (FLAGS (\\Flagged))"])
        a.command("d", "STORE 1 +FLAGS.SILENT (\\Deleted)")
        a.command("x", "EXPUNGE")
        # RFC 9051 7.5.1: no EXPUNGE during FETCH by sequence number; after UID FETCH yes.
        untagged, done = b.command("g", "FETCH 1:* (FLAGS)")
        self.assertNotIn("EXPUNGE", " ".join(untagged))
        self.assertEqual(len([u for u in untagged if "FETCH" in u]), 2)
        untagged, done = b.command("h", "UID FETCH 1:* (FLAGS)")
        self.assertIn("* 1 EXPUNGE", untagged)
        c.append("INBOX", None, None, message("late"))
        untagged, done = b.command("n2", "NOOP")
        self.assertEqual(untagged, ["* 3 EXISTS"])

    def test_sort_and_thread(self):
        c = self.connect()
        msgs = [
            ("Zebra talk", "carol@example.org", "Wed, 25 Nov 2026 12:00:00 +0000", "<z@x>", ""),
            ("Apples", "alice@example.org", "Wed, 25 Nov 2026 09:00:00 +0000", "<a@x>", ""),
            ("Re: Apples", "bob@example.org", "Wed, 25 Nov 2026 10:00:00 +0000", "<b@x>", "References: <a@x>\r\n"),
            ("Re: Zebra talk", "alice@example.org", "Wed, 25 Nov 2026 13:00:00 +0000", "<y@x>", "In-Reply-To: <z@x>\r\n"),
        ]
        for subject, sender, date, mid, extra in msgs:
            raw = (f"From: {sender}\r\nSubject: {subject}\r\nDate: {date}\r\nMessage-ID: {mid}\r\n{extra}\r\nbody\r\n" + "x" * len(subject)).encode()
            self.assertEqual(c.append("INBOX", None, None, raw)[0], "OK")
        c.select("INBOX")
        self.assertEqual(c.sort("(SUBJECT)", "UTF-8", "ALL")[1], [b"2 3 1 4"])
        self.assertEqual(c.sort("(DATE)", "UTF-8", "ALL")[1], [b"2 3 1 4"])
        self.assertEqual(c.sort("(REVERSE ARRIVAL)", "UTF-8", "ALL")[1], [b"4 3 2 1"])
        self.assertEqual(c.sort("(FROM SUBJECT)", "UTF-8", "ALL")[1], [b"2 4 3 1"])
        self.assertEqual(c.sort("(SIZE)", "UTF-8", "NOT", "FROM", "carol")[1], [b"2 3 4"])
        self.assertEqual(c.uid("SORT", "(SUBJECT)", "UTF-8", "ALL")[1], [b"2 3 1 4"])
        self.assertEqual(c.thread("ORDEREDSUBJECT", "UTF-8", "ALL")[1], [b"(2 3)(1 4)"])
        self.assertEqual(c.thread("REFERENCES", "UTF-8", "ALL")[1], [b"(2 3)(1 4)"])

    def test_condstore_and_qresync(self):
        c = self.connect()
        self.fill(c, 4)
        r = self.raw()
        r.command("e", "ENABLE QRESYNC")
        untagged, _ = r.command("s", "SELECT INBOX")
        uidvalidity = int(re.search(r"UIDVALIDITY (\d+)", " ".join(untagged)).group(1))
        modseq = int(re.search(r"HIGHESTMODSEQ (\d+)", " ".join(untagged)).group(1))
        r.command("f", "STORE 2 +FLAGS (\\Seen)")
        r.command("d", "STORE 3 +FLAGS.SILENT (\\Deleted)")
        untagged, _ = r.command("x", "EXPUNGE")
        self.assertEqual(untagged, ["* VANISHED 3"])
        untagged, _ = r.command("g", f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {modseq} VANISHED)")
        self.assertEqual(untagged[0], "* VANISHED (EARLIER) 3")
        self.assertRegex(untagged[1], r"^\* 2 FETCH \(UID 2 FLAGS \(\\Seen\) MODSEQ \(\d+\)\)$")
        r.command("u", "UNSELECT")
        untagged, done = r.command("q", f"SELECT INBOX (QRESYNC ({uidvalidity} {modseq} 1:4))")
        self.assertIn("* VANISHED (EARLIER) 3", untagged)
        self.assertTrue(any(re.match(r"^\* 2 FETCH \(UID 2 FLAGS \(\\Seen\) MODSEQ", u) for u in untagged), untagged)
        untagged, _ = r.command("m", "SEARCH MODSEQ " + str(modseq + 1))
        self.assertRegex(untagged[0], r"^\* SEARCH 2 \(MODSEQ \d+\)$")

    def test_multiappend_and_quota(self):
        r = self.raw()
        m1, m2 = message("one"), message("two")
        r.send(f"a APPEND INBOX {{{len(m1)}+}}\r\n".encode() + m1 + f" (\\Seen) {{{len(m2)}+}}\r\n".encode() + m2 + b"\r\n")
        _, done = r.until_tagged("a")
        self.assertRegex(done, r"^a OK \[APPENDUID \d+ 1:2\] APPEND completed$")
        untagged, done = r.command("q", "GETQUOTAROOT INBOX")
        self.assertEqual(untagged[0], '* QUOTAROOT INBOX ""')
        self.assertRegex(untagged[1], r'^\* QUOTA "" \(STORAGE 1 \d+\)$')
        _, done = r.command("t", "APPEND Nowhere {3+}\r\nabc")
        self.assertEqual(done, "t NO [TRYCREATE] Mailbox does not exist")

    def test_compress_deflate(self):
        import zlib
        r = self.raw()
        _, done = r.command("z", "COMPRESS DEFLATE")
        self.assertEqual(done, "z OK DEFLATE active")
        out = zlib.compressobj(wbits=-15)
        inp = zlib.decompressobj(wbits=-15)
        r.send(out.compress(b"a SELECT INBOX\r\nb LIST \"\" INBOX\r\n") + out.flush(zlib.Z_SYNC_FLUSH))
        text = b""
        r.sock.settimeout(5)
        while b"b OK LIST completed\r\n" not in text:
            chunk = r.sock.recv(4096)
            self.assertTrue(chunk, text)
            text += inp.decompress(chunk)
        self.assertIn(b"a OK [READ-WRITE] SELECT completed\r\n", text)
        self.assertIn(b'* LIST (\\HasNoChildren) "/" INBOX\r\n', text)

    def test_hostile_input_gets_clear_errors_and_session_survives(self):
        r = self.raw()
        _, done = r.command("a", "FROBNICATE")
        self.assertEqual(done, "a BAD Unknown command FROBNICATE")
        _, done = r.command("b", "SELECT")
        self.assertTrue(done.startswith("b BAD "), done)
        self.assertGreater(len(done), len("b BAD "))
        # A literal over APPENDLIMIT is refused before any of it is sent.
        r.send("c APPEND INBOX {999999999999}\r\n")
        self.assertTrue(r.readline().startswith("c NO [TOOBIG]"))
        # Deep nesting.
        r.command("s", "SELECT INBOX")
        _, done = r.command("d", "SEARCH " + "(" * 500 + "ALL" + ")" * 500)
        self.assertTrue(done.startswith("d BAD "), done)
        _, done = r.command("e", "SEARCH " + "NOT " * 500 + "ALL")
        self.assertTrue(done.startswith("e BAD "), done)
        # An over-long line.
        r.send("f NOOP " + "x" * 200000 + "\r\n")
        line = r.readline()
        self.assertTrue(line.startswith("f BAD ") or line.startswith("* BAD "), line)
        _, done = r.command("g", "NOOP")
        self.assertEqual(done, "g OK NOOP completed")
        _, done = r.command("h", "FETCH 99 FLAGS")
        self.assertEqual(done, "h BAD Invalid message sequence number")


class TestImapTls(ImapCase):
    def context(self):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx

    def test_starttls_then_login(self):
        c = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        self.clients.append(c)
        self.assertEqual(c.starttls(ssl_context=self.context())[0], "OK")
        self.assertIn("AUTH=PLAIN", c.capabilities)
        self.assertNotIn("STARTTLS", c.capabilities)
        self.assertEqual(c.login(USER, PASSWORD)[0], "OK")
        self.assertEqual(c.select("INBOX")[0], "OK")

    def test_starttls_discards_pipelined_plaintext(self):
        r = self.raw(login=False)
        r.send("a STARTTLS\r\nb LOGIN injected pw\r\n")
        self.assertEqual(r.readline(), "a OK Begin TLS negotiation now\r\n")
        tls = self.context().wrap_socket(r.sock)
        tls.sendall(b"c NOOP\r\n")
        f = tls.makefile("rb")
        self.assertEqual(f.readline(), b"c OK NOOP completed\r\n")
        tls.close()

    def test_imaps(self):
        c = imaplib.IMAP4_SSL("127.0.0.1", self.ports["imaps"], ssl_context=self.context(), timeout=10)
        self.clients.append(c)
        self.assertNotIn("STARTTLS", c.capabilities)
        self.assertEqual(c.login(USER, PASSWORD)[0], "OK")
        self.assertEqual(c.list()[0], "OK")


class TestImapPlaintextPolicy(TaubeCase):
    def test_plaintext_login_refused_when_loopback_not_exempt(self):
        self.taube("domain", "add", "example.org")
        self.taube("user", "add", USER, stdin=PASSWORD + "\n")
        config = self.isolated_config()
        with open(config) as f:
            text = f.read()
        with open(config, "w") as f:
            f.write("[auth]\nallow_plaintext_from_loopback = false\n" + text)
        self.start_server(config=config)
        r = RawClient(self.ports["imap"])
        self.addCleanup(r.close)
        self.assertIn("LOGINDISABLED", r.greeting)
        self.assertNotIn("AUTH=PLAIN", r.greeting)
        _, done = r.command("a", f"LOGIN {USER} {PASSWORD}")
        self.assertEqual(done, "a NO [PRIVACYREQUIRED] Use STARTTLS first")


if __name__ == "__main__":
    unittest.main()
