"""The fault test (issue 7, `make fault-test`): a pg_auto_failover formation on
loopback (monitor, primary, synchronous standby; tuned as in HA-NOTES.md), two taube
nodes with a multi-host conninfo, and a load of SMTP messages to both nodes. During
the load the primary's machine dies (SIGKILL of pg_autoctl and postgres) and is
brought back; later one taube node is SIGKILLed and restarted on the same data (its
spool survives). Meanwhile an IMAP client on the other node reads and writes every
100 ms over one connection, never reconnecting.

Afterwards every message that got 250 must be in its mailbox exactly once (checked
over IMAP), no sender may have seen a 4xx/5xx reply, and the longest window of failed
IMAP writes must stay under 30 s (target 5 s). The last line printed is
`fault-test: acknowledged=N lost=L duplicated=D smtp_failures=F imap_read_gap_s=R imap_write_gap_s=W`.

Message accounting: each message carries a unique token. A sender whose connection
is cut by the node kill before the 250 does not know whether the message was taken
(RFC 5321 4.1.5's classic window); it sends it again as a new message with a new
token, as a real MTA would retry, and the cut one is not counted as acknowledged. It
may then be present once or not at all, never twice."""
import imaplib
import os
import re
import signal
import smtplib
import subprocess
import tempfile
import threading
import time
import unittest

import pgtest
from taubetest import TAUBE, TaubeCase, free_port

DOMAIN = "example.org"
USERS = {f"load{i}@{DOMAIN}": f"load{i}-pw" for i in range(4)}
PROBE = (f"probe@{DOMAIN}", "probe-pw")
MESSAGES = int(os.environ.get("TAUBE_FAULT_MESSAGES", "2000"))
SENDERS_PER_NODE = 4
TOKEN = re.compile(rb"fault-(\d+)-(\d+)")


class Window:
    """The longest time between two successful operations of one kind (a read or a
    write of the IMAP probe): failed and stalled operations both widen it. About
    0.15 s when nothing goes wrong (the probe's own pace)."""

    def __init__(self):
        self.last_ok = None
        self.longest = 0.0
        self.failures = 0

    def record(self, ok, now):
        if not ok:
            self.failures += 1
            return
        if self.last_ok is not None:
            self.longest = max(self.longest, now - self.last_ok)
        self.last_ok = now



