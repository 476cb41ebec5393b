"""SMTP, submission and LMTP end to end: real clients (smtplib, swaks, raw sockets)
against the real `taube serve`, every delivered message read back from the store
byte for byte (tests/smtp_store_dump.cpp), and the hostile inputs of issue 3."""
import os
import re
import smtplib
import socket
import ssl
import subprocess
import threading
import time
import unittest

from taubetest import TAUBE, TaubeCase

DUMP = os.path.join(os.path.dirname(os.path.abspath(TAUBE)), "smtp_store_dump")
HOST = "mx.test.example"
MAX_BYTES = 10 * 1024 * 1024
MAX_RCPT = 100


def tls_client_context():
    """The node's certificate is self-signed: encrypt, but do not verify."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


class Raw:
    """A line-level SMTP client over a socket, for what smtplib cannot send."""

    def __init__(self, port, timeout=60, source=None):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        self.buf = b""

    def close(self):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed; pending %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def reply(self):
        """One (possibly multi-line) reply: (code, [text lines])."""
        lines = []
        while True:
            line = self.line()
            lines.append(line[4:].decode("latin-1"))
            if line[3:4] != b"-":
                return int(line[:3]), lines

    def cmd(self, text):
        self.send(text + b"\r\n")
        return self.reply()

    def nothing_pending(self, wait=0.3):
        """True when the server sent nothing (it is still reading our data)."""
        self.sock.settimeout(wait)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            return not self.buf
        finally:
            self.sock.settimeout(60)
        self.buf += data
        return False

    def closed_by_server(self):
        self.sock.settimeout(10)
        try:
            return self.sock.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            return False


def split_trace(raw):
    """Splits a stored message into the trace headers Taube added and the rest."""
    m = re.match(rb"(?:Authentication-Results: [^\r\n]*\r\n(?:\t[^\r\n]*\r\n)*)?"
                 rb"Return-Path: <[^\r\n]*>\r\nReceived: [^\r\n]*\r\n(?:\t[^\r\n]*\r\n)*", raw)
    assert m, raw[:300]
    return m.group(0), raw[m.end():]


class SmtpCase(TaubeCase):
    EXTRA_CONFIG = ""
    MAX_MESSAGE_BYTES = MAX_BYTES

    def setUp(self):
        super().setUp()
        self.assertTrue(os.path.exists(DUMP), f"{DUMP} missing: build the smtp_store_dump target")
        self.taube("init")
        self.taube("domain", "add", "example.org")
        for user in ("alice", "bob", "carol"):
            self.taube("user", "add", f"{user}@example.org", stdin=f"{user}-pw\n")
        self.taube("alias", "add", "team@example.org", "alice@example.org", "bob@example.org")
        config = self.isolated_config()
        with open(config, "a") as f:
            # SPF/DKIM/DMARC on the MX (src/mailauth, tested on its own) would make every
            # message here wait for DNS lookups that cannot succeed offline.
            f.write(f'\n[server]\nhostname = "{HOST}"\n[mailauth]\nverify_inbound = false\n'
                    f"[smtp]\nmax_message_bytes = {self.MAX_MESSAGE_BYTES}\nmax_recipients = {MAX_RCPT}\n"
                    + self.EXTRA_CONFIG)
        self.server = self.start_server(config=config)

    def tearDown(self):
        if self.server.poll() is None:
            rc, log = self.stop_server(self.server)
            self.assertEqual(rc, 0, log[-3000:])
            self.assertNotIn("ERROR: AddressSanitizer", log)
            self.assertNotIn("runtime error:", log)
        super().tearDown()

    def messages(self, address):
        """The raw INBOX messages of `address`, in UID order, exactly as stored."""
        out = subprocess.run([DUMP, self.store_locator(), "messages", address],
                             capture_output=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        data, result = out.stdout, []
        while data:
            header, data = data.split(b"\n", 1)
            _, _, size = header.split(b" ")
            size = int(size)
            result.append(data[:size])
            self.assertEqual(data[size:size + 1], b"\n")
            data = data[size + 1:]
        return result

    def assert_delivered(self, address, content, sender, protocol, recipient=None):
        """The newest INBOX message is `content` byte for byte after Taube's trace headers."""
        stored = self.messages(address)
        self.assertTrue(stored, f"nothing stored for {address}")
        trace, rest = split_trace(stored[-1])
        self.assertEqual(rest, content)
        self.assertTrue(trace.startswith(f"Return-Path: <{sender}>\r\nReceived: from ".encode()), trace)
        self.assertIn(f"\tby {HOST} with {protocol}".encode(), trace)
        if recipient:
            self.assertRegex(trace, rf"\tfor <{re.escape(recipient)}>; \w\w\w, \d\d \w\w\w \d{{4}} ".encode())
        return trace

    def vm_hwm_kib(self):
        return self.vm_kib("VmHWM")

    def vm_kib(self, field):
        with open(f"/proc/{self.server.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        self.fail("no " + field)

    def dump(self, *args):
        out = subprocess.run([DUMP, self.store_locator(), *args],
                             capture_output=True, timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def queue(self):
        """The outbound queue, one dict per recipient (tests/smtp_store_dump.cpp)."""
        rows = []
        for line in self.dump("queue").decode().splitlines():
            f = line.split("\t")
            rows.append(dict(id=int(f[0]), domain=f[1], sender=f[2], envid=f[3], ret=int(f[4]),
                             submitted_by=int(f[5]), rcpt=f[6], notify=int(f[7]), orcpt=f[8],
                             state=int(f[9])))
        return rows

    def queued_message(self, entry_id):
        data = self.dump("queue-message", str(entry_id))
        header, data = data.split(b"\n", 1)
        size = int(header.split(b" ")[2])
        self.assertEqual(data[size:], b"\n")
        return data[:size]

    def submission(self, user):
        s = smtplib.SMTP("127.0.0.1", self.ports["submission"], timeout=60)
        s.starttls(context=tls_client_context())
        s.ehlo("laptop.example.org")
        s.login(f"{user}@example.org", f"{user}-pw")
        return s


MESSAGE = (b"From: Sender <sender@example.net>\r\n"
           b"To: alice@example.org\r\n"
           b"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
           b"Message-ID: <e2e-1@example.net>\r\n"
           b"MIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n"
           b"\r\n"
           b"Gr\xc3\xbc\xc3\x9fe aus der Stadt.\r\n"
           b".a line that starts with a dot\r\n"
           b"..two dots\r\n"
           b" \r\n"
           b"last line\r\n")


class SmtpClientsTest(SmtpCase):
    def test_mx_plain_smtplib_message_is_stored_byte_exact(self):
        with smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=60) as s:
            code, banner = s.ehlo("client.example.net")
            self.assertEqual(code, 250)
            for ext in ("pipelining", "size", "8bitmime", "smtputf8", "enhancedstatuscodes", "chunking",
                        "dsn", "starttls"):
                self.assertTrue(s.has_extn(ext), ext)
            self.assertEqual(s.esmtp_features["size"], str(MAX_BYTES))
            self.assertFalse(s.has_extn("auth"), "no AUTH on the MX port")
            refused = s.sendmail("sender@example.net", ["alice@example.org"], MESSAGE,
                                 mail_options=["BODY=8BITMIME"])
            self.assertEqual(refused, {})
        trace = self.assert_delivered("alice@example.org", MESSAGE, "sender@example.net", "ESMTP",
                                      "alice@example.org")
        self.assertIn(b"from client.example.net ([127.0.0.1])", trace)
        self.assertEqual(self.messages("bob@example.org"), [])

    def test_one_blob_for_an_alias_and_a_direct_recipient(self):
        with smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=60) as s:
            s.sendmail("sender@example.net", ["team@example.org", "alice@example.org", "carol@example.org"],
                       MESSAGE)
        for user in ("alice", "bob", "carol"):
            self.assertEqual(len(self.messages(f"{user}@example.org")), 1, user)
            self.assert_delivered(f"{user}@example.org", MESSAGE, "sender@example.net", "ESMTP")
        self.assertEqual(self.blob_count(), 1, "one blob for three copies")

    def test_submission_starttls_auth_plain_and_login(self):
        for mechanism in ("PLAIN", "LOGIN"):
            with smtplib.SMTP("127.0.0.1", self.ports["submission"], timeout=60) as s:
                s.ehlo("laptop.example.org")
                self.assertTrue(s.has_extn("starttls"))
                s.starttls(context=tls_client_context())
                s.ehlo("laptop.example.org")
                self.assertFalse(s.has_extn("starttls"))
                self.assertIn(mechanism, s.esmtp_features["auth"].split())
                s.user, s.password = "alice@example.org", "alice-pw"
                auth = s.auth_plain if mechanism == "PLAIN" else s.auth_login
                code, text = s.auth(mechanism, auth, initial_response_ok=(mechanism == "PLAIN"))
                self.assertEqual(code, 235, text)
                # Submission: the From: must be the user's own (smtp.enforce_sender).
                msg = MESSAGE.replace(b"e2e-1", f"sub-{mechanism}".encode()).replace(
                    b"Sender <sender@example.net>", b"Alice <alice@example.org>")
                self.assertEqual(s.sendmail("alice@example.org", ["bob@example.org"], msg), {})
            trace = self.assert_delivered("bob@example.org", msg, "alice@example.org", "ESMTPSA", "bob@example.org")
            self.assertRegex(trace, rb"with ESMTPSA \(using TLSv1\.[23] with cipher [A-Z0-9_-]+\)")
        self.assertEqual(len(self.messages("bob@example.org")), 2)

    def test_submission_refuses_wrong_password_foreign_sender_and_needs_auth(self):
        with smtplib.SMTP("127.0.0.1", self.ports["submission"], timeout=60) as s:
            s.starttls(context=tls_client_context())
            s.ehlo()
            code, _ = s.mail("alice@example.org")
            self.assertEqual(code, 530)
            with self.assertRaises(smtplib.SMTPAuthenticationError) as e:
                s.login("alice@example.org", "wrong")
            self.assertEqual(e.exception.smtp_code, 535)
            s.login("alice@example.org", "alice-pw")
            code, text = s.mail("bob@example.org")
            self.assertEqual((code, text[:5]), (553, b"5.7.1"))
            self.assertEqual(s.mail("alice@example.org")[0], 250)
            self.assertEqual(s.rcpt("friend@example.net")[0], 250, "authenticated: may relay")
            s.rset()
        self.assertEqual(self.queue(), [], "nothing queued without DATA")

    def test_submissions_implicit_tls(self):
        with smtplib.SMTP_SSL("127.0.0.1", self.ports["submissions"], timeout=60,
                              context=tls_client_context()) as s:
            s.ehlo("phone.example.org")
            self.assertFalse(s.has_extn("starttls"))
            s.login("bob@example.org", "bob-pw")
            msg = MESSAGE.replace(b"Sender <sender@example.net>", b"Bob <bob@example.org>")
            self.assertEqual(s.sendmail("bob@example.org", ["alice@example.org"], msg), {})
        self.assert_delivered("alice@example.org", msg, "bob@example.org", "ESMTPSA", "alice@example.org")

    def test_bdat_over_a_raw_socket_including_bdat_0_last(self):
        raw = Raw(self.ports["smtp"])
        self.assertEqual(raw.reply()[0], 220)
        code, lines = raw.cmd(b"EHLO raw.example.net")
        self.assertIn("CHUNKING", lines)
        chunk1 = b"Subject: chunked\r\nMessage-ID: <bdat@example.net>\r\n\r\nfirst part, "
        chunk2 = b"second part\nwith a bare LF (BDAT is binary: kept)\r\n.\r\nnot the end\r\n"
        raw.send(b"MAIL FROM:<sender@example.net>\r\nRCPT TO:<bob@example.org>\r\n" +
                 b"BDAT %d\r\n" % len(chunk1) + chunk1 + b"BDAT %d\r\n" % len(chunk2) + chunk2 +
                 b"BDAT 0 LAST\r\n")
        self.assertEqual(raw.reply()[0], 250)
        self.assertEqual(raw.reply()[0], 250)
        self.assertEqual(raw.reply(), (250, [f"2.0.0 {len(chunk1)} octets received"]))
        self.assertEqual(raw.reply(), (250, [f"2.0.0 {len(chunk2)} octets received"]))
        self.assertEqual(raw.reply(), (250, ["2.0.0 Message accepted for delivery"]))
        # A one-chunk message with LAST.
        body = b"Subject: one chunk\r\n\r\nx\r\n"
        raw.send(b"MAIL FROM:<>\r\nRCPT TO:<alice@example.org>\r\nBDAT %d LAST\r\n" % len(body) + body)
        self.assertEqual([raw.reply()[0] for _ in range(3)], [250, 250, 250])
        self.assertEqual(raw.cmd(b"QUIT")[0], 221)
        raw.close()
        self.assert_delivered("bob@example.org", chunk1 + chunk2, "sender@example.net", "ESMTP", "bob@example.org")
        self.assert_delivered("alice@example.org", body, "", "ESMTP", "alice@example.org")

    def test_swaks_sessions(self):
        body_file = os.path.join(self.data, "swaks-body.eml")
        content = (b"From: swaks@example.net\r\nTo: alice@example.org\r\nSubject: via swaks\r\n"
                   b"Message-ID: <swaks-1@example.net>\r\n\r\nline one\r\n.dot line\r\nend\r\n")
        with open(body_file, "wb") as f:
            f.write(content[:-2])  # swaks itself ends the data with CRLF "." CRLF
        base = ["swaks", "--server", f"127.0.0.1:{self.ports['smtp']}", "--helo", "swaks.example.net",
                "--timeout", "60"]
        plain = subprocess.run(base + ["--from", "swaks@example.net", "--to", "alice@example.org",
                                       "--data", f"@{body_file}"], capture_output=True, text=True, timeout=120)
        self.assertEqual(plain.returncode, 0, plain.stdout + plain.stderr)
        self.assertIn("<-  250 2.0.0 Message accepted for delivery", plain.stdout)
        self.assert_delivered("alice@example.org", content, "swaks@example.net", "ESMTP", "alice@example.org")
        pipelined = subprocess.run(base + ["--pipeline", "--from", "swaks@example.net", "--to",
                                           "bob@example.org,nobody@example.org", "--data", f"@{body_file}"],
                                   capture_output=True, text=True, timeout=120)
        self.assertIn("550 5.1.1", pipelined.stdout)
        self.assertIn("<-  250 2.0.0 Message accepted for delivery", pipelined.stdout)
        self.assert_delivered("bob@example.org", content, "swaks@example.net", "ESMTP")
        relay = subprocess.run(base + ["--from", "swaks@example.net", "--to", "victim@example.com"],
                               capture_output=True, text=True, timeout=120)
        self.assertNotEqual(relay.returncode, 0)
        self.assertIn("550 5.7.1 Relaying denied", relay.stdout)
        # swaks has no TLS here (no Net::SSLeay); AUTH in clear is allowed from loopback.
        # Submission: the From: must be carol's own (smtp.enforce_sender).
        content = content.replace(b"From: swaks@example.net", b"From: carol@example.org")
        with open(body_file, "wb") as f:
            f.write(content[:-2])
        for mech in ("PLAIN", "LOGIN"):
            auth = subprocess.run(["swaks", "--server", f"127.0.0.1:{self.ports['submission']}", "--auth", mech,
                                   "--auth-user", "carol@example.org", "--auth-password", "carol-pw",
                                   "--from", "carol@example.org", "--to", "bob@example.org",
                                   "--data", f"@{body_file}"], capture_output=True, text=True, timeout=120)
            self.assertEqual(auth.returncode, 0, auth.stdout + auth.stderr)
            self.assertIn("235 2.7.0 Authentication successful", auth.stdout)
            self.assert_delivered("bob@example.org", content, "carol@example.org", "ESMTPA")
        self.assertEqual(len(self.messages("bob@example.org")), 3)

    def test_lmtp_replies_once_per_recipient(self):
        with smtplib.LMTP("127.0.0.1", self.ports["lmtp"], timeout=60) as s:
            code, _ = s.ehlo("mta.example.org")  # smtplib.LMTP sends LHLO
            self.assertEqual(code, 250)
            self.assertEqual(s.mail("sender@example.net")[0], 250)
            self.assertEqual(s.rcpt("alice@example.org")[0], 250)
            self.assertEqual(s.rcpt("nobody@example.org")[0], 550)
            self.assertEqual(s.rcpt("team@example.org")[0], 250)
            code, text = s.data(MESSAGE)  # the first accepted recipient's reply
            self.assertEqual((code, text), (250, b"2.0.0 <alice@example.org> Delivered"))
            code, text = s.getreply()  # RFC 2033 4.2: one more per accepted recipient
            self.assertEqual((code, text), (250, b"2.0.0 <team@example.org> Delivered"))
            self.assertEqual(s.noop()[0], 250, "no further reply was pending")
        self.assert_delivered("alice@example.org", MESSAGE, "sender@example.net", "LMTP")
        self.assert_delivered("bob@example.org", MESSAGE, "sender@example.net", "LMTP")
        self.assertEqual(len(self.messages("alice@example.org")), 1)
        with smtplib.SMTP("127.0.0.1", self.ports["lmtp"], timeout=60) as s:
            self.assertEqual(s.ehlo()[0], 500, "LMTP takes LHLO, not EHLO")


