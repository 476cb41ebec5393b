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


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class TaubeCase(unittest.TestCase):
    """A fresh data directory per test; `self.taube(...)` runs a command in it."""

    def setUp(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="taube-e2e-")
        self.data = self._tmp.name
        self.servers = []

    def tearDown(self):
        for proc in self.servers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.log.close()
        self._tmp.cleanup()

    def taube(self, *args, stdin=None, check=True, data=True):
        cmd = [TAUBE] + (["--data", self.data] if data else []) + list(args)
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
        self.ports = {n: free_port() for n in names}
        lines = ["[listen]"] + [f'{n} = "127.0.0.1:{p}"' for n, p in self.ports.items()]
        return self.write_config("\n".join(lines) + "\n")

    def start_server(self, *extra, config=None):
        """Starts `taube serve`; with the default configuration it retries on fresh ports
        when another process took one of the free ports in between (a rare race)."""
        fixed = config is not None
        for attempt in range(3):
            config = config if fixed else self.isolated_config()
            log = open(os.path.join(self.data, "serve.log"), "w+")
            proc = subprocess.Popen([TAUBE, "--data", self.data, "--config", config, "serve", *extra],
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
