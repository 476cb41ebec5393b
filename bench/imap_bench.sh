#!/usr/bin/env bash
# IMAP benchmarks of Taube against Dovecot 2.3, measured on this machine in the
# same run (issue 4, "Done means"). Three parts:
#
#   mailbox  The same N generated messages (IMAP_BENCH_MESSAGES, default
#            100,000; 1-6 KiB, varied senders, subjects, dates, bodies) are
#            loaded into one Taube and one Dovecot (Maildir) INBOX by parallel
#            MULTIAPPEND (8 connections, 50 messages per command; load time is
#            printed). Then, REPS times each, median ms per command:
#              FETCH 1:* (UID FLAGS)
#              UID SEARCH SUBJECT zebrafinch   (in 1% of the subjects)
#              SEARCH TEXT marzipan            (in 1% of the bodies)
#              SORT (DATE) UTF-8 ALL
#            Dovecot runs without the fts plugin (its default): SEARCH TEXT reads
#            the messages. The first repetition is included (the caches are warm
#            from the load anyway).
#   idle     N connections (LOGIN userK, SELECT INBOX, IDLE; users round-robin
#            over the wake-up users) are opened and held. Memory = sum of Pss
#            from /proc/PID/smaps_rollup over all of the server's processes
#            (taube: one; dovecot: the master and all its children) after the
#            sessions settled, minus the same sum just before they were opened,
#            divided by N. Taube at IMAP_BENCH_IDLE (20,000) plain and over IMAPS,
#            each from a fresh Taube process (restarted on the same data: no
#            heap left over from an earlier part or run, and both runs pay the
#            same first logins);
#            Dovecot at IMAP_BENCH_DOVECOT_IDLE ("1000 5000") with imap-hibernate
#            (settled = no imap process left, or the count stopped falling),
#            plain and over IMAPS, each from a fresh Dovecot. Plain is compared
#            with plain, TLS with TLS; bench/tls_floor.cpp prints what OpenSSL
#            alone keeps per idle server connection.
#   wake     IMAP_BENCH_USERS (1,000) users each IDLE in their own connection;
#            one message is delivered to every user at once over LMTP (10
#            parallel LMTP sessions, 100 recipients per transaction); latency per
#            client = delivery start -> its `* N EXISTS`. Round "live": IDLE
#            started 1 s before delivery (Dovecot's imap processes still there);
#            round "settled": 12 s later (Dovecot sessions hibernated).
#   relogin  Re-login storm: IMAP_BENCH_RELOGIN (5,000) clients over the
#            1,000 users connect, LOGIN, SELECT INBOX, LOGOUT, 200 at a time;
#            round "cold" then round "again" (a reconnect after an outage:
#            every user logged in before, Taube's verification cache is warm).
#            Logins/s of each round, Taube and Dovecot.
#
# The load generators run on the same 2 cores as the server; the load average
# is printed with each table. The idle and wake parts use
# bench/imap/idle_load.cpp (C++, epoll, OpenSSL; built here with g++ into the
# temp dir; idle: one process per IMAP_BENCH_IDLE_PER_GEN connections, at most
# IMAP_BENCH_IDLE_PARALLEL connections between connect and IDLE at a time over
# all processes); mailbox and relogin use bench/imap/imapbench.py (one asyncio
# process), which also still has idle and wake (IMAP_BENCH_GEN=python).
#
# Usage: bench/imap_bench.sh [--quick]
#   IMAP_BENCH_PARTS          "mailbox idle wake" or a subset  (default all)
#   IMAP_BENCH_MESSAGES       messages in the big mailbox      (default 100000; --quick 5000)
#   IMAP_BENCH_REPS           repetitions per command          (default 5)
#   IMAP_BENCH_IDLE           Taube IDLE connections           (default 20000; --quick 2000; 0: none)
#   IMAP_BENCH_DOVECOT_IDLE   Dovecot IDLE connections         (default "1000 5000"; --quick "1000")
#   IMAP_BENCH_TLS=0          skip the IMAPS IDLE runs (Taube and Dovecot)
#   IMAP_BENCH_USERS          wake-up users                    (default 1000; --quick 200)
#   IMAP_BENCH_RELOGIN        re-login storm clients           (default 5000; --quick 1000)
#   IMAP_BENCH_IDLE_PARALLEL  IDLE connections being opened at once, all generators (default 200)
#   IMAP_BENCH_IDLE_PER_GEN   IDLE connections per generator process (default 10000)
#   IMAP_BENCH_GEN=python     the asyncio generator for idle and wake too (default cpp)
#   IMAP_BENCH_KEEP=1         keep the temp dir
#   TAUBE_BIN                 taube binary (default build/taube)
# Needs root (Dovecot's master; ulimit -n is raised). Binds 127.0.0.x only;
# every process started is stopped by pid and the temp dir removed on exit,
# Ctrl-C included.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
HERE=$ROOT/bench/imap
PY=/usr/bin/python3
GEN="$PY $HERE/imapbench.py"