class SmtpStrictLoopbackTest(SmtpCase):
    EXTRA_CONFIG = "[auth]\nallow_plaintext_from_loopback = false\n"

    def test_submission_offers_auth_only_after_starttls(self):
        with smtplib.SMTP("127.0.0.1", self.ports["submission"], timeout=60) as s:
            s.ehlo()
            self.assertFalse(s.has_extn("auth"))
            code, text = s.docmd("AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAGFsaWNlLXB3")
            self.assertEqual((code, text[:6]), (538, b"5.7.11"))
            s.starttls(context=tls_client_context())
            s.ehlo()
            self.assertTrue(s.has_extn("auth"))
            s.login("alice@example.org", "alice-pw")


class SmtpLimitsTest(SmtpCase):
    EXTRA_CONFIG = "max_connections_per_ip = 2\ncommand_timeout_seconds = 2\n"

    def test_connections_per_address_are_limited_with_a_421(self):
        first, second = Raw(self.ports["smtp"]), Raw(self.ports["smtp"])
        self.assertEqual(first.reply()[0], 220)
        self.assertEqual(second.reply()[0], 220)
        third = Raw(self.ports["smtp"])
        self.assertEqual(third.reply(), (421, [f"4.7.0 {HOST} Too many connections"]))
        self.assertTrue(third.closed_by_server())
        third.close()
        first.cmd(b"QUIT")
        first.close()
        time.sleep(0.3)
        fourth = Raw(self.ports["smtp"])
        self.assertEqual(fourth.reply()[0], 220, "a slot is free again")
        fourth.close()
        second.close()

    def test_an_idle_client_is_disconnected_after_the_command_timeout(self):
        raw = Raw(self.ports["smtp"])
        raw.reply()
        self.assertEqual(raw.cmd(b"EHLO slow.example.net")[0], 250)
        start = time.monotonic()
        self.assertTrue(raw.closed_by_server())
        waited = time.monotonic() - start
        self.assertGreater(waited, 1.5)
        self.assertLess(waited, 8)
        raw.close()


