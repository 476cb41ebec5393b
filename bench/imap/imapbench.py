#!/usr/bin/python3
"""Load generator of bench/imap_bench.sh: one asyncio process, plain sockets.

  load   HOST PORT USER PASS N        MULTIAPPEND N generated messages
  query  HOST PORT USER PASS REPS     time FETCH/SEARCH/SORT (blocking socket), print JSON
  idle   HOST PORT N USERFMT NUSERS   hold N IDLE connections until stdin closes
  wake   HOST PORT LMTPPORT NUSERS USERFMT   IDLE wake-up latency, print JSON
  relogin HOST PORT N USERFMT NUSERS     re-login storm (twice), logins/s, print JSON

Messages are generated deterministically from their index (seed 4), so both
servers get the same data. Every password is "bench".
"""
import asyncio
import json
import random
import socket
import ssl
import statistics
import sys
import time

PASSWORD = "bench"
SUBJECT_WORD = "zebrafinch"   # in the Subject of every 100th message
TEXT_WORD = "marzipan"        # in the body of every 100th message (offset 37)
LIMIT = 256 * 1024 * 1024

_SYL = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "shi", "den", "bar", "gel",
        "tor", "pen", "qui", "sa", "fel", "mon", "ri", "zu", "har"]
_rv = random.Random(1)
VOCAB = sorted({"".join(_rv.choice(_SYL) for _ in range(_rv.randint(2, 4)))
                for _ in range(3000)})
NAMES = ["Anna", "Ben", "Clara", "David", "Eva", "Felix", "Greta", "Hans",
         "Ines", "Jonas", "Katrin", "Lukas", "Mia", "Noah", "Olga", "Paul"]
SURN = ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
        "Becker", "Schulz", "Hoffmann", "Koch", "Richter", "Klein", "Wolf"]