PARTS=${IMAP_BENCH_PARTS:-mailbox idle wake relogin}
MESSAGES=${IMAP_BENCH_MESSAGES:-100000}
REPS=${IMAP_BENCH_REPS:-5}
IDLE_N=${IMAP_BENCH_IDLE:-20000}
DOVECOT_IDLE=${IMAP_BENCH_DOVECOT_IDLE:-1000 5000}
USERS=${IMAP_BENCH_USERS:-1000}
RELOGIN=${IMAP_BENCH_RELOGIN:-5000}
TLS=${IMAP_BENCH_TLS:-1}
IDLE_PARALLEL=${IMAP_BENCH_IDLE_PARALLEL:-200}
IDLE_PER_GEN=${IMAP_BENCH_IDLE_PER_GEN:-10000}
HIBERNATE=5s
case "${1:-}" in
  --quick)
    MESSAGES=${IMAP_BENCH_MESSAGES:-5000}
    IDLE_N=${IMAP_BENCH_IDLE:-2000}
    DOVECOT_IDLE=${IMAP_BENCH_DOVECOT_IDLE:-1000}
    USERS=${IMAP_BENCH_USERS:-200}
    RELOGIN=${IMAP_BENCH_RELOGIN:-1000} ;;
  "") ;;
  *) echo "usage: bench/imap_bench.sh [--quick]" >&2; exit 2 ;;
esac
TAUBE=${TAUBE_BIN:-$ROOT/build/taube}

log() { echo "imap_bench: $(date -u +%T) $*" >&2; }
die() { log "$*"; exit 1; }

[[ $(id -u) == 0 ]] || die "needs root (Dovecot's master, ulimit -n)"
# Raise the descriptor limit as far as allowed. Without CAP_SYS_RESOURCE (as in
# some containers) the hard limit caps one process, Taube included: the Taube
# IDLE run then uses at most (hard limit - Taube's own descriptors - a margin)
# connections and says so (see cap_idle_n, after Taube started).
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)"
FDMAX=$(ulimit -n)
if [[ -z ${TAUBE_BIN:-} ]]; then
  if [[ ! -x $TAUBE ]] || [[ -n $(find src -newer "$TAUBE" -type f -print -quit) ]]; then
    log "building taube (make build)"
    make build >/dev/null
  fi
fi
[[ -x $TAUBE ]] || die "no taube binary at $TAUBE"
IDLE_GEN=${IMAP_BENCH_GEN:-cpp}