class SmtpHostileTest(SmtpCase):
    def test_published_smuggling_sequences_end_nothing(self):
        raw = Raw(self.ports["smtp"])
        raw.reply()
        raw.cmd(b"EHLO attacker.example.net")
        sequences = [b"\n.\n", b"\n.\r\n", b"\r.\r", b"\r\n.\n", b"\r\n.\r", b"\n.\r"]
        for i, seq in enumerate(sequences):
            raw.send(b"MAIL FROM:<sender@example.net>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n")
            self.assertEqual([raw.reply()[0] for _ in range(3)], [250, 250, 354])
            smuggled = b"MAIL FROM:<admin@example.org>\r\nRCPT TO:<bob@example.org>\r\nDATA\r\n"
            raw.send(b"Subject: smuggle %d\r\n\r\nhello" % i + seq + smuggled + b"Subject: evil\r\n\r\nevil")
            self.assertTrue(raw.nothing_pending(), f"sequence {seq!r} ended DATA")
            raw.send(b"\r\n.\r\n")
            self.assertEqual(raw.reply(), (250, ["2.0.0 Message accepted for delivery"]), seq)
        self.assertEqual(raw.cmd(b"QUIT")[0], 221)
        raw.close()
        stored = self.messages("alice@example.org")
        self.assertEqual(len(stored), len(sequences))
        self.assertEqual(self.messages("bob@example.org"), [])
        for msg in stored:
            _, rest = split_trace(msg)
            self.assertIn(b"MAIL FROM:<admin@example.org>", rest)
            # Every line ending stored as CRLF: no bare CR or LF survives to confuse a relay.
            self.assertNotRegex(rest, rb"\r(?!\n)|(?<!\r)\n")

    def test_starttls_command_injection_is_discarded(self):
        raw = Raw(self.ports["smtp"])
        raw.reply()
        raw.cmd(b"EHLO client.example.net")
        raw.send(b"STARTTLS\r\nMAIL FROM:<attacker@example.net>\r\nRCPT TO:<alice@example.org>\r\n")
        self.assertEqual(raw.reply(), (220, ["2.0.0 Ready to start TLS"]))
        self.assertEqual(raw.buf, b"", "no reply to the injected commands before the handshake")
        tls = tls_client_context().wrap_socket(raw.sock, server_hostname=HOST)
        raw.sock = tls
        self.assertEqual(raw.cmd(b"EHLO client.example.net")[0], 250)
        self.assertEqual(raw.cmd(b"DATA"), (503, ["5.5.1 Need RCPT before DATA"]),
                         "the injected MAIL/RCPT must not have been acted on")
        self.assertEqual(raw.cmd(b"QUIT")[0], 221)
        raw.close()
        self.assertEqual(self.messages("alice@example.org"), [])

    def test_100_mb_message_against_10_mb_limit_is_refused_in_bounded_memory(self):
        before = self.vm_hwm_kib()
        raw = Raw(self.ports["smtp"], timeout=300)
        raw.reply()
        raw.cmd(b"EHLO big.example.net")
        # SIZE= over the limit is refused at once (RFC 1870).
        self.assertEqual(raw.cmd(b"MAIL FROM:<big@example.net> SIZE=104857600")[0], 552)
        raw.send(b"MAIL FROM:<big@example.net>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n")
        self.assertEqual([raw.reply()[0] for _ in range(3)], [250, 250, 354])
        line = b"x" * 998 + b"\r\n"
        block = line * 1024  # 1 MiB
        for _ in range(100):
            raw.sock.sendall(block)
        raw.send(b".\r\n")
        self.assertEqual(raw.reply(), (552, ["5.3.4 Message size exceeds fixed maximum message size"]))
        self.assertEqual(raw.cmd(b"NOOP")[0], 250, "the session goes on")
        raw.cmd(b"QUIT")
        raw.close()
        after = self.vm_hwm_kib()
        grown_mib = (after - before) / 1024
        print(f"\nVmHWM before {before // 1024} MiB, after {after // 1024} MiB (+{grown_mib:.0f} MiB)"
              " for a 100 MiB message against a 10 MiB limit")
        self.assertLess(grown_mib, 60, "the server held far more than the limit")
        self.assertEqual(self.messages("alice@example.org"), [])

    def test_10000_rcpt_commands(self):
        raw = Raw(self.ports["smtp"], timeout=300)
        raw.reply()
        raw.cmd(b"EHLO many.example.net")
        self.assertEqual(raw.cmd(b"MAIL FROM:<many@example.net>")[0], 250)
        codes = []
        batch = 500
        for start in range(0, 10000, batch):
            raw.send(b"".join(b"RCPT TO:<alice@example.org>\r\n" for _ in range(batch)))
            codes += [raw.reply()[0] for _ in range(batch)]
        self.assertEqual(codes[:MAX_RCPT], [250] * MAX_RCPT)
        self.assertEqual(codes[MAX_RCPT:], [452] * (10000 - MAX_RCPT))
        self.assertEqual(raw.cmd(b"DATA")[0], 354)
        raw.send(b"Subject: many\r\n\r\nx\r\n.\r\n")
        self.assertEqual(raw.reply()[0], 250)
        raw.cmd(b"QUIT")
        raw.close()
        self.assertEqual(len(self.messages("alice@example.org")), 1, "one copy per account")

    def test_open_relay_attempt_is_refused(self):
        with smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=60) as s:
            with self.assertRaises(smtplib.SMTPRecipientsRefused) as e:
                s.sendmail("alice@example.org", ["victim@example.com", "victim@[192.0.2.1]"], MESSAGE)
            for rcpt, (code, text) in e.exception.recipients.items():
                self.assertEqual((code, text), (550, b"5.7.1 Relaying denied"), rcpt)
        # Nor through the LMTP or unauthenticated submission listeners.
        with smtplib.LMTP("127.0.0.1", self.ports["lmtp"], timeout=60) as s:
            s.ehlo()
            s.mail("a@example.net")
            self.assertEqual(s.rcpt("victim@example.com")[0], 550)
        with smtplib.SMTP("127.0.0.1", self.ports["submission"], timeout=60) as s:
            s.ehlo()
            self.assertEqual(s.mail("a@example.net")[0], 530)

    def test_nul_overlong_lines_and_8bit_commands_get_clear_errors(self):
        raw = Raw(self.ports["smtp"])
        raw.reply()
        raw.cmd(b"EHLO hostile.example.net")
        self.assertEqual(raw.cmd(b"NO\x00OP"), (500, ["5.5.2 NUL octet in command"]))
        self.assertEqual(raw.cmd(b"NOOP " + b"A" * 100000), (500, ["5.5.2 Line too long"]))
        code, text = raw.cmd("MAIL FROM:<jörg@example.net>".encode())
        self.assertEqual((code, text[0][:5]), (553, "5.6.7"))
        code, text = raw.cmd("NÖOP".encode())
        self.assertEqual((code, text[0][:5]), (500, "5.5.2"))
        self.assertEqual(raw.cmd("MAIL FROM:<jörg@example.net> SMTPUTF8".encode())[0], 250)
        self.assertEqual(raw.cmd(b"NOOP")[0], 250, "the session goes on")
        raw.close()

    def test_error_counter_ends_an_abusive_session(self):
        raw = Raw(self.ports["smtp"])
        raw.reply()
        raw.send(b"".join(b"FROB %d\r\n" % i for i in range(30)))
        codes = [raw.reply()[0] for _ in range(11)]
        self.assertEqual(codes, [500] * 10 + [421])
        self.assertTrue(raw.closed_by_server())
        raw.close()


