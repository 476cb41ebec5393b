"""Inbound mail authentication end to end: a throwaway DNS server (dnstest.py,
Debian's unbound) publishes SPF, DKIM and DMARC records; mail sent by smtplib to
the real `taube serve` MX listener is stored with the Authentication-Results the
records call for (read back over IMAP), and DMARC is enforced (p=reject -> 550
5.7.1, p=quarantine -> Junk). The DKIM signatures are made by python3-dkim with a
key from `taube dkim generate`, whose printed TXT record is what DNS serves."""
import email
import imaplib
import re
import smtplib
import socket
import subprocess
import time
import unittest

from dnstest import DnsServer
from taubetest import TaubeCase

AUTHSERV = "mx.local.test"
PASSWORD = "secret-password-1"


def message(sender, subject, extra_headers=""):
    return (f"From: {sender}\r\nTo: bob@local.test\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '.')}@test>\r\n{extra_headers}"
            f"\r\nHello Bob,\r\nthis is {subject}.\r\n").encode()


def dkim_sign(raw, key_file, domain, selector):
    """python3-dkim signs (an independent implementation)."""
    code = ("import dkim, sys\n"
            "raw = sys.stdin.buffer.read()\n"
            "key = open(sys.argv[1], 'rb').read()\n"
            "sig = dkim.sign(raw, sys.argv[3].encode(), sys.argv[2].encode(), key,\n"
            "                include_headers=[b'from', b'to', b'subject', b'message-id'])\n"
            "sys.stdout.buffer.write(sig + raw)\n")
    out = subprocess.run(["/usr/bin/python3", "-c", code, key_file, domain, selector],
                         input=raw, capture_output=True, check=True)
    return out.stdout


