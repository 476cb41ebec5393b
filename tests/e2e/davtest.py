"""Shared helpers for the CalDAV/CardDAV end-to-end tests: a server with one user and a
small raw HTTP client (requests) for the requests client libraries do not make."""
import base64
import http.client
import xml.etree.ElementTree as ET

from taubetest import TaubeCase

USER = "a@example.org"
PASSWORD = "secret-pw"
NS = {"D": "DAV:", "C": "urn:ietf:params:xml:ns:caldav", "CR": "urn:ietf:params:xml:ns:carddav",
      "CS": "http://calendarserver.org/ns/"}


class DavCase(TaubeCase):
    def setUp(self):
        super().setUp()
        self.taube("init")
        self.taube("domain", "add", "example.org")
        self.taube("user", "add", USER, stdin=PASSWORD + "\n")
        self.server = self.start_server()
        self.port = self.ports["http"]
        self.base = f"http://127.0.0.1:{self.port}"

    def request(self, method, path, body=None, headers=None, auth=True, user=USER, password=PASSWORD):
        """One request on a fresh connection; returns (status, headers dict, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        h = dict(headers or {})
        if auth:
            h["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        if isinstance(body, str):
            body = body.encode()
        conn.request(method, path, body=body, headers=h)
        r = conn.getresponse()
        data = r.read()
        result = (r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        conn.close()
        return result

    def xml(self, method, path, body, depth=None, headers=None):
        h = {"Content-Type": "application/xml; charset=utf-8"}
        if depth is not None:
            h["Depth"] = str(depth)
        h.update(headers or {})
        status, hdrs, data = self.request(method, path, body, h)
        return status, (ET.fromstring(data) if data.strip().startswith(b"<") else None), data

    def healthy(self):
        status, _, body = self.request("GET", "/healthz", auth=False)
        return status == 200 and body.strip() == b"ok"


def responses(root):
    """{href: {"status": int or None, "props": {tag: element}}} from a multistatus."""
    out = {}
    for r in root.findall("D:response", NS):
        href = r.find("D:href", NS).text
        entry = {"status": None, "props": {}}
        st = r.find("D:status", NS)
        if st is not None:
            entry["status"] = int(st.text.split()[1])
        for ps in r.findall("D:propstat", NS):
            code = int(ps.find("D:status", NS).text.split()[1])
            if code != 200:
                continue
            for p in ps.find("D:prop", NS):
                entry["props"][p.tag] = p
        out[href] = entry
    return out