OUTGOING = (b"From: Alice <alice@example.org>\r\n"
            b"To: friend@example.net, bob@example.org\r\n"
            b"Subject: mixed recipients\r\n"
            b"Message-ID: <out-1@example.org>\r\n"
            b"\r\n"
            b"one message, local and foreign recipients\r\n")


class SmtpSubmissionTest(SmtpCase):
    """Issue 3: authenticated submission relays to other domains through the outbound
    queue (one commit with the local copies) and may only use the user's addresses."""
    # The queue is inspected as the session left it: no delivery attempts meanwhile.
    EXTRA_CONFIG = "[outbound]\nenabled = false\n"

    def test_foreign_recipients_are_queued_with_their_dsn_parameters_in_one_commit(self):
        with self.submission("alice") as s:
            self.assertTrue(s.has_extn("dsn"))
            s.mail("alice@example.org", ["RET=HDRS", "ENVID=out+2B1"])
            self.assertEqual(s.rcpt("friend@example.net", ["NOTIFY=SUCCESS,FAILURE",
                                                           "ORCPT=rfc822;friend@example.net"])[0], 250)
            self.assertEqual(s.rcpt("bob@example.org")[0], 250)
            self.assertEqual(s.rcpt("Other@Example.COM", ["NOTIFY=NEVER"])[0], 250)
            self.assertEqual(s.rcpt("carol@example.net")[0], 250)
            self.assertEqual(s.data(OUTGOING), (250, b"2.0.0 Message accepted for delivery"))
        stored = self.assert_delivered("bob@example.org", OUTGOING, "alice@example.org", "ESMTPSA")
        queue = self.queue()
        by_rcpt = {r["rcpt"]: r for r in queue}
        self.assertEqual(sorted(by_rcpt), ["Other@Example.COM", "carol@example.net", "friend@example.net"])
        self.assertEqual({r["domain"] for r in queue}, {"example.net", "example.com"})
        for r in queue:
            self.assertEqual((r["sender"], r["envid"], r["ret"], r["state"]), ("alice@example.org", "out+1", 2, 0))
            self.assertGreater(r["submitted_by"], 0)
        self.assertEqual(by_rcpt["friend@example.net"]["notify"], 2 | 4)  # SUCCESS, FAILURE
        self.assertEqual(by_rcpt["friend@example.net"]["orcpt"], "rfc822;friend@example.net")
        self.assertEqual(by_rcpt["Other@Example.COM"]["notify"], 1)  # NEVER
        self.assertEqual(by_rcpt["carol@example.net"]["notify"], 0)  # not given
        self.assertEqual(by_rcpt["carol@example.net"]["orcpt"], "")
        # One message: the queued copy is the stored one, trace headers included.
        for entry in {r["id"] for r in queue}:
            self.assertEqual(self.queued_message(entry), self.messages("bob@example.org")[-1])
        self.assertIn(b"with ESMTPSA", stored)
        self.assertEqual(self.blob_count(), 1, "one blob")
        # `taube queue list` shows the same two entries (one per destination domain).
        cli = self.taube("queue", "list").stdout
        self.assertRegex(cli, r"(?m)^\d+ +due +example\.net +alice@example\.org +2/2 ")
        self.assertRegex(cli, r"(?m)^\d+ +due +example\.com +alice@example\.org +1/1 ")
        self.assertIn("2 entries", cli)

    def test_only_foreign_recipients_and_bdat(self):
        body = b"From: bob@example.org\r\nSubject: chunked out\r\n\r\nhello\r\n"
        raw = Raw(self.ports["submission"])
        raw.reply()
        raw.cmd(b"EHLO laptop.example.org")
        # Plain AUTH from loopback is allowed by default.
        self.assertEqual(raw.cmd(b"AUTH PLAIN AGJvYkBleGFtcGxlLm9yZwBib2ItcHc=")[0], 235)
        raw.send(b"MAIL FROM:<bob@example.org>\r\nRCPT TO:<someone@example.net>\r\n"
                 b"BDAT %d LAST\r\n" % len(body) + body)
        self.assertEqual([raw.reply()[0] for _ in range(3)], [250, 250, 250])
        raw.cmd(b"QUIT")
        raw.close()
        queue = self.queue()
        self.assertEqual([(r["domain"], r["rcpt"], r["sender"]) for r in queue],
                         [("example.net", "someone@example.net", "bob@example.org")])
        _, rest = split_trace(self.queued_message(queue[0]["id"]))
        self.assertEqual(rest, body)
        self.assertEqual(self.messages("bob@example.org"), [], "no local copy")

    def test_mx_and_lmtp_never_relay_and_unauthenticated_submission_cannot(self):
        for port in ("smtp", "lmtp"):
            cls = smtplib.LMTP if port == "lmtp" else smtplib.SMTP
            with cls("127.0.0.1", self.ports[port], timeout=60) as s:
                s.ehlo()
                s.mail("alice@example.org")
                self.assertEqual(s.rcpt("victim@example.com"), (550, b"5.7.1 Relaying denied"), port)
        with smtplib.SMTP("127.0.0.1", self.ports["submission"], timeout=60) as s:
            s.ehlo()
            self.assertEqual(s.mail("alice@example.org")[0], 530)
            self.assertEqual(s.rcpt("victim@example.com")[0], 503)
        self.assertEqual(self.queue(), [])

    def test_sender_must_be_the_users_own_address_or_alias(self):
        with self.submission("alice") as s:
            code, text = s.mail("carol@example.org")
            self.assertEqual((code, text), (553, b"5.7.1 Sender address not owned by the authenticated user"))
            # team@ resolves to alice (and bob): hers to use, in MAIL FROM and From:.
            self.assertEqual(s.sendmail("team@example.org", ["bob@example.org"],
                                        OUTGOING.replace(b"Alice <alice@", b"Team <team@")), {})
            forged = OUTGOING.replace(b"From: Alice <alice@example.org>", b"From: Carol <carol@example.org>")
            with self.assertRaises(smtplib.SMTPDataError) as e:
                s.sendmail("alice@example.org", ["bob@example.org", "friend@example.net"], forged)
            self.assertEqual((e.exception.smtp_code, e.exception.smtp_error),
                             (550, b"5.7.1 From: header address not owned by the authenticated user"))
            second_from = OUTGOING.replace(b"Subject:", b"From: ceo@example.com\r\nSubject:")
            with self.assertRaises(smtplib.SMTPDataError) as e:
                s.sendmail("alice@example.org", ["bob@example.org"], second_from)
            self.assertEqual(e.exception.smtp_code, 550)
            self.assertEqual(s.noop()[0], 250, "the session goes on")
        self.assertEqual(len(self.messages("bob@example.org")), 1, "only the honest message")
        self.assertEqual(self.queue(), [], "a refused message is not queued either")