DOMS = ["example.com", "stadt.example", "uni.example", "klinik.example",
        "mail.example.net"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
          "Nov", "Dec"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def message(i):
    """Message number i (0-based): varied sender, subject, date, body, 1-6 KiB."""
    r = random.Random(4_000_000 + i)
    first, last = r.choice(NAMES), r.choice(SURN)
    sender = f"{first} {last} <{first.lower()}.{r.randint(1, 999)}@{r.choice(DOMS)}>"
    words = r.choices(VOCAB, k=r.randint(3, 8))
    if i % 100 == 0:
        words.insert(r.randint(0, len(words)), SUBJECT_WORD)
    subject = " ".join(words).capitalize()
    # Dates spread over ~6 years, deliberately not in index order.
    t = 1_500_000_000 + r.randint(0, 190_000_000)
    tm = time.gmtime(t)
    date = (f"{DAYS[tm.tm_wday]}, {tm.tm_mday} {MONTHS[tm.tm_mon - 1]} {tm.tm_year} "
            f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} +0000")
    lines = []
    size = r.randint(800, 6000)
    n = 0
    while n < size:
        line = " ".join(r.choices(VOCAB, k=r.randint(6, 12)))
        lines.append(line)
        n += len(line) + 2
    if i % 100 == 37:
        lines.insert(r.randint(0, len(lines)), f"please bring the {TEXT_WORD} cake")
    body = "\r\n".join(lines)
    hdr = (f"From: {sender}\r\nTo: Bench User <bench@example.org>\r\n"
           f"Subject: {subject}\r\nDate: {date}\r\n"
           f"Message-ID: <bench.{i}@taube.example>\r\nMIME-Version: 1.0\r\n"
           f"Content-Type: text/plain; charset=utf-8\r\n"
           f"Content-Transfer-Encoding: 8bit\r\n\r\n")
    return (hdr + body + "\r\n").encode()


class Conn:
    def __init__(self, reader, writer):
        self.r, self.w, self.n = reader, writer, 0

    @classmethod
    async def open(cls, host, port, tls=False, local=None):
        ctx = None
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        r, w = await asyncio.open_connection(
            host, port, ssl=ctx, limit=LIMIT,
            local_addr=(local, 0) if local else None)
        c = cls(r, w)
        greet = await r.readline()
        if not greet.startswith(b"* OK"):
            raise RuntimeError(f"greeting: {greet!r}")
        return c

    async def line(self):
        ln = await self.r.readline()
        if not ln:
            raise RuntimeError("connection closed by server")
        # A literal at the end of a line: read it and the rest of the response.
        while ln.endswith(b"}\r\n") and b"{" in ln:
            k = int(ln[ln.rindex(b"{") + 1:-3].rstrip(b"+"))
            ln += await self.r.readexactly(k)
            ln += await self.r.readline()
        return ln

    async def cmd(self, text, data=b""):
        """Send a command, return (untagged lines, tagged line)."""
        self.n += 1
        tag = b"t%d" % self.n
        self.w.write(tag + b" " + text.encode() + b"\r\n" if not data
                     else tag + b" " + text.encode() + data)
        await self.w.drain()
        out = []
        while True:
            ln = await self.line()
            if ln.startswith(tag + b" "):
                if not ln[len(tag) + 1:].startswith(b"OK"):
                    raise RuntimeError(f"{text[:60]!r}: {ln[:200]!r}")
                return out, ln
            out.append(ln)

    async def login(self, user):
        await self.cmd(f'LOGIN "{user}" "{PASSWORD}"')


async def cmd_load(host, port, user, n, conns=8, batch=50):
    n, conns, batch = int(n), int(conns), int(batch)
    t0 = time.monotonic()
    nxt = [0]

    async def worker():
        c = await Conn.open(host, port)
        await c.login(user)
        while True:
            start = nxt[0]
            if start >= n:
                break
            end = min(n, start + batch)
            nxt[0] = end
            parts = [b" INBOX"]
            for i in range(start, end):
                m = message(i)
                parts.append(b" {%d+}\r\n" % len(m) + m)
            parts.append(b"\r\n")
            await c.cmd("APPEND", b"".join(parts))
        await c.cmd("LOGOUT")

    await asyncio.gather(*(worker() for _ in range(conns)))
    dt = time.monotonic() - t0
    print(json.dumps({"messages": n, "seconds": round(dt, 2),
                      "msg_per_s": round(n / dt, 1)}))


class SyncConn:
    """A blocking socket with a buffered reader: the query timings measure the
    server, not the client (asyncio's readline cost ~1 us per line, 100 ms of
    a 100,000-line FETCH answer, the same for both servers)."""

    def __init__(self, host, port):
        self.s = socket.create_connection((host, port))
        self.f = self.s.makefile("rb", buffering=1 << 20)
        self.n = 0
        greet = self.f.readline()
        if not greet.startswith(b"* OK"):
            raise RuntimeError(f"greeting: {greet!r}")

    def line(self):
        ln = self.f.readline()
        if not ln:
            raise RuntimeError("connection closed by server")
        while ln.endswith(b"}\r\n") and b"{" in ln:
            k = int(ln[ln.rindex(b"{") + 1:-3].rstrip(b"+"))
            ln += self.f.read(k)
            ln += self.f.readline()
        return ln

    def cmd(self, text):
        self.n += 1
        tag = b"t%d" % self.n
        self.s.sendall(tag + b" " + text.encode() + b"\r\n")
        out = []
        while True:
            ln = self.line()
            if ln.startswith(tag + b" "):
                if not ln[len(tag) + 1:].startswith(b"OK"):
                    raise RuntimeError(f"{text[:60]!r}: {ln[:200]!r}")
                return out, ln
            out.append(ln)

    def close(self):
        self.s.close()


def open_query_conn(host, port, user):
    c = SyncConn(host, port)
    c.cmd(f'LOGIN "{user}" "{PASSWORD}"')
    return c


def cmd_query(host, port, user, reps):
    reps = int(reps)
    c = open_query_conn(host, port, user)
    out, _ = c.cmd("SELECT INBOX")
    exists = next(int(l.split()[1]) for l in out if l.rstrip().endswith(b"EXISTS"))
    queries = [
        ("FETCH 1:* (UID FLAGS)", "FETCH 1:* (UID FLAGS)"),
        ("UID SEARCH SUBJECT", f"UID SEARCH SUBJECT {SUBJECT_WORD}"),
        ("SEARCH TEXT", f"SEARCH TEXT {TEXT_WORD}"),
        ("SORT (DATE)", "SORT (DATE) UTF-8 ALL"),
    ]
    res = {"exists": exists}
    for name, q in queries:
        times, hits = [], None
        try:
            for _ in range(reps):
                t0 = time.perf_counter()
                out, _ = c.cmd(q)
                times.append((time.perf_counter() - t0) * 1000)
                if name.startswith("FETCH"):
                    hits = sum(1 for l in out if b" FETCH " in l)
                else:
                    hits = sum(len(l.split()) - 2 for l in out
                               if l.startswith((b"* SEARCH", b"* SORT")))
        except (RuntimeError, OSError) as e:
            res[name] = {"median_ms": None, "all_ms": [], "results": None,
                         "error": str(e)[:200]}
            if "closed" in str(e) or isinstance(e, OSError):
                c.close()
                c = open_query_conn(host, port, user)
                c.cmd("SELECT INBOX")
            continue
        res[name] = {"median_ms": round(statistics.median(times), 1),
                     "all_ms": [round(t, 1) for t in times], "results": hits}
    c.cmd("LOGOUT")
    c.close()
    print(json.dumps(res))


async def open_idle(host, port, user, tls, local):
    c = await Conn.open(host, port, tls=tls, local=local)
    await c.login(user)
    await c.cmd("SELECT INBOX")
    c.n += 1
    c.w.write(b"i%d IDLE\r\n" % c.n)
    await c.w.drain()
    ln = await c.line()
    if not ln.startswith(b"+"):
        raise RuntimeError(f"IDLE: {ln!r}")
    return c


async def gather_limited(coros, limit):
    sem = asyncio.Semaphore(limit)

    async def one(co):
        async with sem:
            return await co
    return await asyncio.gather(*(one(co) for co in coros), return_exceptions=True)


async def cmd_idle(host, port, n, userfmt, nusers, tls="0", offset="0",
                   parallel=100):
    """Open N IDLE connections (users round-robin), report, hold until stdin EOF."""
    n, nusers, tls, offset = int(n), int(nusers), tls == "1", int(offset)
    t0 = time.monotonic()
    # Spread over source addresses 127.0.0.2.. (20,000 per address is fine on
    # loopback, but this keeps the kernel's port search short).
    coros = [open_idle(host, port, userfmt % ((i + offset) % nusers + 1), tls,
                       f"127.0.0.{2 + (i + offset) // 10000}") for i in range(n)]
    res = await gather_limited(coros, int(parallel))
    conns = [c for c in res if isinstance(c, Conn)]
    errs = [r for r in res if not isinstance(r, Conn)]
    msg = {"opened": len(conns), "failed": len(errs),
           "seconds": round(time.monotonic() - t0, 1)}
    if errs:
        kinds = {}
        for e in errs:
            k = f"{type(e).__name__}: {str(e)[:120]}"
            kinds[k] = kinds.get(k, 0) + 1
        msg["errors"] = kinds
    print(json.dumps(msg), flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)
    # Count the connections still open (the server may have dropped some).
    alive = sum(1 for c in conns if not c.r.at_eof())
    print(json.dumps({"still_open": alive}), flush=True)
    for c in conns:
        c.w.close()


async def lmtp_deliver(host, port, rcpts, i):
    r, w = await asyncio.open_connection(host, port)

    async def reply():
        while True:
            ln = await r.readline()
            if not ln:
                raise RuntimeError("LMTP closed")
            if ln[3:4] != b"-":
                if ln[:1] not in (b"2", b"3"):
                    raise RuntimeError(f"LMTP: {ln!r}")
                return ln
    await reply()
    w.write(b"LHLO bench\r\n"); await reply()
    w.write(b"MAIL FROM:<bench@example.com>\r\n"); await reply()
    for rc in rcpts:
        w.write(b"RCPT TO:<%s>\r\n" % rc.encode()); await reply()
    w.write(b"DATA\r\n"); await reply()
    w.write(message(i).replace(b"\r\n.", b"\r\n..") + b".\r\n")
    await w.drain()
    for _ in rcpts:
        await reply()
    w.write(b"QUIT\r\n")
    await w.drain()
    w.close()


async def cmd_wake(host, port, lport, nusers, userfmt, hib_wait="12",
                   chunk="100"):
    """Round 1 ("live"): everyone logs in and selects, then all IDLE at once and
    a message is delivered 1 s later. Round 2 ("settled"): the same sessions
    stay in IDLE for HIB_WAIT s (Dovecot hibernates them), then a second
    message. Latency = delivery start -> that client's `* N EXISTS`."""
    nusers, chunk = int(nusers), int(chunk)
    users = [userfmt % (i + 1) for i in range(nusers)]

    async def prep(u):
        c = await Conn.open(host, port)
        await c.login(u)
        out, _ = await c.cmd("SELECT INBOX")
        c.exists = next(int(l.split()[1]) for l in out
                        if l.rstrip().endswith(b"EXISTS"))
        return c
    res = await gather_limited([prep(u) for u in users], 50)
    bad = [r for r in res if not isinstance(r, Conn)]
    if bad:
        raise RuntimeError(f"{len(bad)} logins failed, first: {bad[0]!r}")
    conns = res
    for c in conns:
        c.w.write(b"w IDLE\r\n")
    await asyncio.gather(*(c.w.drain() for c in conns))
    for c in conns:
        ln = await c.line()
        if not ln.startswith(b"+"):
            raise RuntimeError(f"IDLE: {ln!r}")

    async def watch(c, want):
        while True:
            try:
                ln = await c.line()
            except (RuntimeError, ConnectionError) as e:
                c.closed = str(e)
                return None
            p = ln.split()
            if len(p) == 3 and p[2] == b"EXISTS" and int(p[1]) >= want:
                return time.monotonic()

    out = {}
    for rnd, wait in (("live", 1.0), ("settled", float(hib_wait))):
        await asyncio.sleep(wait)
        watchers = [asyncio.ensure_future(watch(c, c.exists + 1)) for c in conns]
        t0 = time.monotonic()
        await asyncio.gather(*(lmtp_deliver(host, lport, users[k:k + chunk], 500 + k)
                               for k in range(0, nusers, chunk)))
        t_acked = time.monotonic() - t0
        try:
            done = await asyncio.wait_for(asyncio.gather(*watchers), 120)
        except asyncio.TimeoutError:
            done = [w.result() for w in watchers if w.done()]
            for w in watchers:
                w.cancel()
        closed = sum(1 for t in done if t is None)
        done = [t for t in done if t is not None]
        lat = sorted((t - t0) * 1000 for t in done)
        q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] if lat else None
        out[rnd] = {"clients": nusers, "woken": len(lat), "closed_by_server": closed,
                    "lmtp_ms": round(t_acked * 1000, 1),
                    "p50_ms": round(q(0.50), 1) if lat else None,
                    "p99_ms": round(q(0.99), 1) if lat else None,
                    "max_ms": round(lat[-1], 1) if lat else None}
        for c in conns:
            c.exists += 1
        conns = [c for c in conns if not getattr(c, "closed", None)]
    for c in conns:
        c.w.close()
    print(json.dumps(out))


