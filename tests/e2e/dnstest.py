"""A throwaway authoritative DNS server for end-to-end tests (Debian's `unbound`).

    from dnstest import DnsServer
    with DnsServer({
        "b.test": ["MX 10 mx.b.test."],
        "mx.b.test": ["A 127.0.0.1"],
        "a.test": ['TXT "v=spf1 ip4:127.0.0.1 -all"'],
        "sel._domainkey.a.test": ['TXT "v=DKIM1; k=rsa; " "p=MIIB..."'],
        "nomail.test": ["MX 0 ."],
    }) as server:
        dns.address        # "127.0.0.1:PORT": the value for taube's [dns] resolver
        dns.port

Each key is an owner name (with or without trailing dot), each value a list of
"TYPE RDATA" strings in zone-file syntax (TXT longer than 255 bytes: several quoted
strings). The zones are the distinct parent domains of the names given (every
name's last two labels, plus any name listed in `zones=`) as `static` local zones:
unknown names inside them answer NXDOMAIN, known names with another type NODATA,
names outside them REFUSED. The server listens on UDP and TCP on a free loopback
port, runs in the foreground as a child process and is stopped on exit (or by
stop()). Standard library only.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time

UNBOUND = shutil.which("unbound") or "/usr/sbin/unbound"


def _free_port():
    # A port free for both UDP and TCP on 127.0.0.1.
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    u.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


def _fqdn(name):
    return name if name.endswith(".") else name + "."


class DnsServer:
    def __init__(self, records, zones=()):
        self.records = {_fqdn(k.lower()): list(v) for k, v in records.items()}
        self.zones = {_fqdn(z.lower()) for z in zones}
        for name in self.records:
            labels = name.rstrip(".").split(".")
            self.zones.add(".".join(labels[-2:]) + ".")
        self.proc = None
        self._tmp = None

    def _config(self):
        lines = [
            "server:",
            f"  interface: 127.0.0.1@{self.port}",
            "  do-ip6: no",
            "  do-daemonize: no",
            '  username: ""',
            '  chroot: ""',
            f'  directory: "{self._tmp.name}"',
            '  pidfile: ""',
            "  use-syslog: no",
            f'  logfile: "{self.logfile}"',
            "  verbosity: 1",
            "  access-control: 127.0.0.0/8 allow",
            '  module-config: "iterator"',
            "  num-threads: 1",
            "  outgoing-range: 16",
            "  so-reuseport: no",
        ]
        for zone in sorted(self.zones):
            lines.append(f'  local-zone: "{zone}" static')
        for name, rrs in self.records.items():
            for rr in rrs:
                # unbound takes the RR in single quotes when it holds double ones
                # (TXT); a single quote cannot be given inside a TXT here.
                if "'" in rr:
                    raise ValueError(f"single quote in record {rr!r}")
                lines.append(f"  local-data: '{name} 300 IN {rr}'")
        lines += ["remote-control:", "  control-enable: no"]
        return "\n".join(lines) + "\n"

    def start(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="taube-dns-")
        self.logfile = os.path.join(self._tmp.name, "unbound.log")
        for attempt in range(3):
            self.port = _free_port()
            conf = os.path.join(self._tmp.name, "unbound.conf")
            with open(conf, "w") as f:
                f.write(self._config())
            check = subprocess.run(["/usr/sbin/unbound-checkconf", conf], capture_output=True, text=True)
            if check.returncode != 0:
                raise RuntimeError(f"unbound-checkconf: {check.stdout}{check.stderr}")
            self.proc = subprocess.Popen([UNBOUND, "-d", "-c", conf],
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if self._wait_ready():
                return self
            self.stop(cleanup=False)
        raise RuntimeError("unbound did not start: " + self.log())

    def _wait_ready(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.05)
        return False

    def log(self):
        try:
            with open(self.logfile) as f:
                return f.read()
        except OSError:
            return ""

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def stop(self, cleanup=True):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        if cleanup and self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def serve_main(argv):
    """`dnstest.py serve RECORDS_JSON`: for tests in other languages (C++ unit tests).
    Prints "127.0.0.1:PORT" on one line once the server answers, then serves until
    stdin closes (the parent exited or closed the pipe)."""
    import json
    import sys
    with DnsServer(json.loads(argv[0])) as server:
        print(server.address, flush=True)
        sys.stdin.read()


if __name__ == "__main__" and len(__import__("sys").argv) > 2 and __import__("sys").argv[1] == "serve":
    serve_main(__import__("sys").argv[2:])
elif __name__ == "__main__":
    # Self-check: /usr/bin/python3 tests/e2e/dnstest.py (uses python3-dnspython when present).
    with DnsServer({"b.test": ["MX 10 mx.b.test."], "mx.b.test": ["A 127.0.0.1", "AAAA ::1"],
                    "x.b.test": ['TXT "hello " "world"'], "nomail.test": ["MX 0 ."]}) as server:
        import dns.resolver as r  # noqa: E402 (python3-dnspython)
        res = r.Resolver(configure=False)
        res.nameservers = ["127.0.0.1"]
        res.port = server.port
        for name, t in [("b.test", "MX"), ("mx.b.test", "A"), ("mx.b.test", "AAAA"), ("x.b.test", "TXT"),
                        ("nomail.test", "MX")]:
            print(name, t, [str(x) for x in res.resolve(name, t)])
        try:
            res.resolve("none.b.test", "A")
        except r.NXDOMAIN:
            print("none.b.test NXDOMAIN")