@unittest.skipUnless(pgtest.auto_failover_available(), "pg_auto_failover (pg_autoctl) is not installed")
class FailoverTest(TaubeCase):
    def setUp(self):
        super().setUp()
        started = time.monotonic()
        self.paf = pgtest.AutoFailover()
        self.addCleanup(self.paf.stop)
        self.paf.start()
        print(f"fault-test: formation up in {time.monotonic() - started:.1f}s", flush=True)
        url = self.paf.url()
        self.taube("--store", url, "domain", "add", DOMAIN)
        for user, password in list(USERS.items()) + [PROBE]:
            self.taube("--store", url, "user", "add", user, stdin=password + "\n")
        self.nodes = {name: self.start_node(name) for name in ("a", "b")}
        with smtplib.SMTP("127.0.0.1", self.nodes["a"].ports["smtp"], timeout=30) as s:
            s.sendmail("seed@example.net", [PROBE[0]], "Subject: probe\r\n\r\nprobe\r\n")

    def start_node(self, name, data=None):
        data = data or tempfile.mkdtemp(prefix=f"taube-node-{name}-", dir=self.data)
        config = os.path.join(data, "taube.toml")
        if not os.path.exists(config):
            ports = {"smtp": free_port(), "imap": free_port()}
            listen = "\n".join(f'{p} = "127.0.0.1:{ports[p]}"' if p in ports else f'{p} = ""'
                               for p in ["smtp", "submission", "submissions", "lmtp", "imap", "imaps",
                                         "pop3", "pop3s", "http", "https"])
            with open(config, "w") as f:
                f.write(f'[store]\nurl = "{self.paf.url()}"\n[listen]\n{listen}\n')
            with open(os.path.join(data, "ports"), "w") as f:
                f.write(f"{ports['smtp']} {ports['imap']}\n")
        with open(os.path.join(data, "ports")) as f:
            smtp, imap = f.read().split()
        log = open(os.path.join(data, "serve.log"), "a+")
        proc = subprocess.Popen([TAUBE, "--data", data, "--config", config, "serve"],
                                stdout=log, stderr=subprocess.STDOUT)
        proc.log = log
        proc.ports = {"smtp": int(smtp), "imap": int(imap)}
        proc.data = data
        self.servers.append(proc)
        self.wait_for_log(proc, "event=server.ready", timeout=60)
        return proc

    # --- load -------------------------------------------------------------------

    def sender(self, node_name, index, todo, results):
        """Sends messages from `todo` through one node, one SMTP session at a time."""
        conn = None
        users = sorted(USERS)
        attempt = 0
        while True:
            with results["lock"]:
                if not todo:
                    break
                n = todo.pop()
            while True:  # until this message number got a 250
                attempt += 1
                token = f"fault-{n}-{index * 100000 + attempt}"
                user = users[n % len(users)]
                body = (f"From: sender{index}@example.net\r\nTo: {user}\r\nSubject: {token}\r\n"
                        f"Message-ID: <{token}@example.net>\r\n\r\nload message {n}\r\n")
                node = self.nodes[node_name]
                if conn is None:
                    try:
                        conn = smtplib.SMTP("127.0.0.1", node.ports["smtp"], timeout=60)
                    except (OSError, smtplib.SMTPException):
                        conn = None  # the node is down (killed, restarting): nothing sent
                        time.sleep(0.2)
                        continue
                try:
                    conn.sendmail(f"sender{index}@example.net", [user], body)
                except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as e:
                    # A reply from a live server that is not 250: a failure the
                    # sender sees (the spool should make this impossible).
                    reply = (e.smtp_code, str(e.smtp_error)) if hasattr(e, "smtp_code") else e.recipients
                    with results["lock"]:
                        results["smtp_failures"].append((token, reply))
                    try:
                        conn.rset()
                    except Exception:
                        conn = None
                    time.sleep(0.2)
                    continue
                except (OSError, smtplib.SMTPException):
                    # Connection cut during the transaction (the node was killed):
                    # the outcome is unknown to the sender.
                    with results["lock"]:
                        results["cut"].append(token)
                    conn = None
                    time.sleep(0.2)
                    continue
                with results["lock"]:
                    results["acked"].append(token)
                break
        if conn is not None:
            try:
                conn.quit()
            except Exception:
                pass

    # --- IMAP probe -------------------------------------------------------------

    def imap_probe(self, node, kind, stop, window, log):
        """One IMAP session on `node` that reads (FETCH + STATUS) or writes (STORE
        of a flag, toggled) every 100 ms until `stop`, never reconnecting."""
        imap = imaplib.IMAP4("127.0.0.1", node.ports["imap"], timeout=60)
        imap.login(*PROBE)
        imap.select("INBOX")
        flag = False
        while not stop.is_set():
            started = time.monotonic()
            try:
                if kind == "read":
                    typ, data = imap.fetch("1", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
                    if typ == "OK":
                        typ, data = imap.status("INBOX", "(MESSAGES UIDNEXT)")
                else:
                    flag = not flag
                    typ, data = imap.store("1", "+FLAGS" if flag else "-FLAGS", "(\\Flagged)")
                ok = typ == "OK"
            except imaplib.IMAP4.error as e:
                ok, data = False, str(e)
            now = time.monotonic()
            window.record(ok, now)
            if not ok or now - started > 1:
                log.append((kind, round(now - started, 2), "ok" if ok else str(data)[:100]))
            time.sleep(0.1)
        imap.logout()

    # --- checks -----------------------------------------------------------------

    def stored_tokens(self):
        found = {}
        for user, password in USERS.items():
            imap = imaplib.IMAP4("127.0.0.1", self.nodes["a"].ports["imap"], timeout=60)
            imap.login(user, password)
            typ, data = imap.select("INBOX")
            self.assertEqual(typ, "OK", data)
            if int(data[0]) > 0:
                typ, data = imap.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
                self.assertEqual(typ, "OK")
                for item in data:
                    if isinstance(item, tuple):
                        m = TOKEN.search(item[1])
                        if m:
                            token = m.group(0).decode()
                            found[token] = found.get(token, 0) + 1
            imap.logout()
        return found

    def spooled(self):
        total = 0
        for node in self.nodes.values():
            spool = os.path.join(node.data, "spool")
            for root, _, files in os.walk(spool):
                total += sum(1 for f in files if not f.startswith("."))
        return total

    def test_failover_under_load(self):
        results = {"lock": threading.Lock(), "acked": [], "cut": [], "smtp_failures": []}
        todo = list(range(MESSAGES))
        reads, writes = Window(), Window()
        stop = threading.Event()
        probe_log = []
        probes = [threading.Thread(target=self.imap_probe,
                                   args=(self.nodes["a"], kind, stop, window, probe_log))
                  for kind, window in (("read", reads), ("write", writes))]
        for p in probes:
            p.start()
        senders = []
        for i, name in enumerate(["a", "b"] * SENDERS_PER_NODE):
            t = threading.Thread(target=self.sender, args=(name, i, todo, results))
            t.start()
            senders.append(t)
        started = time.monotonic()

        def progress():
            with results["lock"]:
                return len(results["acked"])

        def wait_progress(count, timeout=300):
            deadline = time.monotonic() + timeout
            while progress() < count and time.monotonic() < deadline:
                time.sleep(0.05)

        # The primary's machine dies at a quarter of the load.
        wait_progress(MESSAGES // 4)
        old = self.paf.primary()
        killed_at = time.monotonic()
        self.paf.kill_node(old)
        print(f"fault-test: killed primary {old} after {progress()} acknowledged "
              f"({killed_at - started:.1f}s)", flush=True)
        self.paf.wait_for(lambda s: any(n != old and v[0] == v[1] and v[0] in ("wait_primary", "primary")
                                        for n, v in s.items()), "new primary", timeout=60)
        print(f"fault-test: {self.paf.primary()} promoted {time.monotonic() - killed_at:.1f}s after the kill",
              flush=True)
        self.paf.restart_node(old)

        # One taube node dies at two thirds of the load, and comes back on its data.
        wait_progress(MESSAGES * 2 // 3)
        b = self.nodes["b"]
        b.kill()
        b.wait()
        print(f"fault-test: SIGKILLed taube node b after {progress()} acknowledged", flush=True)
        time.sleep(1)
        self.nodes["b"] = self.start_node("b", data=b.data)
        for t in senders:
            t.join(timeout=600)
        elapsed = time.monotonic() - started
        # Let the rejoining database node and the spools settle, then stop probing.
        deadline = time.monotonic() + 60
        while self.spooled() and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(2)
        stop.set()
        for p in probes:
            p.join(timeout=60)

        acked = results["acked"]
        found = self.stored_tokens()
        lost = [t for t in acked if found.get(t, 0) == 0]
        duplicated = [t for t, c in found.items() if c > 1]
        cut_present = sum(1 for t in results["cut"] if found.get(t, 0) == 1)
        print(f"fault-test: {len(acked)} messages acknowledged in {elapsed:.1f}s "
              f"({len(acked) / elapsed:.0f}/s); {len(results['cut'])} sends cut by the node kill "
              f"({cut_present} of them stored once, resent anyway); {self.spooled()} still spooled")
        print(f"fault-test: IMAP probe on node a: {reads.failures} failed reads, "
              f"{writes.failures} failed writes; slow or failed: {probe_log[:8]}")
        if results["smtp_failures"]:
            print(f"fault-test: SMTP failures: {results['smtp_failures'][:5]}")
        if lost:
            print(f"fault-test: lost: {lost[:10]}")
        if duplicated:
            print(f"fault-test: duplicated: {duplicated[:10]}")
        print(f"fault-test: acknowledged={len(acked)} lost={len(lost)} duplicated={len(duplicated)} "
              f"smtp_failures={len(results['smtp_failures'])} imap_read_gap_s={reads.longest:.2f} "
              f"imap_write_gap_s={writes.longest:.2f}", flush=True)
        self.assertGreaterEqual(len(acked), MESSAGES)
        self.assertEqual(lost, [])
        self.assertEqual(duplicated, [])
        self.assertEqual(results["smtp_failures"], [])
        self.assertLess(writes.longest, 30.0)


class StoppablePostgres(pgtest.Postgres):
    def pause(self):
        self._run(f"{pgtest.PG_BIN}/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def resume(self):
        self._run(f"{pgtest.PG_BIN}/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w",
                  "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1", "start")


@unittest.skipUnless(pgtest.available(), "PostgreSQL 15 server binaries are not installed")
class StartWhileDatabaseDownTest(TaubeCase):
    """A node starts while PostgreSQL is down: degraded from the start, SMTP accepts
    into the spool (the local domains are remembered from its last run), and the
    mail reaches the mailbox once the database is back."""

    def test_node_starts_degraded_and_replays_when_the_database_is_back(self):
        pg = StoppablePostgres().start()
        self.addCleanup(pg.stop)
        self.taube("--store", pg.url(), "domain", "add", DOMAIN)
        self.taube("--store", pg.url(), "user", "add", PROBE[0], stdin=PROBE[1] + "\n")
        config = self.isolated_config()
        with open(config, "a") as f:
            f.write(f'[store]\nurl = "{pg.url()}"\n')
        node = self.start_server(config=config)
        self.wait_for_log(node, "event=server.ready")
        time.sleep(3)  # one health probe: the local domains are written down
        self.stop_server(node)
        pg.pause()
        node = self.start_server(config=config)
        with smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=60) as s:
            s.sendmail("someone@example.net", [PROBE[0]], "Subject: while down\r\n\r\nspooled\r\n")
        pg.resume()
        deadline = time.monotonic() + 60
        count = 0
        while time.monotonic() < deadline:
            try:
                imap = imaplib.IMAP4("127.0.0.1", self.ports["imap"], timeout=10)
                imap.login(*PROBE)
                typ, data = imap.select("INBOX")
                imap.logout()
                if typ == "OK":
                    count = int(data[0])
                    if count:
                        break
            except (OSError, imaplib.IMAP4.error):
                pass
            time.sleep(0.5)
        self.assertEqual(count, 1)
        rc, log = self.stop_server(node)
        self.assertEqual(rc, 0, log)


if __name__ == "__main__":
    unittest.main()