class SmtpSenderNotEnforcedTest(SmtpCase):
    EXTRA_CONFIG = "enforce_sender = false\n"

    def test_enforce_sender_false_lets_a_user_send_as_anybody(self):
        forged = OUTGOING.replace(b"From: Alice <alice@example.org>", b"From: Carol <carol@example.org>")
        with self.submission("alice") as s:
            self.assertEqual(s.sendmail("carol@example.org", ["bob@example.org"], forged), {})
        self.assert_delivered("bob@example.org", forged, "carol@example.org", "ESMTPSA")


class SmtpLargeMessageTest(SmtpCase):
    MAX_MESSAGE_BYTES = 64 * 1024 * 1024
    EXTRA_CONFIG = "spill_threshold_bytes = 1048576\n"

    def spill_files(self):
        """Sizes of the server's open files in <data>/tmp (unlinked: O_TMPFILE or deleted)."""
        fd_dir = f"/proc/{self.server.pid}/fd"
        sizes = []
        for fd in os.listdir(fd_dir):
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
                if target.startswith(os.path.join(os.path.realpath(self.data), "tmp") + "/"):
                    sizes.append(os.stat(os.path.join(fd_dir, fd)).st_size)
            except OSError:
                continue
        return sizes

    def test_40_mb_message_is_streamed_to_a_temporary_file_and_stored_byte_exact(self):
        content = b"Subject: forty megabytes\r\nMessage-ID: <big-40@example.net>\r\n\r\n"
        lines = [b"%08d " % i + b"y" * 989 + b"\r\n" for i in range(40 * 1024 * 1024 // 1000)]
        body = b"".join(lines)
        content += body
        rss_before = self.vm_kib("VmRSS")
        raw = Raw(self.ports["smtp"], timeout=300)
        raw.reply()
        raw.cmd(b"EHLO big.example.net")
        raw.send(b"MAIL FROM:<big@example.net> SIZE=%d\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n" % len(content))
        self.assertEqual([raw.reply()[0] for _ in range(3)], [250, 250, 354])
        raw.sock.sendall(content)
        # Wait until the server has read it all: everything but the last piece
        # (at most the threshold plus one read) is in the spill file.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            spilled = self.spill_files()
            if spilled and spilled[0] >= len(content) - (1 << 20) - 65536:
                break
            time.sleep(0.1)
        self.assertTrue(raw.nothing_pending(), "no reply before the end of the data")
        rss_receiving = self.vm_kib("VmRSS")
        raw.send(b".\r\n")
        self.assertEqual(raw.reply(), (250, ["2.0.0 Message accepted for delivery"]))
        hwm_after = self.vm_hwm_kib()
        raw.cmd(b"QUIT")
        raw.close()
        grown = (rss_receiving - rss_before) / 1024
        print(f"\n40 MiB message: VmRSS {rss_before // 1024} MiB before, {rss_receiving // 1024} MiB with the "
              f"whole message received (+{grown:.1f} MiB); VmHWM after the delivery {hwm_after // 1024} MiB")
        self.assertEqual(len(spilled), 1, "the message is in an unlinked temporary file while it arrives")
        self.assertGreaterEqual(spilled[0], len(content) - (1 << 20) - 65536)
        self.assertLess(grown, 16, "the message was held in memory while it arrived")
        self.assertEqual(self.spill_files(), [], "the temporary file is closed after the delivery")
        self.assertEqual(os.listdir(os.path.join(self.data, "tmp")), [], "nothing left in <data>/tmp")
        stored = self.messages("alice@example.org")
        self.assertEqual(len(stored), 1)
        _, rest = split_trace(stored[0])
        self.assertEqual(len(rest), len(content))
        self.assertTrue(rest == content, "byte-exact")


class SmtpTotalConnectionsTest(SmtpCase):
    EXTRA_CONFIG = "max_connections = 2\nmax_connections_per_ip = 10\ndata_timeout_seconds = 2\n"

    def test_connections_in_total_are_limited_with_a_421(self):
        # smtp.max_connections counts the connections of one listener, whatever their
        # addresses; another listener has its own count.
        other = Raw(self.ports["submission"])
        self.assertEqual(other.reply()[0], 220)
        first, second = Raw(self.ports["smtp"]), Raw(self.ports["smtp"], source="127.0.0.2")
        self.assertEqual(first.reply()[0], 220)
        self.assertEqual(second.reply()[0], 220)
        third = Raw(self.ports["smtp"])
        self.assertEqual(third.reply(), (421, [f"4.7.0 {HOST} Too many connections"]))
        self.assertTrue(third.closed_by_server())
        third.close()
        first.cmd(b"QUIT")
        first.close()
        second.close()
        other.close()

    def test_a_client_stalling_in_data_is_disconnected_after_the_data_timeout(self):
        raw = Raw(self.ports["smtp"])
        raw.reply()
        raw.cmd(b"EHLO slow.example.net")
        raw.send(b"MAIL FROM:<s@example.net>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\n")
        self.assertEqual([raw.reply()[0] for _ in range(3)], [250, 250, 354])
        raw.send(b"Subject: stalled\r\n\r\nhalf a mess")
        start = time.monotonic()
        self.assertTrue(raw.closed_by_server())
        waited = time.monotonic() - start
        self.assertGreater(waited, 1.5)
        self.assertLess(waited, 8)
        raw.close()
        self.assertEqual(self.messages("alice@example.org"), [], "nothing stored from a cut DATA")


class SmtpAuthThrottleTest(SmtpCase):
    def auth(self, source, user, password):
        s = smtplib.SMTP("127.0.0.1", self.ports["submission"], timeout=60, source_address=(source, 0))
        try:
            s.ehlo()
            # One mechanism only: smtplib.login would retry with LOGIN and count twice.
            s.user, s.password = user, password
            try:
                return s.auth("PLAIN", s.auth_plain)[0]
            except smtplib.SMTPAuthenticationError as e:
                return e.smtp_code
        finally:
            s.close()

    def parallel(self, attempts):
        codes = [None] * len(attempts)

        def run(i, args):
            codes[i] = self.auth(*args)

        threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(attempts)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        return codes

    def test_auth_failures_are_throttled_per_address_and_per_account(self):
        # Per client address: 10 failures, then even the right password is refused.
        start = time.monotonic()
        codes = self.parallel([("127.0.0.1", "alice@example.org", "guess%d" % i) for i in range(10)])
        self.assertEqual(codes, [535] * 10)
        self.assertGreater(time.monotonic() - start, 1.5, "each failure is answered late")
        self.assertEqual(self.auth("127.0.0.1", "bob@example.org", "bob-pw"), 454)
        self.assertEqual(self.auth("127.0.0.2", "bob@example.org", "bob-pw"), 235, "other addresses are not")
        # Per account: 30 failures from 30 addresses, then the account is refused
        # from a fresh address too, while other accounts are not.
        codes = self.parallel([("127.0.1.%d" % (i + 1), "carol@example.org", "guess") for i in range(30)])
        self.assertEqual(codes, [535] * 30)
        self.assertEqual(self.auth("127.0.2.1", "carol@example.org", "carol-pw"), 454)
        self.assertEqual(self.auth("127.0.2.1", "alice@example.org", "alice-pw"), 235)


if __name__ == "__main__":
    unittest.main()
