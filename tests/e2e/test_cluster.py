"""Two taube nodes on one PostgreSQL (issue 7's two-node test): a message delivered
over SMTP through node B reaches an IMAP IDLE on node A within one second, and flag
changes made through A are seen by a session on B. Real clients only: smtplib,
imaplib and a raw socket for IDLE (imaplib in Python 3.11 has no IDLE)."""
import imaplib
import os
import smtplib
import socket
import subprocess
import tempfile
import time
import unittest

import pgtest
from taubetest import TAUBE, TaubeCase, free_port

USER = "alice@example.org"
PASSWORD = "cluster-pw"


@unittest.skipUnless(pgtest.available(), "PostgreSQL 15 server binaries are not installed")
class TwoNodesTest(TaubeCase):
    def setUp(self):
        super().setUp()
        self.pg = pgtest.Postgres().start()
        self.addCleanup(self.pg.stop)
        self.taube("--store", self.pg.url(), "domain", "add", "example.org")
        self.taube("--store", self.pg.url(), "user", "add", USER, stdin=PASSWORD + "\n")
        self.a = self.start_node("a")
        self.b = self.start_node("b")

    def start_node(self, name):
        data = tempfile.mkdtemp(prefix=f"taube-node-{name}-", dir=self.data)
        ports = {"smtp": free_port(), "imap": free_port()}
        listen = "\n".join(f'{p} = "127.0.0.1:{ports[p]}"' if p in ports else f'{p} = ""'
                           for p in ["smtp", "submission", "submissions", "lmtp", "imap", "imaps",
                                     "pop3", "pop3s", "http", "https"])
        config = os.path.join(data, "taube.toml")
        with open(config, "w") as f:
            f.write(f'[store]\nurl = "{self.pg.url()}"\n[listen]\n{listen}\n')
        log = open(os.path.join(data, "serve.log"), "w+")
        proc = subprocess.Popen([TAUBE, "--data", data, "--config", config, "serve"],
                                stdout=log, stderr=subprocess.STDOUT)
        proc.log = log
        proc.ports = ports
        self.servers.append(proc)
        self.wait_for_log(proc, "event=server.ready")
        return proc

    def idle_client(self, node):
        sock = socket.create_connection(("127.0.0.1", node.ports["imap"]), timeout=10)
        f = sock.makefile("rb")
        f.readline()  # greeting

        def command(tag, text):
            sock.sendall(f"{tag} {text}\r\n".encode())
            while True:
                line = f.readline().decode()
                if line.startswith(tag + " "):
                    self.assertTrue(line.startswith(f"{tag} OK"), line)
                    return

        command("a1", f'LOGIN "{USER}" "{PASSWORD}"')
        command("a2", "SELECT INBOX")
        sock.sendall(b"a3 IDLE\r\n")
        self.assertTrue(f.readline().startswith(b"+"))
        return sock, f

    def test_delivery_through_b_reaches_idle_on_a_within_one_second(self):
        sock, f = self.idle_client(self.a)
        try:
            body = "From: bob@example.net\r\nTo: alice@example.org\r\nSubject: across nodes\r\n\r\nhi\r\n"
            with smtplib.SMTP("127.0.0.1", self.b.ports["smtp"], timeout=30) as s:
                s.sendmail("bob@example.net", [USER], body)
            acknowledged = time.monotonic()
            sock.settimeout(5)
            line = f.readline().decode()
            latency = time.monotonic() - acknowledged
            self.assertRegex(line, r"^\* 1 EXISTS")
            print(f"cluster: IDLE on node A saw the delivery through node B after {latency * 1000:.0f} ms")
            self.assertLess(latency, 1.0)
            sock.sendall(b"DONE\r\n")
        finally:
            sock.close()

    def test_flags_set_through_a_are_seen_through_b(self):
        with smtplib.SMTP("127.0.0.1", self.b.ports["smtp"], timeout=30) as s:
            s.sendmail("bob@example.net", [USER], "Subject: flags\r\n\r\nx\r\n")
        on_b = imaplib.IMAP4("127.0.0.1", self.b.ports["imap"])
        on_b.login(USER, PASSWORD)
        on_b.select("INBOX")
        typ, data = on_b.fetch("1", "(FLAGS)")
        self.assertNotIn(b"\\Flagged", data[0])
        on_a = imaplib.IMAP4("127.0.0.1", self.a.ports["imap"])
        on_a.login(USER, PASSWORD)
        on_a.select("INBOX")
        typ, _ = on_a.store("1", "+FLAGS", "(\\Flagged)")
        self.assertEqual(typ, "OK")
        deadline = time.monotonic() + 2
        seen = b""
        while time.monotonic() < deadline:
            on_b.noop()
            typ, data = on_b.fetch("1", "(FLAGS)")
            seen = data[0]
            if b"\\Flagged" in seen:
                break
            time.sleep(0.1)
        self.assertIn(b"\\Flagged", seen)
        on_a.logout()
        on_b.logout()


if __name__ == "__main__":
    unittest.main()
