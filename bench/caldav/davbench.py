"""CalDAV calendar-query benchmark driver: loads the same calendar (N events, a quarter
of them recurring) into a running CalDAV server with PUTs, then times time-range
calendar-queries over the same ranges. Prints one JSON line with the figures.

  davbench.py --url http://127.0.0.1:PORT/dav/calendars/u@bench.test/calendar/ \
              --user u@bench.test --password pw [--mkcalendar] --events 10000 --queries 50

Standard library only (Debian's /usr/bin/python3)."""
import argparse
import base64
import datetime
import http.client
import json
import os
import random
import statistics
import sys
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

QUERY = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start}" end="{end}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""

BASE = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def fmt(t):
    return t.strftime("%Y%m%dT%H%M%SZ")


def events(n, seed=7):
    """Deterministic: n events over 2026, every fourth weekly/daily recurring."""
    rnd = random.Random(seed)
    for i in range(n):
        start = BASE + datetime.timedelta(days=rnd.randrange(365), hours=rnd.randrange(7, 19))
        end = start + datetime.timedelta(minutes=rnd.choice((30, 60, 90)))
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//taube bench//EN", "BEGIN:VEVENT",
                 f"UID:bench-{i}@bench.test", "DTSTAMP:20260101T000000Z",
                 f"DTSTART:{fmt(start)}", f"DTEND:{fmt(end)}", f"SUMMARY:Event {i}"]
        if i % 4 == 0:
            kind = (i // 4) % 3
            if kind == 0:
                lines.append(f"RRULE:FREQ=WEEKLY;COUNT={rnd.randrange(5, 30)}")
            elif kind == 1:
                lines.append(f"RRULE:FREQ=DAILY;COUNT={rnd.randrange(3, 15)}")
            else:
                lines.append("RRULE:FREQ=MONTHLY;INTERVAL=1")  # endless
        lines += ["END:VEVENT", "END:VCALENDAR", ""]
        yield f"bench-{i}.ics", "\r\n".join(lines)


def ranges(q, seed=11):
    """q ranges: a mix of one day, one week and one month windows over 2026."""
    rnd = random.Random(seed)
    out = []
    for i in range(q):
        length = (1, 7, 31)[i % 3]
        start = BASE + datetime.timedelta(days=rnd.randrange(0, 365 - length))
        out.append((fmt(start), fmt(start + datetime.timedelta(days=length))))
    return out


class Client:
    def __init__(self, url, user, password):
        u = urllib.parse.urlsplit(url)
        self.host, self.port, self.path = u.hostname, u.port, u.path
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.conn = None

    def request(self, method, path, body=b"", headers=None):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)
            h = {"Authorization": self.auth}
            h.update(headers or {})
            try:
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, data
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")


def load(args, objects):
    errors = []
    chunks = [objects[i::args.connections] for i in range(args.connections)]

    def worker(chunk):
        c = Client(args.url, args.user, args.password)
        for name, text in chunk:
            status, data = c.request("PUT", c.path + name, text.encode(),
                                     {"Content-Type": "text/calendar; charset=utf-8"})
            if status not in (201, 204):
                errors.append((name, status, data[:200]))
                return

    threads = [threading.Thread(target=worker, args=(ch,)) for ch in chunks]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        sys.exit(f"PUT failed: {errors[:3]}")
    return time.perf_counter() - t0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--url", required=True)
    p.add_argument("--user", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--mkcalendar", action="store_true")
    p.add_argument("--events", type=int, default=10000)
    p.add_argument("--queries", type=int, default=60)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--write-dir", help="load by writing one .ics per event into this folder "
                   "(a Radicale collection folder) instead of PUT")
    args = p.parse_args()
    c = Client(args.url, args.user, args.password)
    if args.mkcalendar:
        status, data = c.request("MKCALENDAR", c.path)
        if status not in (201, 405):
            sys.exit(f"MKCALENDAR {status}: {data[:200]}")
    objects = list(events(args.events))
    if args.write_dir:
        t0 = time.perf_counter()
        for name, text in objects:
            with open(os.path.join(args.write_dir, name), "w", newline="") as f:
                f.write(text)
        load_s = time.perf_counter() - t0
    else:
        load_s = load(args, objects)
    # One untimed round checks the answers (match counts, compared across servers by
    # the caller) and warms caches; then `rounds` timed rounds.
    times, counts = [], []
    for r in range(args.rounds + 1):
        for start, end in ranges(args.queries):
            body = QUERY.format(start=start, end=end).encode()
            t0 = time.perf_counter()
            status, data = c.request("REPORT", c.path, body,
                                     {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
            dt = time.perf_counter() - t0
            if status != 207:
                sys.exit(f"REPORT {status}: {data[:300]}")
            if r == 0:
                counts.append(len(ET.fromstring(data).findall("{DAV:}response")))
            else:
                times.append(dt * 1000)
    print(json.dumps({"load_s": round(load_s, 2), "load": "files" if args.write_dir else "PUT", "events": args.events, "queries": len(times),
                      "median_ms": round(statistics.median(times), 2),
                      "mean_ms": round(statistics.mean(times), 2),
                      "p90_ms": round(sorted(times)[int(len(times) * 0.9) - 1], 2),
                      "matches": counts}))


if __name__ == "__main__":
    main()
