"""Outbound delivery end to end (issue 5): the real `taube serve` delivers queued mail
through [outbound.routes] to a scripted SMTP peer or to a second taube node, retries
4xx with backoff, bounces 5xx with an RFC 3464 DSN, and `taube queue` shows it."""
import re
import subprocess
import time
import unittest

from dnstest import DnsServer
from outboundtest import FAST, Node, Peer



def message(sender, to, subject, body="hello\r\n"):
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{subject.replace(' ', '-')}@test>\r\n\r\n{body}").encode()


class OutboundToPeerTest(unittest.TestCase):
    def setUp(self):
        self.dns = DnsServer({"mx.a.test": ["A 127.0.0.1"]}, zones=["b.test"]).start()
        self.node = Node("a.test", users=("alice",))
        self.peer = None

    def tearDown(self):
        try:
            if self.node.proc is not None:
                self.node.stop_cleanly(self)
        finally:
            self.node.close()
            if self.peer:
                self.peer.close()
            self.dns.stop()

    def start(self, peer):
        self.peer = peer
        self.node.start(FAST + f'[outbound.routes]\n"b.test" = "{peer.address}"\n'
                        f'[dns]\nresolver = "{self.dns.address}"\n')

    def wait(self, cond, timeout=60, what="condition"):
        self.node.wait_until(self, cond, timeout, what)

    def test_4xx_then_2xx_is_delivered_exactly_once_after_a_retry(self):
        self.start(Peer(lambda kind, arg, n: "451 4.3.0 try again later" if kind == "data" and n == 0
                        else "250 2.0.0 ok"))
        self.node.submit("alice", ["bob@b.test"], message("alice@a.test", "bob@b.test", "retry me"))
        self.wait(lambda: self.peer.delivered, what="delivery")
        self.node.wait_queue_empty()
        time.sleep(1.5)  # a duplicate would come within the retry interval
        self.assertEqual(len(self.peer.delivered), 1)
        self.assertEqual(self.peer.counts["data"], 2, "one refused and one accepted attempt")
        sender, rcpts, data = self.peer.delivered[0]
        self.assertEqual((sender, rcpts), ("alice@a.test", ["bob@b.test"]))
        self.assertIn(b"Subject: retry me\r\n", data)
        log = self.node.log_text()
        self.assertIn("state=deferred", log)
        self.assertIn("state=delivered", log)
        self.assertEqual(self.node.inbox("alice"), [], "no DSN for a delivered message")

    def test_5xx_bounces_to_the_sender_as_a_multipart_report(self):
        self.start(Peer(lambda kind, arg, n: "550 5.1.1 <nobody@b.test>: no such user"
                        if kind == "rcpt" and arg == "nobody@b.test" else "250 2.0.0 ok"))
        self.node.submit("alice", ["nobody@b.test", "bob@b.test"],
                         message("alice@a.test", "nobody@b.test, bob@b.test", "bounce me"))
        self.wait(lambda: self.node.inbox("alice"), what="the DSN in alice's INBOX")
        self.node.wait_queue_empty()
        self.assertEqual([r for _, r, _ in self.peer.delivered], [["bob@b.test"]])
        (dsn,) = self.node.inbox("alice")
        self.assertEqual(dsn.get_content_type(), "multipart/report")
        self.assertEqual(dsn.get_param("report-type"), "delivery-status")
        self.assertEqual(dsn["Auto-Submitted"], "auto-replied")
        parts = list(dsn.iter_parts())
        self.assertEqual([p.get_content_type() for p in parts],
                         ["text/plain", "message/delivery-status", "message/rfc822"])
        # message/delivery-status: per-message fields, then one block per recipient.
        blocks = parts[1].get_payload()
        self.assertEqual(blocks[0]["Reporting-MTA"], "dns; mx.a.test")
        recipients = blocks[1:]
        self.assertEqual(len(recipients), 1, "only the failed recipient")
        self.assertEqual(recipients[0]["Final-Recipient"], "rfc822; nobody@b.test")
        self.assertEqual(recipients[0]["Action"], "failed")
        self.assertEqual(recipients[0]["Status"], "5.1.1")
        self.assertIn("no such user", recipients[0]["Diagnostic-Code"])
        original = parts[2].get_payload()[0]
        self.assertEqual(original["Subject"], "bounce me")
        self.assertIn("nobody@b.test", parts[0].get_content())

    def test_8bit_message_to_a_peer_without_8bitmime_bounces_with_a_clear_reason(self):
        self.start(Peer(caps=("PIPELINING",)))
        self.node.submit("alice", ["bob@b.test"],
                         b"From: alice@a.test\r\nTo: bob@b.test\r\nSubject: 8bit\r\n"
                         b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
                         b"\r\nGr\xc3\xbc\xc3\x9fe\r\n")
        self.wait(lambda: self.node.inbox("alice"), what="the DSN")
        (dsn,) = self.node.inbox("alice")
        status = list(dsn.iter_parts())[1].get_payload()[1]
        self.assertEqual(status["Status"], "5.6.3")
        self.assertIn("8BITMIME", status["Diagnostic-Code"])
        self.assertEqual(self.peer.delivered, [])

    def test_delay_notice_then_bounce_on_expiry(self):
        # Timings in seconds here; defaults are 4 hours and 5 days.
        self.peer = Peer(lambda kind, arg, n: "451 4.4.5 mailbox busy" if kind == "rcpt" else "250 ok")
        self.node.start(FAST + "delay_notice_after_seconds = 1\ngive_up_after_seconds = 5\n"
                        f'[outbound.routes]\n"b.test" = "{self.peer.address}"\n'
                        f'[dns]\nresolver = "{self.dns.address}"\n')
        self.node.submit("alice", ["bob@b.test"], message("alice@a.test", "bob@b.test", "slow"))
        self.wait(lambda: len(self.node.inbox("alice")) >= 2, timeout=60, what="delay notice and bounce")
        self.node.wait_queue_empty()
        notices = self.node.inbox("alice")
        self.assertEqual(len(notices), 2, [m["Subject"] for m in notices])
        actions = []
        for m in notices:
            self.assertEqual(m.get_content_type(), "multipart/report")
            rcpt = list(m.iter_parts())[1].get_payload()[1]
            actions.append((rcpt["Action"], rcpt["Status"]))
        self.assertEqual(actions[0], ("delayed", "4.4.5"))
        self.assertEqual(actions[1], ("failed", "4.4.7"))
        self.assertEqual(list(notices[0].iter_parts())[2].get_content_type(), "text/rfc822-headers")
        self.assertEqual(self.peer.delivered, [])

    def test_queue_cli_hold_release_show_delete(self):
        # The peer defers every time: the entry stays queued.
        self.start(Peer(lambda kind, arg, n: "451 4.7.1 greylisted" if kind == "rcpt" else "250 ok"))
        self.node.submit("alice", ["bob@b.test"], message("alice@a.test", "bob@b.test", "cli"))
        self.wait(lambda: self.peer.counts.get("rcpt", 0) >= 1, what="an attempt")
        listing = self.node.queue_list()
        self.assertIn("b.test", listing)
        self.assertIn("alice@a.test", listing)
        entry = listing.splitlines()[1].split()[0]
        self.assertIn("1 entry", listing)
        show = self.node.run("queue", "show", entry).stdout
        self.assertIn("bob@b.test  pending  451 4.7.1 greylisted", show)
        self.assertIn("sender:       alice@a.test", show)
        self.assertIn(f"entry {entry}: held", self.node.run("queue", "hold", entry).stdout)
        self.assertIn("held", self.node.queue_list().splitlines()[1])
        before = self.peer.counts["rcpt"]
        time.sleep(2.5)
        self.assertEqual(self.peer.counts["rcpt"], before, "no attempt while held")
        self.node.run("queue", "release", entry)
        self.wait(lambda: self.peer.counts["rcpt"] > before, what="an attempt after release")
        self.node.run("queue", "retry", entry)
        self.assertIn("deleted", self.node.run("queue", "delete", entry).stdout)
        self.assertIn("queue is empty", self.node.queue_list())
        bad = self.node.run("queue", "show", "999999", check=False)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("error", bad.stderr)