class MailauthTest(TaubeCase):
    def setUp(self):
        super().setUp()
        try:
            subprocess.run(["/usr/bin/python3", "-c", "import dkim"], check=True, capture_output=True)
        except subprocess.CalledProcessError:
            self.skipTest("python3-dkim missing")

    def generate_key(self, domain, selector):
        out = self.taube("dkim", "generate", domain, "--selector", selector).stdout
        key_file = re.search(r"^wrote (.*)$", out, re.M).group(1)
        zone_line = out.strip().splitlines()[-1]
        self.assertTrue(zone_line.startswith(f"{selector}._domainkey.{domain}. IN TXT"), out)
        # The same key twice is refused: a published key is never overwritten.
        again = self.taube("dkim", "generate", domain, "--selector", selector, check=False)
        self.assertNotEqual(again.returncode, 0)
        strings = re.findall(r'"([^"]*)"', zone_line)
        return key_file, "TXT " + " ".join(f'"{s}"' for s in strings)

    def fetch_all(self, mailbox):
        imap = imaplib.IMAP4("127.0.0.1", self.ports["imap"])
        imap.login("bob@local.test", PASSWORD)
        typ, _ = imap.select(mailbox)
        self.assertEqual(typ, "OK")
        typ, data = imap.search(None, "ALL")
        messages = []
        for num in data[0].split():
            typ, parts = imap.fetch(num, "(BODY.PEEK[])")
            messages.append(email.message_from_bytes(parts[0][1]))
        imap.logout()
        return messages

    def results_of(self, msg):
        fields = [re.sub(r"\s+", " ", v) for v in msg.get_all("Authentication-Results", [])]
        ours = [v for v in fields if v.split(";")[0].strip().lower() == AUTHSERV]
        self.assertEqual(len(ours), 1, fields)
        return ours[0]

    def test_spf_dkim_dmarc_results_and_enforcement(self):
        key_file, key_record = self.generate_key("sender.test", "sel")
        records = {
            "sender.test": ['TXT "v=spf1 ip4:127.0.0.1 -all"'],
            "_dmarc.sender.test": ['TXT "v=DMARC1; p=reject"'],
            "sel._domainkey.sender.test": [key_record],
            # SPF fails for 127.0.0.1, no signature: DMARC fails, p=reject.
            "forged.test": ['TXT "v=spf1 ip4:192.0.2.1 -all"'],
            "_dmarc.forged.test": ['TXT "v=DMARC1; p=reject"'],
            # ... p=quarantine: into Junk.
            "quar.test": ['TXT "v=spf1 -all"'],
            "_dmarc.quar.test": ['TXT "v=DMARC1; p=quarantine"'],
            # ... p=none: delivered, marked.
            "nopolicy.test": ['TXT "v=spf1 ~all"'],
            "_dmarc.nopolicy.test": ['TXT "v=DMARC1; p=none"'],
        }
        with DnsServer(records) as dns:
            config = self.isolated_config()
            with open(config, "a") as f:
                f.write(f'\n[server]\nhostname = "{AUTHSERV}"\n'
                        f'\n[dns]\nresolver = "{dns.address}"\ntimeout_seconds = 5\n'
                        f'\n[mailauth]\ndmarc_policy = "enforce"\n')
            self.taube("domain", "add", "local.test")
            self.taube("user", "add", "bob@local.test", stdin=PASSWORD + "\n")
            server = self.start_server(config=config)

            smtp = smtplib.SMTP("127.0.0.1", self.ports["smtp"], local_hostname="client.sender.test",
                                timeout=60)
            # 1. Signed by python3-dkim, sent from an SPF-authorised address, with a
            #    forged Authentication-Results in our name (removed on arrival).
            raw = message("Alice <alice@sender.test>", "signed mail",
                          f"Authentication-Results: {AUTHSERV}; dmarc=pass\r\n")
            signed = dkim_sign(raw, key_file, "sender.test", "sel")
            smtp.sendmail("alice@sender.test", ["bob@local.test"], signed)
            # 2. A DKIM signature broken in transit (body changed): dkim=fail, but
            #    SPF still passes aligned, so DMARC passes.
            broken = signed.replace(b"Hello Bob", b"Hello Rob")
            smtp.sendmail("alice@sender.test", ["bob@local.test"], broken)
            # 3. p=reject: refused with 550 5.7.1, nothing stored.
            with self.assertRaises(smtplib.SMTPDataError) as refused:
                smtp.sendmail("mallory@forged.test", ["bob@local.test"],
                              message("mallory@forged.test", "forged mail"))
            self.assertEqual(refused.exception.smtp_code, 550)
            self.assertIn(b"5.7.1", refused.exception.smtp_error)
            # 4. p=quarantine: accepted into Junk.
            smtp.sendmail("eve@quar.test", ["bob@local.test"], message("eve@quar.test", "quarantined mail"))
            # 5. p=none: accepted into INBOX, marked.
            smtp.sendmail("", ["bob@local.test"], message("zed@nopolicy.test", "bounce mail"))
            smtp.quit()

            inbox = self.fetch_all("INBOX")
            junk = self.fetch_all("Junk")
            rc, log = self.stop_server(server)
            self.assertEqual(rc, 0, log)
            self.assertIn("event=smtp.mailauth", log)
            self.assertIn("event=smtp.message_rejected", log)

        self.assertEqual([m["Subject"] for m in inbox], ["signed mail", "signed mail", "bounce mail"])
        self.assertEqual([m["Subject"] for m in junk], ["quarantined mail"])
        good, bad = (self.results_of(m) for m in inbox[:2])  # in the order sent
        self.assertRegex(good, r"spf=pass .*smtp\.mailfrom=sender\.test")
        self.assertRegex(good, r"dkim=pass .*header\.d=sender\.test header\.s=sel")
        self.assertRegex(good, r"dmarc=pass .*header\.from=sender\.test")
        self.assertRegex(bad, r"dkim=fail \(body hash did not verify\)")
        self.assertRegex(bad, r"dmarc=pass")

        quarantined = self.results_of(junk[0])
        self.assertRegex(quarantined, r"spf=fail .*smtp\.mailfrom=quar\.test")
        self.assertRegex(quarantined, r"dkim=none")
        self.assertRegex(quarantined, r"dmarc=fail \(p=quarantine dis=quarantine")

        bounce = self.results_of(inbox[2])
        self.assertRegex(bounce, r"spf=none .*smtp\.helo=client\.sender\.test")
        self.assertRegex(bounce, r"dmarc=fail \(p=none dis=none")


    def test_a_silent_dns_server_cannot_hold_the_session(self):
        """Queries to a resolver that never answers: the checks stop at their deadline
        (check_timeout_seconds, each lookup bounded by dns timeout_seconds) and the
        message is stored with temperror results."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as black_hole:
            black_hole.bind(("127.0.0.1", 0))
            config = self.isolated_config()
            with open(config, "a") as f:
                f.write(f'\n[server]\nhostname = "{AUTHSERV}"\n'
                        f'\n[dns]\nresolver = "127.0.0.1:{black_hole.getsockname()[1]}"\n'
                        f'timeout_seconds = 2\n'
                        f'\n[mailauth]\ncheck_timeout_seconds = 3\ndmarc_policy = "enforce"\n')
            self.taube("domain", "add", "local.test")
            self.taube("user", "add", "bob@local.test", stdin=PASSWORD + "\n")
            server = self.start_server(config=config)
            smtp = smtplib.SMTP("127.0.0.1", self.ports["smtp"], local_hostname="client.sender.test",
                                timeout=60)
            started = time.monotonic()
            smtp.sendmail("alice@sender.test", ["bob@local.test"], message("alice@sender.test", "slow dns"))
            elapsed = time.monotonic() - started
            smtp.quit()
            inbox = self.fetch_all("INBOX")
            rc, log = self.stop_server(server)
            self.assertEqual(rc, 0, log)
        print(f"\nDATA to 250 with a silent resolver: {elapsed:.1f} s (deadline 3 s + one 2 s lookup)")
        self.assertLess(elapsed, 8)
        self.assertEqual([m["Subject"] for m in inbox], ["slow dns"])
        results = self.results_of(inbox[0])
        self.assertRegex(results, r"spf=temperror")
        self.assertRegex(results, r"dmarc=temperror")


if __name__ == "__main__":
    unittest.main()
