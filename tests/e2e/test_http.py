"""End-to-end HTTP tests: the real `taube serve` driven by curl (subprocess) and
Python's http.client over its http and https listeners: health, readiness,
Prometheus metrics, 404/HEAD, keep-alive reuse and limits."""
import http.client
import imaplib
import os
import re
import smtplib
import socket
import subprocess
import unittest

from taubetest import TaubeCase

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? '
                    r'(-?[0-9.e+-]+|\+Inf|-Inf|NaN)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"')


def parse_prometheus(text):
    """Strict reader of text format 0.0.4: returns {name: {"type": t, "samples": {labels: value}}},
    failing on any line that is not HELP, TYPE or a sample of the family declared before it."""
    families = {}
    current = None
    assert text.endswith("\n"), "exposition must end with a newline"
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            families.setdefault(name, {"type": None, "samples": {}})
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in ("counter", "gauge", "histogram", "summary", "untyped"), line
            families.setdefault(name, {"type": None, "samples": {}})["type"] = kind
            current = name
            continue
        m = SAMPLE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        base = current
        suffixes = ("_bucket", "_sum", "_count") if families[current]["type"] == "histogram" else ("",)
        assert any(name == base + s for s in suffixes), f"{name} outside its family {current}"
        key = tuple(sorted(LABEL.findall(labels)))
        families[base]["samples"][(name, key)] = float(value)
    return families


def sample(families, name, family=None, **labels):
    fam = families[family or name]
    return fam["samples"][(name, tuple(sorted(labels.items())))]