def dkim_generate(node, selector):
    """`taube dkim generate` on node's data: (record name, TXT record for dnstest)."""
    out = node.run("dkim", "generate", node.domain, "--selector", selector).stdout
    zone_line = out.strip().splitlines()[-1]
    strings = re.findall(r'"([^"]*)"', zone_line)
    return f"{selector}._domainkey.{node.domain}", "TXT " + " ".join(f'"{s}"' for s in strings)


def python_dkim_verifies(raw, dns_port):
    """python3-dkim (Debian) verifies raw, looking the key up in the test's DNS."""
    code = ("import sys, dkim, dns.resolver\n"
            "r = dns.resolver.Resolver(configure=False)\n"
            "r.nameservers = ['127.0.0.1']; r.port = int(sys.argv[1])\n"
            "def txt(name, timeout=5):\n"
            "    a = r.resolve(name.decode().rstrip('.'), 'TXT', lifetime=timeout)\n"
            "    return b''.join(b''.join(x.strings) for x in a)\n"
            "sys.exit(0 if dkim.verify(sys.stdin.buffer.read(), dnsfunc=txt) else 1)\n")
    p = subprocess.run(["/usr/bin/python3", "-c", code, str(dns_port)], input=raw, capture_output=True)
    return p.returncode == 0


class TwoNodesTest(unittest.TestCase):
    def test_users_of_two_nodes_write_to_each_other_through_routes(self):
        a = Node("a.test", users=("alice",))
        b = Node("b.test", users=("bob",))
        # Each domain publishes its DKIM key, SPF and DMARC policy in the test's DNS.
        records = {"mx.a.test": ["A 127.0.0.1"], "mx.b.test": ["A 127.0.0.1"]}
        for node in (a, b):
            name, txt = dkim_generate(node, "s1")
            records[name] = [txt]
            records[node.domain] = ['TXT "v=spf1 ip4:127.0.0.1 -all"']
            records["_dmarc." + node.domain] = ['TXT "v=DMARC1; p=reject"']
        dns = DnsServer(records).start()
        try:
            from taubetest import free_ports
            names = ["smtp", "submission", "submissions", "lmtp", "imap", "imaps", "pop3", "pop3s", "http",
                     "https"]
            ports = free_ports(2 * len(names))  # distinct across both nodes
            a.ports = dict(zip(names, ports[:len(names)]))
            b.ports = dict(zip(names, ports[len(names):]))
            dns_conf = f'[dns]\nresolver = "{dns.address}"\n'
            a.start(FAST + f'[outbound.routes]\n"b.test" = "127.0.0.1:{b.ports["smtp"]}"\n' + dns_conf)
            b.start(FAST + f'[outbound.routes]\n"a.test" = "127.0.0.1:{a.ports["smtp"]}"\n' + dns_conf)
            a.submit("alice", ["bob@b.test"], message("alice@a.test", "bob@b.test", "from a to b"))
            b.submit("bob", ["alice@a.test"], message("bob@b.test", "alice@a.test", "from b to a"))
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not (b.inbox("bob") and a.inbox("alice")):
                time.sleep(0.2)
            got_b, got_a = b.inbox("bob"), a.inbox("alice")
            self.assertEqual([m["Subject"] for m in got_b], ["from a to b"], a.log_text()[-3000:])
            self.assertEqual([m["Subject"] for m in got_a], ["from b to a"], b.log_text()[-3000:])
            self.assertEqual(got_b[0]["From"], "alice@a.test")
            # A's signature, checked by an independent implementation against the key
            # A published, and B's own verdict in its Authentication-Results.
            for node, got in ((b, got_b), (a, got_a)):
                raw = node.inbox_raw("bob" if node is b else "alice")[0]
                self.assertTrue(python_dkim_verifies(raw, dns.port), raw[:2000])
                self.assertFalse(python_dkim_verifies(raw.replace(b"hello", b"jello"), dns.port))
                results = " ".join(" ".join(v.split()) for v in got[0].get_all("Authentication-Results", []))
                self.assertIn(f"mx.{node.domain};", results)
                self.assertIn("dkim=pass", results)
                self.assertIn("spf=pass", results)
                self.assertIn("dmarc=pass", results)
            a.wait_queue_empty()
            b.wait_queue_empty()
            for node in (a, b):
                node.stop_cleanly(self)
        finally:
            a.close()
            b.close()
            dns.stop()


if __name__ == "__main__":
    unittest.main()
