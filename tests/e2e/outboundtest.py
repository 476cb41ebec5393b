"""Support for the outbound tests: a taube node in its own data directory (several per
test), and a scripted SMTP peer (a small socket server standing in for another MTA).
Standard library only."""
import email
import email.policy
import imaplib
import os
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from taubetest import TAUBE, free_ports

# Outbound settings for tests: retries and polling in seconds, not minutes.
FAST = """
[outbound]
retry_initial_seconds = 1
retry_max_seconds = 2
poll_interval_ms = 100
lease_seconds = 10
idle_connection_seconds = 2
tls = "opportunistic"
"""


class Node:
    """`taube serve` for one domain, listeners on free loopback ports."""

    def __init__(self, domain, users=("alice",), extra_config=""):
        self._tmp = tempfile.TemporaryDirectory(prefix="taube-ob-")
        self.data = self._tmp.name
        self.domain = domain
        self.users = users
        self.extra_config = extra_config
        self.proc = None
        self.run("init")
        self.run("domain", "add", domain)
        for u in users:
            self.run("user", "add", f"{u}@{domain}", stdin=f"{u}-pw\n")

    def run(self, *args, stdin=None, check=True):
        cmd = [TAUBE, "--data", self.data] + list(args)
        if os.path.exists(os.path.join(self.data, "taube.toml")):
            cmd[1:1] = ["--config", os.path.join(self.data, "taube.toml")]
        p = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120)
        if check and p.returncode != 0:
            raise AssertionError(f"{' '.join(cmd)} exited {p.returncode}: {p.stdout}{p.stderr}")
        return p

    def start(self, extra_config=None):
        if extra_config is not None:
            self.extra_config = extra_config
        names = ["smtp", "submission", "submissions", "lmtp", "imap", "imaps", "pop3", "pop3s", "http", "https"]
        # Ports chosen here may be taken by a parallel test before taube binds them:
        # then try fresh ones. Ports a test set itself (routes name them) are kept.
        chosen_here = not hasattr(self, "ports")
        for attempt in range(3):
            if chosen_here:
                self.ports = dict(zip(names, free_ports(len(names))))
            lines = ["[listen]"] + [f'{n} = "127.0.0.1:{p}"' for n, p in self.ports.items()]
            lines += ["[server]", f'hostname = "mx.{self.domain}"']
            with open(os.path.join(self.data, "taube.toml"), "w") as f:
                f.write("\n".join(lines) + "\n" + self.extra_config)
            if getattr(self, "log", None):
                self.log.close()
            self.log = open(os.path.join(self.data, "serve.log"), "a+")
            since = len(self.log_text())  # a restarted node's earlier "ready" does not count
            self.proc = subprocess.Popen([TAUBE, "--data", self.data, "--config",
                                          os.path.join(self.data, "taube.toml"), "serve"],
                                         stdout=self.log, stderr=subprocess.STDOUT)
            try:
                self.wait_for_log("event=server.ready", since=since)
                return self
            except AssertionError:
                if not chosen_here or attempt == 2 or "Address already in use" not in self.log_text()[since:]:
                    raise

    def log_text(self):
        self.log.flush()
        with open(os.path.join(self.data, "serve.log"), errors="replace") as f:
            return f.read()

    def wait_for_log(self, needle, timeout=30, since=0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_text()
            if needle in text[since:]:
                return text
            if self.proc.poll() is not None:
                raise AssertionError(f"taube exited {self.proc.returncode}:\n{text[-4000:]}")
            time.sleep(0.05)
        raise AssertionError(f"no '{needle}' within {timeout}s:\n{self.log_text()[-4000:]}")

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None or self.proc.poll() is not None:
            return None
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=60)
        self.proc = None
        return rc

    def stop_cleanly(self, case):
        """SIGTERM; `case` asserts exit code 0 and a log free of sanitizer reports."""
        rc = self.stop()
        log = self.log_text()
        case.assertEqual(rc, 0, log[-3000:])
        case.assertNotIn("AddressSanitizer", log)
        case.assertNotIn("runtime error:", log)

    def wait_until(self, case, cond, timeout=60, what="condition"):
        """Polls cond; on timeout fails `case` with the queue and the log's tail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return
            time.sleep(0.1)
        case.fail(f"timed out waiting for {what}\n{self.queue_list()}\n{self.log_text()[-3000:]}")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def close(self):
        self.kill()
        if getattr(self, "log", None):
            self.log.close()
        self._tmp.cleanup()

    def submit(self, user, rcpts, message):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        with smtplib.SMTP("127.0.0.1", self.ports["submission"], timeout=60) as s:
            s.starttls(context=ctx)
            s.ehlo("laptop")
            s.login(f"{user}@{self.domain}", f"{user}-pw")
            refused = s.sendmail(f"{user}@{self.domain}", rcpts, message)
            if refused:
                raise AssertionError(f"refused: {refused}")

    def inbox(self, user):
        """Every INBOX message of user as email.message.EmailMessage."""
        return [email.message_from_bytes(raw, policy=email.policy.default)
                for raw in self.inbox_raw(user)]

    def inbox_raw(self, user):
        """Every INBOX message of user as the bytes the server stored."""
        with imaplib.IMAP4("127.0.0.1", self.ports["imap"], timeout=60) as m:
            m.login(f"{user}@{self.domain}", f"{user}-pw")
            m.select("INBOX", readonly=True)
            typ, data = m.uid("SEARCH", None, "ALL")
            out = []
            for uid in data[0].split():
                typ, d = m.uid("FETCH", uid, "(BODY.PEEK[])")
                out.append(d[0][1])
            m.logout()
            return out

    def queue_list(self):
        return self.run("queue", "list").stdout

    def wait_queue_empty(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            out = self.queue_list()
            if "queue is empty" in out:
                return
            time.sleep(0.3)
        raise AssertionError("queue not empty:\n" + self.queue_list())


class Peer:
    """A scripted SMTP server on a free loopback port. `decide(kind, arg, count)` returns
    the reply line for "rcpt" (arg: address) and "data" (arg: message bytes); count is
    how many times that kind was asked before. Accepted messages (2xx at end of data)
    are in `delivered` as (sender, [rcpts], bytes). `delay` slows every reply."""

    def __init__(self, decide=None, caps=("PIPELINING", "8BITMIME", "SIZE 100000000"), delay=0.0):
        self.decide = decide or (lambda kind, arg, n: "250 2.0.0 ok")
        self.caps = caps
        self.delay = delay
        self.delivered = []
        self.counts = {}
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def _ask(self, kind, arg):
        with self.lock:
            n = self.counts.get(kind, 0)
            self.counts[kind] = n + 1
        return self.decide(kind, arg, n)

    def _accept(self):
        while not self.stopped:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _session(self, conn):
        f = conn.makefile("rb")

        def send(line):
            if self.delay:
                time.sleep(self.delay)
            conn.sendall(line.encode() + b"\r\n")

        try:
            send("220 peer.test ESMTP sink")
            sender, rcpts = None, []
            while True:
                line = f.readline()
                if not line:
                    return
                cmd = line.rstrip(b"\r\n").decode("utf-8", "replace")
                verb = cmd[:4].upper()
                if verb == "EHLO":
                    lines = ["peer.test"] + list(self.caps)
                    for i, l in enumerate(lines):
                        conn.sendall(f"250{' ' if i == len(lines) - 1 else '-'}{l}\r\n".encode())
                elif verb == "HELO":
                    send("250 peer.test")
                elif verb == "MAIL":
                    sender, rcpts = cmd[cmd.index("<") + 1:cmd.index(">")], []
                    send("250 2.1.0 ok")
                elif verb == "RCPT":
                    addr = cmd[cmd.index("<") + 1:cmd.index(">")]
                    reply = self._ask("rcpt", addr)
                    if reply.startswith("2"):
                        rcpts.append(addr)
                    send(reply)
                elif verb == "DATA":
                    if not rcpts:
                        send("554 5.5.1 no valid recipients")
                        continue
                    send("354 go ahead")
                    data = b""
                    while True:
                        l = f.readline()
                        if not l:
                            return
                        if l == b".\r\n":
                            break
                        data += l[1:] if l.startswith(b"..") else l
                    reply = self._ask("data", data)
                    if reply.startswith("2"):
                        with self.lock:
                            self.delivered.append((sender, list(rcpts), data))
                    send(reply)
                elif verb == "RSET":
                    sender, rcpts = None, []
                    send("250 2.0.0 ok")
                elif verb == "NOOP":
                    send("250 2.0.0 ok")
                elif verb == "QUIT":
                    send("221 2.0.0 bye")
                    return
                else:
                    send("502 5.5.2 not implemented")
        except OSError:
            pass
        finally:
            conn.close()

    def close(self):
        self.stopped = True
        self.sock.close()
