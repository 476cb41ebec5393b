"""Support for end-to-end tests: runs the real `taube` binary in a temporary data
directory and gives each test free loopback ports. Standard library only, so it
runs under Debian's /usr/bin/python3 with the python3-* client packages."""
import os
import signal
import socket
import subprocess
import tempfile
import time
import unittest

TAUBE = os.environ.get("TAUBE_BIN", "build/taube")
# TAUBE_TEST_STORE=postgresql runs a suite against a throwaway PostgreSQL (one server
# per process, a fresh database per test) instead of SQLite in the data directory.
STORE = os.environ.get("TAUBE_TEST_STORE", "sqlite")
_postgres = None
_databases = 0


def _new_postgres_database():
    global _postgres, _databases
    import atexit
    import pgtest
    if _postgres is None:
        _postgres = pgtest.Postgres().start()
        atexit.register(_postgres.stop)
    _databases += 1
    name = f"t{_databases}"
    _postgres._run(f"{pgtest.PG_BIN}/psql", "-h", "127.0.0.1", "-p", str(_postgres.port), "-U", "postgres",
                   "-c", f"CREATE DATABASE {name}")
    return f"postgresql://postgres@127.0.0.1:{_postgres.port}/{name}"


def psql(url, sql):
    """One value from the test's PostgreSQL database."""
    import pgtest
    out = subprocess.run([f"{pgtest.PG_BIN}/psql", url, "-At", "-c", sql], capture_output=True, text=True,
                         check=True, timeout=60)
    return out.stdout.strip()


def free_port(host="127.0.0.1"):
    return free_ports(1, host)[0]


def free_ports(n, host="127.0.0.1"):
    """n distinct free ports: all held open at once, since a port closed right away
    may be handed out again by the next bind (seen in CI: lmtp and http on one port)."""
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(s)
            s.bind((host, 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class TaubeCase(unittest.TestCase):
    """A fresh data directory per test; `self.taube(...)` runs a command in it."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="taube-e2e-")
        self.data = self._tmp.name
        self.servers = []
        self.store_url = _new_postgres_database() if STORE == "postgresql" else ""

    def store_args(self):
        return ["--store", self.store_url] if self.store_url else []

    def store_locator(self):
        """What tests/smtp_store_dump opens: the SQLite file or the PostgreSQL URL."""
        return self.store_url or os.path.join(self.data, "taube.db")

    def blob_count(self):
        if self.store_url:
            return int(psql(self.store_url, "select count(*) from blobs"))
        import sqlite3
        db = sqlite3.connect(os.path.join(self.data, "taube.db"))
        try:
            return db.execute("select count(*) from blobs").fetchone()[0]
        finally:
            db.close()

    def tearDown(self):
        for proc in self.servers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.log.close()
        self._tmp.cleanup()

    def taube(self, *args, stdin=None, check=True, data=True):
        cmd = [TAUBE] + (["--data", self.data] + self.store_args() if data else []) + list(args)
        proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            self.fail(f"{' '.join(cmd)} exited {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}")
        return proc

    def write_config(self, text):
        path = os.path.join(self.data, "taube.toml")
        with open(path, "w") as f:
            f.write(text)
        return path

    def isolated_config(self):
        """A configuration with every listener on a free loopback port (never the defaults)."""
        names = ["smtp", "submission", "submissions", "lmtp", "imap", "imaps", "pop3", "pop3s", "http", "https"]
        self.ports = dict(zip(names, free_ports(len(names))))
        lines = ["[listen]"] + [f'{n} = "127.0.0.1:{p}"' for n, p in self.ports.items()]
        return self.write_config("\n".join(lines) + "\n")

    def start_server(self, *extra, config=None):
        """Starts `taube serve`; with the default configuration it retries on fresh ports
        when another process took one of the free ports in between (a rare race)."""
        fixed = config is not None
        for attempt in range(3):
            config = config if fixed else self.isolated_config()
            log = open(os.path.join(self.data, "serve.log"), "w+")
            proc = subprocess.Popen([TAUBE, "--data", self.data, *self.store_args(), "--config", config, "serve",
                                     *extra],
                                    stdout=log, stderr=subprocess.STDOUT)
            proc.log = log
            self.servers.append(proc)
            try:
                self.wait_for_log(proc, "event=server.ready")
                return proc
            except AssertionError:
                log.seek(0)
                if fixed or attempt == 2 or "Address already in use" not in log.read():
                    raise

    def wait_for_log(self, proc, needle, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            proc.log.seek(0)
            text = proc.log.read()
            if needle in text:
                return text
            if proc.poll() is not None:
                self.fail(f"taube exited {proc.returncode} before '{needle}':\n{text}")
            time.sleep(0.05)
        proc.log.seek(0)
        self.fail(f"no '{needle}' within {timeout}s:\n{proc.log.read()}")

    def stop_server(self, proc, sig=signal.SIGTERM, timeout=30):
        proc.send_signal(sig)
        rc = proc.wait(timeout=timeout)
        proc.log.seek(0)
        return rc, proc.log.read()