class HttpTest(TaubeCase):
    def setUp(self):
        super().setUp()
        self.server = self.start_server()
        self.http = self.ports["http"]
        self.https = self.ports["https"]

    def curl(self, *args):
        proc = subprocess.run(["curl", "-sS", "--max-time", "20", *args], capture_output=True, timeout=60)
        # Decoded by hand: text=True would turn the CRLF we check into LF.
        proc.stdout = proc.stdout.decode("utf-8", "replace")
        proc.stderr = proc.stderr.decode("utf-8", "replace")
        return proc

    def get(self, path, method="GET", port=None):
        conn = http.client.HTTPConnection("127.0.0.1", port or self.http, timeout=10)
        try:
            conn.request(method, path)
            resp = conn.getresponse()
            return resp.status, dict(resp.getheaders()), resp.read()
        finally:
            conn.close()

    def scrape(self):
        status, headers, body = self.get("/metrics")
        self.assertEqual(status, 200)
        self.assertEqual(headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8")
        return parse_prometheus(body.decode())

    def test_healthz_and_readyz_with_curl(self):
        proc = self.curl("-i", f"http://127.0.0.1:{self.http}/healthz")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(proc.stdout.startswith("HTTP/1.1 200 OK\r\n"), proc.stdout)
        self.assertTrue(proc.stdout.endswith("\r\n\r\nok\n"), proc.stdout)
        proc = self.curl("-w", " %{http_code}", f"http://127.0.0.1:{self.http}/readyz")
        self.assertEqual(proc.stdout, "ready\n 200")

    def test_https_with_curl(self):
        proc = self.curl("-k", "-w", " %{http_code} %{ssl_verify_result}", f"https://127.0.0.1:{self.https}/healthz")
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertTrue(proc.stdout.startswith("ok\n 200 "), proc.stdout)
        # Really TLS with the node's self-signed certificate: without -k curl refuses it.
        proc = self.curl(f"https://127.0.0.1:{self.https}/healthz")
        self.assertEqual(proc.returncode, 60, proc.stderr)
        # And the https port does not speak plain HTTP.
        proc = self.curl(f"http://127.0.0.1:{self.https}/healthz")
        self.assertNotEqual(proc.returncode, 0)
        families = self.scrape()
        # Handshakes that failed never reached a session.
        self.assertEqual(sample(families, "taube_connections_total", protocol="https"), 1)

    def test_metrics_parse_and_count_requests(self):
        first = self.scrape()
        for name, kind in [("taube_build_info", "gauge"), ("taube_connections", "gauge"),
                           ("taube_connections_total", "counter"), ("taube_degraded", "gauge"),
                           ("taube_http_requests_total", "counter"),
                           ("taube_store_readiness_seconds", "histogram")]:
            self.assertIn(name, first)
            self.assertEqual(first[name]["type"], kind, name)
        version = self.taube("version").stdout.split()[-1]
        self.assertEqual(sample(first, "taube_build_info", version=version), 1)
        self.assertEqual(sample(first, "taube_degraded"), 0)
        self.assertEqual(sample(first, "taube_connections", protocol="http"), 1)  # the scrape itself
        self.assertEqual(sample(first, "taube_connections", protocol="https"), 0)
        self.assertGreaterEqual(sample(first, "taube_store_readiness_seconds_count",
                                       family="taube_store_readiness_seconds"), 1)
        inf = sample(first, "taube_store_readiness_seconds_bucket", family="taube_store_readiness_seconds", le="+Inf")
        self.assertEqual(inf, sample(first, "taube_store_readiness_seconds_count",
                                     family="taube_store_readiness_seconds"))
        ok_before = sample(first, "taube_http_requests_total", code="200")
        self.assertEqual(self.get("/healthz")[0], 200)
        self.assertEqual(self.get("/nope")[0], 404)
        second = self.scrape()
        # The first scrape's own response and /healthz were counted since.
        self.assertEqual(sample(second, "taube_http_requests_total", code="200"), ok_before + 2)
        self.assertEqual(sample(second, "taube_http_requests_total", code="404"), 1)
        self.assertEqual(sample(second, "taube_connections_total", protocol="http"),
                         sample(first, "taube_connections_total", protocol="http") + 3)

    def test_metrics_count_open_connections_per_protocol(self):
        smtp = smtplib.SMTP("127.0.0.1", self.ports["smtp"], timeout=10)
        smtp.ehlo("metrics.example.net")
        imap = imaplib.IMAP4("127.0.0.1", self.ports["imap"])
        during = self.scrape()
        self.assertEqual(sample(during, "taube_connections", protocol="smtp"), 1)
        self.assertEqual(sample(during, "taube_connections", protocol="imap"), 1)
        smtp.quit()
        imap.logout()
        for _ in range(50):  # the sessions end asynchronously after the goodbyes
            after = self.scrape()
            if (sample(after, "taube_connections", protocol="smtp") == 0
                    and sample(after, "taube_connections", protocol="imap") == 0):
                break
        self.assertEqual(sample(after, "taube_connections", protocol="smtp"), 0)
        self.assertEqual(sample(after, "taube_connections", protocol="imap"), 0)
        self.assertEqual(sample(after, "taube_connections_total", protocol="smtp"), 1)
        self.assertEqual(sample(after, "taube_connections_total", protocol="imap"), 1)

    def test_not_found_and_head(self):
        status, headers, body = self.get("/no/such/path")
        self.assertEqual((status, body), (404, b"not found\n"))
        status, headers, body = self.get("/healthz", method="HEAD")
        self.assertEqual((status, headers["Content-Length"], body), (200, "3", b""))
        proc = self.curl("-I", f"http://127.0.0.1:{self.http}/readyz")
        self.assertTrue(proc.stdout.startswith("HTTP/1.1 200 OK\r\n"), proc.stdout)
        self.assertIn("Content-Length: 6\r\n", proc.stdout)
        status, headers, body = self.get("/healthz", method="DELETE")
        self.assertEqual((status, headers["Allow"]), (405, "GET, HEAD"))

    def test_keep_alive_reuses_one_connection(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.http, timeout=10)
        conn.request("GET", "/healthz")
        resp = conn.getresponse()
        self.assertEqual((resp.status, resp.read()), (200, b"ok\n"))
        sock = conn.sock
        self.assertIsNotNone(sock)  # http.client keeps it open only when the server did
        conn.request("GET", "/readyz")
        resp = conn.getresponse()
        self.assertEqual((resp.status, resp.read()), (200, b"ready\n"))
        self.assertIs(conn.sock, sock)
        conn.request("GET", "/metrics")
        resp = conn.getresponse()
        families = parse_prometheus(resp.read().decode())
        self.assertIs(conn.sock, sock)
        conn.close()
        # Three requests, one connection: the only http connection the node ever saw.
        self.assertEqual(sample(families, "taube_connections_total", protocol="http"), 1)

    def test_oversized_body_gets_413_and_server_stays_healthy(self):
        with socket.create_connection(("127.0.0.1", self.http), timeout=10) as s:
            s.sendall(b"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 52428800\r\n\r\n" + b"a" * 1000)
            reply = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                reply += chunk
        self.assertTrue(reply.startswith(b"HTTP/1.1 413 Content Too Large\r\n"), reply)
        self.assertIn(b"Connection: close\r\n", reply)
        # curl with a real 11 MB body (above the 10 MiB default limit).
        path = os.path.join(self.data, "big.bin")
        with open(path, "wb") as f:
            f.write(b"x" * (11 << 20))
        proc = self.curl("-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "--data-binary", f"@{path}",
                         f"http://127.0.0.1:{self.http}/upload")
        self.assertEqual(proc.stdout, "413", proc.stderr)
        # A request line and header that are far too long.
        status = self.curl("-o", "/dev/null", "-w", "%{http_code}", "-H", "X-Big: " + "b" * 20000,
                           f"http://127.0.0.1:{self.http}/healthz").stdout
        self.assertEqual(status, "431")
        self.assertEqual(self.get("/healthz")[:3:2], (200, b"ok\n"))
        self.assertEqual(self.get("/readyz")[:3:2], (200, b"ready\n"))
        families = self.scrape()
        self.assertEqual(sample(families, "taube_http_requests_total", code="413"), 2)
        self.assertEqual(sample(families, "taube_http_requests_total", code="431"), 1)
        self.assertIsNone(self.server.poll())


if __name__ == "__main__":
    unittest.main()