async def cmd_relogin(host, port, n, userfmt, nusers, parallel="200"):
    """Re-login storm: N clients (users round-robin) connect, LOGIN, SELECT
    INBOX and LOGOUT, PARALLEL at a time; twice. Round "cold" may pay a
    password hash per user; round "again" is the reconnect after an outage
    (every user has logged in before). Prints logins/s of each round."""
    n, nusers, parallel = int(n), int(nusers), int(parallel)

    async def one(i):
        c = await Conn.open(host, port, local=f"127.0.0.{2 + i // 10000}")
        await c.login(userfmt % (i % nusers + 1))
        await c.cmd("SELECT INBOX")
        await c.cmd("LOGOUT")
        c.w.close()
        return True
    out = {}
    for rnd in ("cold", "again"):
        t0 = time.monotonic()
        res = await gather_limited([one(i) for i in range(n)], parallel)
        dt = time.monotonic() - t0
        ok = sum(1 for r in res if r is True)
        errs = {}
        for r in res:
            if r is not True:
                k = f"{type(r).__name__}: {str(r)[:100]}"
                errs[k] = errs.get(k, 0) + 1
        out[rnd] = {"clients": n, "ok": ok, "seconds": round(dt, 2),
                    "logins_per_s": round(ok / dt, 1), "errors": errs or None}
    print(json.dumps(out))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    fn = {"load": cmd_load, "query": cmd_query, "idle": cmd_idle,
          "wake": cmd_wake, "relogin": cmd_relogin}[cmd]
    if cmd == "load":
        host, port, user, _pw, n, *rest = args
        asyncio.run(fn(host, int(port), user, n, *rest))
    elif cmd == "query":
        host, port, user, _pw, reps = args
        fn(host, int(port), user, reps)
    elif cmd == "idle":
        asyncio.run(fn(args[0], int(args[1]), *args[2:]))
    elif cmd == "wake":
        asyncio.run(fn(args[0], int(args[1]), int(args[2]), *args[3:]))
    elif cmd == "relogin":
        asyncio.run(fn(args[0], int(args[1]), *args[2:]))


if __name__ == "__main__":
    main()
