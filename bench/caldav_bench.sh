#!/usr/bin/env bash
# CalDAV calendar-query: Taube beside Radicale (Debian package) on the same data, in the
# same run.
#
#   bench/caldav_bench.sh [--quick]
#
# Method, identical for both servers (bench/caldav/davbench.py): load the same calendar of
# N events (default 10,000; a quarter recurring: weekly or daily with COUNT, or monthly
# without end; Taube by PUT over 4 keep-alive connections, Radicale by writing its
# storage files, see below), then run Q time-range calendar-queries
# (VEVENT, Depth 1, DAV:getetag; one-day, one-week and one-month windows over the year)
# once untimed (their match counts must agree between the two servers) and R times timed,
# one at a time on one connection. Prints ms per query (median, mean, p90) and the ratio
# Radicale / Taube.
#   Taube:    `taube serve` (SQLite store) in a temp data dir, plain HTTP on loopback
#             (Basic auth, allowed from loopback), the user's default calendar.
#   Radicale: python3 -m radicale with filesystem storage in a temp folder, auth none.
# Environment: CALDAV_BENCH_EVENTS (10000; --quick 2000), CALDAV_BENCH_QUERIES (30),
# CALDAV_BENCH_ROUNDS (2), TAUBE_BIN (default build/taube). Binds 127.0.0.1 on free
# ports; everything started is stopped by pid on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

EVENTS=${CALDAV_BENCH_EVENTS:-10000}
QUERIES=${CALDAV_BENCH_QUERIES:-30}
ROUNDS=${CALDAV_BENCH_ROUNDS:-2}
case "${1:-}" in
  --quick) EVENTS=${CALDAV_BENCH_EVENTS:-2000} ;;
  "") ;;
  *) echo "usage: bench/caldav_bench.sh [--quick]" >&2; exit 2 ;;
esac

log() { echo "caldav_bench: $*" >&2; }
die() { log "$*"; exit 1; }

WORK=""
PIDS=()
cleanup() {
  set +e
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  [[ -n $WORK ]] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PY=/usr/bin/python3
TAUBE=$(realpath "${TAUBE_BIN:-build/taube}")
[[ -x $TAUBE ]] || die "no taube binary at $TAUBE (make build)"
$PY -c "import radicale" 2>/dev/null || die "no radicale: bash scripts/bootstrap.sh --bench"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/caldav-bench.XXXXXX")

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() {  # port
  for _ in $(seq 1 200); do
    if $PY -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  die "nothing listens on port $1"
}

# --- Taube
T=$WORK/taube
mkdir -p "$T"
"$TAUBE" --data "$T" init >/dev/null
"$TAUBE" --data "$T" domain add bench.test >/dev/null
echo "bench-pw" | "$TAUBE" --data "$T" user add u@bench.test >/dev/null
TPORT=$(free_port)
{
  echo "[listen]"
  for n in smtp submission submissions lmtp imap imaps pop3 pop3s https; do echo "$n = \"127.0.0.1:$(free_port)\""; done
  echo "http = \"127.0.0.1:$TPORT\""
  echo "[outbound]"
  echo "enabled = false"
  echo "[log]"
  echo "level = \"warn\""
} >"$T/taube.toml"
"$TAUBE" --data "$T" --config "$T/taube.toml" serve >"$T/serve.log" 2>&1 &
PIDS+=($!)
wait_http "$TPORT"
log "taube: loading $EVENTS events"
TAUBE_OUT=$($PY bench/caldav/davbench.py --url "http://127.0.0.1:$TPORT/dav/calendars/u@bench.test/calendar/" \
  --user u@bench.test --password bench-pw --events "$EVENTS" --queries "$QUERIES" --rounds "$ROUNDS")

# --- Radicale
R=$WORK/radicale
mkdir -p "$R/storage"
RPORT=$(free_port)
$PY -m radicale --hosts "127.0.0.1:$RPORT" --storage-filesystem-folder "$R/storage" \
  --auth-type none --rights-type owner_only --logging-level warning \
  --server-max-content-length 100000000 >"$R/radicale.log" 2>&1 &
PIDS+=($!)
wait_http "$RPORT"
log "radicale: loading $EVENTS events"
# Radicale takes ~0.15 s per PUT on this data (more as the collection grows), so its
# copy is written straight into its storage folder (its own on-disk layout: one .ics
# per item) after an MKCALENDAR; it indexes the items on the first (untimed) query.
RAD_OUT=$($PY bench/caldav/davbench.py --url "http://127.0.0.1:$RPORT/bench/calendar/" --mkcalendar \
  --write-dir "$R/storage/collection-root/bench/calendar" \
  --user bench --password x --events "$EVENTS" --queries "$QUERIES" --rounds "$ROUNDS")

$PY - "$TAUBE_OUT" "$RAD_OUT" <<'PYEOF'
import json, sys
t, r = json.loads(sys.argv[1]), json.loads(sys.argv[2])
same = t["matches"] == r["matches"]
print(f"caldav_bench: {t['events']} events (a quarter recurring), {t['queries']} timed time-range calendar-queries each")
print(f"{'server':<10} {'load s':>8} {'load':>6} {'median ms':>10} {'mean ms':>9} {'p90 ms':>8} {'matches':>9}")
for name, d in (("taube", t), ("radicale", r)):
    print(f"{name:<10} {d['load_s']:>8} {d['load']:>6} {d['median_ms']:>10} {d['mean_ms']:>9} {d['p90_ms']:>8} {sum(d['matches']):>9}")
print(f"ratio radicale/taube: median {r['median_ms'] / t['median_ms']:.1f}x, mean {r['mean_ms'] / t['mean_ms']:.1f}x")
print("answers agree" if same else "ANSWERS DIFFER: " + str([(i, a, b) for i, (a, b) in enumerate(zip(t['matches'], r['matches'])) if a != b][:10]))
PYEOF