# ---------------------------------------------------------------------------
# Cleanup: every process we started, by pid; then the temp dir.
WORK=$(mktemp -d /tmp/imap_bench.XXXXXX)
chmod 755 "$WORK"
PIDS_TO_STOP=()
DOVECOT_STARTED=0
REPORTED=0
dovecot_master() { tr -d ' \n' <"$WORK/dovecot/run/master.pid" 2>/dev/null || true; }
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local p m
  m=$( ((DOVECOT_STARTED)) && dovecot_master || true)
  for p in "${PIDS_TO_STOP[@]}" $m; do kill -TERM "$p" 2>/dev/null || true; done
  local deadline=$((SECONDS + 15)) alive
  while :; do
    alive=()
    for p in "${PIDS_TO_STOP[@]}" $m; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    [[ ${#alive[@]} -eq 0 ]] && break
    if ((SECONDS >= deadline)); then kill -KILL "${alive[@]}" 2>/dev/null || true; break; fi
    sleep 0.2
  done
  # A part failed: print what was measured before it, and the logs' errors.
  if ((!REPORTED)) && [[ -d $WORK/results ]]; then
    $PY "$HERE/report.py" "$WORK/results" || true
    grep -hiE 'error|fatal|panic' "$WORK/taube/taube.log" "$WORK/dovecot/dovecot.log" 2>/dev/null | tail -5 >&2 || true
  fi
  if [[ ${IMAP_BENCH_KEEP:-0} == 1 ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  $PY -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
fill() {  # fill TEMPLATE OUT KEY=VALUE...
  local in=$1 out=$2; shift 2
  local args=() kv
  for kv in "$@"; do args+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
  sed "${args[@]}" "$in" >"$out"
  if grep -q '@[A-Z_]*@' "$out"; then die "unfilled field in $out"; fi
}
wait_port() {  # wait_port PORT SECONDS
  local deadline=$((SECONDS + $2))
  until $PY -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}
tree_pids() {  # all pids of the trees rooted at the given pids
  ps -e -o pid=,ppid= | awk -v roots="$*" '
    BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
    { parent[$1] = $2; order[NR] = $1 }
    END { changed = 1
          while (changed) { changed = 0
            for (i = 1; i <= NR; i++) { p = order[i]
              if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; changed = 1 } } }
          for (p in keep) print p }'
}
pss_kib() {  # sum of Pss (KiB) over the trees rooted at the given pids
  local p s=0 v
  for p in $(tree_pids "$@"); do
    v=$(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || true)
    s=$((s + ${v:-0}))
  done
  echo "$s"
}
count_procs() {  # count_procs NAME ROOTPID: processes of that comm in the tree
  local n=0 p
  for p in $(tree_pids "$2"); do
    [[ $(cat "/proc/$p/comm" 2>/dev/null) == "$1" ]] && n=$((n + 1))
  done
  echo "$n"
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

RES=$WORK/results
mkdir -p "$RES"
if [[ " $PARTS " == *" idle "* || " $PARTS " == *" wake "* ]] && [[ $IDLE_GEN == cpp ]]; then
  log "building the IDLE load generator (g++)"
  g++ -std=c++20 -O2 -Wall -Wextra -o "$WORK/idle_load" "$HERE/idle_load.cpp" -lssl -lcrypto \
    || die "idle_load.cpp did not build"
fi
UFMT='user%d@example.org'

# ---------------------------------------------------------------------------
# Taube: data dir, 1,000 users + bench@, serve.
start_taube() {
  local t=$WORK/taube
  mkdir -p "$t"
  # Ports are chosen by serve_taube, right before listening (adding 1,000
  # users takes minutes, long enough for another process to take a port).
  fill "$HERE/taube.toml.in" "$t/taube.toml" IMAP_PORT=0 IMAPS_PORT=0 LMTP_PORT=0
  "$TAUBE" --data "$t/data" --config "$t/taube.toml" init >/dev/null
  "$TAUBE" --data "$t/data" --config "$t/taube.toml" domain add example.org >/dev/null
  log "taube: adding bench@ and $USERS users"
  local i
  echo bench | "$TAUBE" --data "$t/data" --config "$t/taube.toml" user add bench@example.org >/dev/null
  for ((i = 1; i <= USERS; i++)); do
    echo bench | "$TAUBE" --data "$t/data" --config "$t/taube.toml" user add "user$i@example.org" >/dev/null
  done
  serve_taube
}
serve_taube() {  # on free ports; again on others if one was taken meanwhile
  local t=$WORK/taube try
  for try in 1 2 3; do
    T_IMAP=$(free_port); T_IMAPS=$(free_port); T_LMTP=$(free_port)
    fill "$HERE/taube.toml.in" "$t/taube.toml" IMAP_PORT="$T_IMAP" \
      IMAPS_PORT="$T_IMAPS" LMTP_PORT="$T_LMTP"
    "$TAUBE" --data "$t/data" --config "$t/taube.toml" serve >>"$t/taube.log" 2>&1 &
    T_PID=$!
    PIDS_TO_STOP+=("$T_PID")
    if wait_port "$T_IMAP" 30 && sleep 0.5 && kill -0 "$T_PID" 2>/dev/null; then
      log "taube: pid $T_PID, imap $T_IMAP, imaps $T_IMAPS, lmtp $T_LMTP"
      return 0
    fi
    stop_taube
    tail -3 "$t/taube.log" | grep -q 'Address already in use' || break
    log "taube: a port was taken meanwhile, again on other ports"
  done
  die "taube did not start: $(tail -5 "$t/taube.log")"
}
stop_taube() {
  local deadline=$((SECONDS + 30)) keep=() p
  kill -TERM "$T_PID" 2>/dev/null || true
  while kill -0 "$T_PID" 2>/dev/null; do
    ((SECONDS < deadline)) || { kill -KILL "$T_PID" 2>/dev/null || true; break; }
    sleep 0.2
  done
  wait "$T_PID" 2>/dev/null || true
  for p in "${PIDS_TO_STOP[@]}"; do [[ $p == "$T_PID" ]] || keep+=("$p"); done
  PIDS_TO_STOP=("${keep[@]}")
}
# A fresh Taube process on the same data: each Taube IDLE run is measured from
# a fresh process (in one process a later run would reuse the heap that
# earlier sessions freed, and look cheaper than it is).
restart_taube() {
  stop_taube
  serve_taube
}

start_dovecot() {
  local d=$WORK/dovecot i
  mkdir -p "$d/run" "$d/state" "$d/mail"
  chmod 1777 "$d/mail"
  D_IMAP=$(free_port); D_IMAPS=$(free_port); D_LMTP=$(free_port)
  # user:password:uid:gid::home (uid 40000+i, see dovecot.conf.in).
  {
    echo "bench@example.org:{PLAIN}bench:40000:65534::$d/mail/bench"
    for ((i = 1; i <= USERS; i++)); do
      echo "user$i@example.org:{PLAIN}bench:$((40000 + i)):65534::$d/mail/user$i"
    done
  } >"$d/passwd"
  chmod 644 "$d/passwd"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -keyout "$d/key.pem" -out "$d/cert.pem" 2>/dev/null || die "openssl: no test certificate"
  chmod 644 "$d/key.pem" "$d/cert.pem"
  fill "$HERE/dovecot.conf.in" "$d/dovecot.conf" TAG="$$" RUN_DIR="$d/run" \
    STATE_DIR="$d/state" LOG_FILE="$d/dovecot.log" MAIL_DIR="$d/mail" \
    PASSWD="$d/passwd" IMAP_PORT="$D_IMAP" IMAPS_PORT="$D_IMAPS" \
    LMTP_PORT="$D_LMTP" HIBERNATE="$HIBERNATE" CERT="$d/cert.pem" KEY="$d/key.pem"
  serve_dovecot
}
serve_dovecot() {
  local d=$WORK/dovecot
  DOVECOT_STARTED=1
  dovecot -c "$d/dovecot.conf" || die "dovecot did not start: $(tail -5 "$d/dovecot.log" 2>/dev/null)"
  wait_port "$D_IMAP" 30 || die "dovecot: no IMAP port: $(tail -5 "$d/dovecot.log")"
  D_PID=$(dovecot_master)
  log "dovecot: master $D_PID, imap $D_IMAP, imaps $D_IMAPS, lmtp $D_LMTP"
}
# A fresh Dovecot for each IDLE run, as for Taube: no run reuses the heap of
# processes (imap-login, imap-hibernate) that an earlier run grew.
# Every process of the old instance must be gone, not just the master: a
# closing imap-hibernate still holds its socket and the new master refuses it.
restart_dovecot() {
  local m old p alive deadline
  m=$(dovecot_master)
  old=$( [[ -n $m ]] && tree_pids "$m" || true)
  [[ -n $m ]] && kill -TERM "$m" 2>/dev/null
  deadline=$((SECONDS + 60))
  while :; do
    alive=()
    for p in $old; do kill -0 "$p" 2>/dev/null && alive+=("$p"); done
    ((${#alive[@]} == 0)) && break
    if ((SECONDS >= deadline)); then kill -KILL "${alive[@]}" 2>/dev/null || true; sleep 1; break; fi
    sleep 0.2
  done
  serve_dovecot
}

# ---------------------------------------------------------------------------
bench_mailbox() {
  echo "mailbox_loadavg_before $(loadavg)" >>"$RES/misc"
  log "mailbox: loading $MESSAGES messages into taube"
  $GEN load 127.0.0.1 "$T_IMAP" bench@example.org bench "$MESSAGES" >"$RES/load_taube.json"
  log "mailbox: loading $MESSAGES messages into dovecot"
  $GEN load 127.0.0.1 "$D_IMAP" bench@example.org bench "$MESSAGES" >"$RES/load_dovecot.json"
  log "mailbox: queries on taube"
  $GEN query 127.0.0.1 "$T_IMAP" bench@example.org bench "$REPS" >"$RES/query_taube.json"
  log "mailbox: queries on dovecot"
  $GEN query 127.0.0.1 "$D_IMAP" bench@example.org bench "$REPS" >"$RES/query_dovecot.json"
  echo "mailbox_loadavg_after $(loadavg)" >>"$RES/misc"
}

# Taube holds one descriptor per connection plus its own (listeners, the
# SQLite files, epoll, eventfd, timerfd, pipes, whatever it inherited): the
# most the Taube IDLE run can open under the hard limit is FDMAX minus those,
# minus a small margin (measured: Taube's count stays at base + connections
# while they are held, plain and TLS).
IDLE_FD_MARGIN=16
cap_idle_n() {
  local base cap
  base=$(ls "/proc/$T_PID/fd" | wc -l)
  cap=$((FDMAX - base - IDLE_FD_MARGIN))
  log "taube: $base descriptors before the idle runs, ulimit -n $FDMAX"
  if ((IDLE_N > cap)); then
    log "ulimit -n is $FDMAX here (hard limit): Taube IDLE run uses $cap instead of $IDLE_N connections"
    echo "idle_cap Taube IDLE run capped at $cap (asked $IDLE_N): ulimit -n hard limit $FDMAX," \
      "Taube had $base descriptors of its own, margin $IDLE_FD_MARGIN" >>"$RES/misc"
    IDLE_N=$cap
  fi
}

# idle_run NAME PORT N TLS ROOTPID KIND: writes $RES/idle_NAME.json
idle_run() {
  local name=$1 port=$2 n=$3 tls=$4 root=$5 kind=$6
  local before after fifo=$WORK/idle_$name.in out=$WORK/idle_$name.out
  # The server settles first: Taube allocates a few MB more in its first
  # seconds (store threads, caches), which is not per connection.
  sleep 10
  before=$(pss_kib "$root")
  mkfifo "$fifo"
  # One generator process per IDLE_PER_GEN connections (each under the fd
  # limit); the PARALLEL opening at once are shared among them.
  local per=$IDLE_PER_GEN gen="$WORK/idle_load idle" par
  [[ $IDLE_GEN == cpp ]] || { per=8000; gen="$GEN idle"; }
  local k parts=$(( (n + per - 1) / per )) gpids=() share off=0
  par=$(( (IDLE_PARALLEL + parts - 1) / parts ))
  for ((k = 0; k < parts; k++)); do
    share=$(( n / parts + (k < n % parts ? 1 : 0) ))
    $gen 127.0.0.1 "$port" "$share" "$UFMT" "$USERS" "$tls" "$off" "$par" \
      <"$fifo" >"$out.$k" 2>"$out.$k.err" &
    gpids+=($!); PIDS_TO_STOP+=($!)
    off=$((off + share))
  done
  exec {HOLD}>"$fifo"
  local deadline=$((SECONDS + 900)) ready
  while :; do
    ready=0
    for ((k = 0; k < parts; k++)); do
      [[ -s $out.$k ]] && ready=$((ready + 1)) && continue
      kill -0 "${gpids[$k]}" 2>/dev/null || { exec {HOLD}>&-; die "idle $name: generator died: $(tail -3 "$out.$k.err")"; }
    done
    ((ready == parts)) && break
    ((SECONDS < deadline)) || { exec {HOLD}>&-; die "idle $name: timeout opening"; }
    sleep 1
  done
  $PY - "$out" "$parts" >"$out" <<'E2'
import json, sys
out, parts = sys.argv[1], int(sys.argv[2])
first = [json.loads(open(f"{out}.{k}").readline()) for k in range(parts)]
errs = {}
for f in first:
    for e, c in (f.get("errors") or {}).items():
        errs[e] = errs.get(e, 0) + c
print(json.dumps({"opened": sum(f["opened"] for f in first),
                  "failed": sum(f["failed"] for f in first),
                  "seconds": max(f["seconds"] for f in first), "errors": errs or None}))
E2
  log "idle $name: $(head -1 "$out")"
  # Settle.
  if [[ $kind == dovecot ]]; then
    local last=-1 same=0 c
    sleep 6
    for ((i = 0; i < 60; i++)); do
      c=$(count_procs imap "$root")
      [[ $c == 0 ]] && break
      if [[ $c == "$last" ]]; then same=$((same + 1)); ((same >= 3)) && break; else same=0; fi
      last=$c; sleep 2
    done
    echo "imap processes left after settling: $(count_procs imap "$root")," \
      "imap-hibernate: $(count_procs imap-hibernate "$root")" >"$out.note"
  else
    sleep 5
    echo "taube descriptors while held: $(ls "/proc/$root/fd" | wc -l)" >"$out.note"
  fi
  after=$(pss_kib "$root")
  local load; load=$(loadavg)
  exec {HOLD}>&-
  wait "${gpids[@]}" || true
  $PY - "$out" "$parts" >>"$out" <<'E2'
import json, sys
out, parts = sys.argv[1], int(sys.argv[2])
alive = 0
for k in range(parts):
    lines = [l for l in open(f"{out}.{k}") if l.strip()]
    alive += json.loads(lines[-1]).get("still_open", 0) if len(lines) > 1 else 0
print(json.dumps({"still_open": alive}))
E2
  $PY - "$name" "$n" "$before" "$after" "$out" "$load" "$out.note" >"$RES/idle_$name.json" <<'E'
import json, sys, os
name, n, before, after, out, load, note = sys.argv[1:]
lines = [json.loads(l) for l in open(out) if l.strip()]
opened = lines[0]["opened"]
r = {"name": name, "requested": int(n), "opened": opened, "open_s": lines[0]["seconds"],
     "errors": lines[0].get("errors"), "still_open": lines[-1].get("still_open"),
     "pss_before_kib": int(before), "pss_after_kib": int(after),
     "kib_per_conn": round((int(after) - int(before)) / max(opened, 1), 2),
     "loadavg": load,
     "note": open(note).read().strip() if os.path.exists(note) else ""}
print(json.dumps(r))
E
  log "idle $name: $(cat "$RES/idle_$name.json")"
  sleep 3
}

bench_idle() {
  cap_idle_n
  if ((IDLE_N > 0)); then
    restart_taube
    idle_run taube_plain "$T_IMAP" "$IDLE_N" 0 "$T_PID" taube
    if [[ $TLS == 1 ]]; then
      restart_taube
      idle_run taube_tls "$T_IMAPS" "$IDLE_N" 1 "$T_PID" taube
    fi
  fi
  local n
  for n in $DOVECOT_IDLE; do
    restart_dovecot
    idle_run "dovecot_$n" "$D_IMAP" "$n" 0 "$D_PID" dovecot
    if [[ $TLS == 1 ]]; then
      restart_dovecot
      idle_run "dovecot_tls_$n" "$D_IMAPS" "$n" 1 "$D_PID" dovecot
    fi
  done
  # What OpenSSL alone keeps per idle server connection (bench/tls_floor.cpp).
  if [[ $TLS == 1 ]] && g++ -std=c++20 -O2 -o "$WORK/tls_floor" "$ROOT/bench/tls_floor.cpp" -lssl -lcrypto; then
    "$WORK/tls_floor" 5000 >"$RES/tls_floor.json" || true
  fi
}

bench_wake() {
  local wgen="$GEN wake"
  [[ $IDLE_GEN == cpp ]] && wgen="$WORK/idle_load wake"
  log "wake: taube, $USERS users"
  echo "wake_loadavg_before $(loadavg)" >>"$RES/misc"
  $wgen 127.0.0.1 "$T_IMAP" "$T_LMTP" "$USERS" "$UFMT" >"$RES/wake_taube.json"
  log "wake: taube $(cat "$RES/wake_taube.json")"
  sleep 3
  log "wake: dovecot, $USERS users"
  $wgen 127.0.0.1 "$D_IMAP" "$D_LMTP" "$USERS" "$UFMT" >"$RES/wake_dovecot.json"
  log "wake: dovecot $(cat "$RES/wake_dovecot.json")"
  echo "wake_loadavg_after $(loadavg)" >>"$RES/misc"
}

bench_relogin() {
  log "relogin: taube, $RELOGIN clients"
  $GEN relogin 127.0.0.1 "$T_IMAP" "$RELOGIN" "$UFMT" "$USERS" >"$RES/relogin_taube.json"
  log "relogin: taube $(cat "$RES/relogin_taube.json")"
  log "relogin: dovecot, $RELOGIN clients"
  $GEN relogin 127.0.0.1 "$D_IMAP" "$RELOGIN" "$UFMT" "$USERS" >"$RES/relogin_dovecot.json"
  log "relogin: dovecot $(cat "$RES/relogin_dovecot.json")"
}

# ---------------------------------------------------------------------------
log "parts: $PARTS; load average $(loadavg)"
start_taube
start_dovecot
for part in $PARTS; do
  case $part in
    mailbox) bench_mailbox ;;
    idle) bench_idle ;;
    wake) bench_wake ;;
    relogin) bench_relogin ;;
    *) die "unknown part $part" ;;
  esac
  kill -0 "$T_PID" 2>/dev/null || die "taube exited: $(tail -5 "$WORK/taube/taube.log")"
done
$PY "$HERE/report.py" "$RES"
REPORTED=1
if grep -qiE 'error|fatal|panic' "$WORK/taube/taube.log"; then
  echo "taube log (errors):"; grep -iE 'error|fatal|panic' "$WORK/taube/taube.log" | sort | uniq -c | sort -rn | head -10
fi
if grep -qiE 'error|fatal|panic' "$WORK/dovecot/dovecot.log"; then
  echo "dovecot log (errors):"; grep -iE 'error|fatal|panic' "$WORK/dovecot/dovecot.log" | sed 's/^[A-Z][a-z]* [0-9 :]*//' | sort | uniq -c | sort -rn | head -10
fi
