#!/usr/bin/python3
"""Print the tables of bench/imap_bench.sh from its results directory."""
import json
import os
import sys

res = sys.argv[1]


def load(name):
    p = os.path.join(res, name)
    return json.load(open(p)) if os.path.exists(p) else None


misc = {}
if os.path.exists(os.path.join(res, "misc")):
    for line in open(os.path.join(res, "misc")):
        k, v = line.split(" ", 1)
        misc[k] = v.strip()


def ratio(a, b):
    return f"{b / a:.2f}x" if a and b else "-"


qt, qd = load("query_taube.json"), load("query_dovecot.json")
if qt and qd:
    lt, ld = load("load_taube.json"), load("load_dovecot.json")
    print(f"\nLarge mailbox: {qt['exists']} messages in taube, {qd['exists']} in dovecot "
          f"(maildir, no fts); median of {len(qd['FETCH 1:* (UID FLAGS)']['all_ms'])} runs")
    print(f"load average before {misc.get('mailbox_loadavg_before')}, "
          f"after {misc.get('mailbox_loadavg_after')}")
    print(f"{'command':28} {'taube ms':>10} {'dovecot ms':>11} {'dovecot/taube':>14} {'hits t/d':>12}")
    for k in ("FETCH 1:* (UID FLAGS)", "UID SEARCH SUBJECT", "SEARCH TEXT", "SORT (DATE)"):
        a, b = qt[k], qd[k]
        for who, x in (("taube", a), ("dovecot", b)):
            if x.get("error"):
                print(f"  ({who} {k}: {x['error']})")
        print(f"{k:28} {a['median_ms']!s:>10} {b['median_ms']!s:>11} "
              f"{ratio(a['median_ms'], b['median_ms']):>14} {str(a['results']) + '/' + str(b['results']):>12}")
    if lt and ld:
        print(f"{'load (APPEND), msg/s':28} {lt['msg_per_s']:>10} {ld['msg_per_s']:>11} "
              f"   (taube {lt['seconds']} s, dovecot {ld['seconds']} s)")

idles = [load(f) for f in sorted(os.listdir(res)) if f.startswith("idle_")]
idles = [i for i in idles if i]
if idles:
    print("\nIDLE memory (sum of Pss of all server processes, settled minus before)")
    print(f"{'server':22} {'conns':>7} {'opened':>7} {'open s':>7} {'KiB/conn':>9} {'loadavg':>16}  note")
    for i in idles:
        print(f"{i['name']:22} {i['requested']:>7} {i['opened']:>7} {i['open_s']:>7} "
              f"{i['kib_per_conn']:>9} {i['loadavg']:>16}  {i['note']}"
              + (f" errors={i['errors']}" if i['errors'] else "")
              + (f" still_open={i['still_open']}" if i['still_open'] != i['opened'] else ""))
    if misc.get("idle_cap"):
        print("  " + misc["idle_cap"])
    # Plain against plain, TLS against TLS.
    def is_tls(i):
        return "tls" in i["name"]
    dv = [i for i in idles if i["name"].startswith("dovecot")]
    for t in [i for i in idles if i["name"].startswith("taube")]:
        for d in dv:
            if d['kib_per_conn'] and is_tls(d) == is_tls(t):
                print(f"  {t['name']} / {d['name']}: {t['kib_per_conn'] / d['kib_per_conn']:.2f}"
                      " (target: at most 0.50)")
    floor = load("tls_floor.json")
    if floor:
        print(f"  OpenSSL alone ({floor['openssl']}, {floor['version']}): "
              f"{floor['live_heap_bytes_per_connection'] / 1024:.1f} KiB live heap per idle server "
              f"connection (bench/tls_floor.cpp), the floor under every TLS figure above")

wt, wd = load("wake_taube.json"), load("wake_dovecot.json")
if wt or wd:
    print(f"\nIDLE wake-up: one LMTP delivery to every user at once (10 sessions x 100 rcpt); "
          f"ms from delivery start to the client's EXISTS")
    print(f"load average before {misc.get('wake_loadavg_before')}, after {misc.get('wake_loadavg_after')}")
    print(f"{'server':10} {'round':8} {'clients':>7} {'woken':>6} {'closed':>6} {'lmtp ms':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, w in (("taube", wt), ("dovecot", wd)):
        if not w:
            continue
        for rnd in ("live", "settled"):
            r = w[rnd]
            print(f"{name:10} {rnd:8} {r['clients']:>7} {r['woken']:>6} {r.get('closed_by_server', 0):>6} {r['lmtp_ms']:>8} "
                  f"{r['p50_ms']!s:>8} {r['p99_ms']!s:>8} {r['max_ms']!s:>8}")
    print("  live: IDLE began 1 s before delivery; settled: 12 s later "
          "(dovecot's sessions hibernated after 5 s)")

rt, rd = load("relogin_taube.json"), load("relogin_dovecot.json")
if rt or rd:
    print("\nRe-login storm: clients connect, LOGIN, SELECT INBOX, LOGOUT (200 at a time)")
    print(f"{'server':10} {'round':8} {'clients':>7} {'ok':>6} {'seconds':>8} {'logins/s':>9}  errors")
    for name, r in (("taube", rt), ("dovecot", rd)):
        if not r:
            continue
        for rnd in ("cold", "again"):
            x = r[rnd]
            print(f"{name:10} {rnd:8} {x['clients']:>7} {x['ok']:>6} {x['seconds']:>8} "
                  f"{x['logins_per_s']:>9}  {x['errors'] or ''}")
