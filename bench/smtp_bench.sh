#!/usr/bin/env bash
# SMTP throughput of Taube against Postfix delivering into Dovecot over LMTP,
# measured on this machine in the same run (issue 3). Both are fsync-durable.
#
# Load: Postfix's smtp-source, N parallel sessions, M messages of SIZE bytes of
# payload each, one message per connection (smtp-source's default), to one
# mailbox user@example.org. A warm-up of N messages runs first on each system.
#   taube            msg/s = M / time until smtp-source got its last 250; Taube
#                    answers 250 only after the group commit's fsync. The count in
#                    the store is checked afterwards.
#   postfix+dovecot  msg/s = M / time until the last message is a file in
#                    Dovecot's Maildir (Postfix answers 250 after its queue fsync
#                    and delivers later). accept/s = M / time to the last 250.
#   cpu_ms/msg       utime+stime+cutime+cstime from /proc/PID/stat, summed over the
#                    server's process tree (taube; postfix master and all its
#                    children; dovecot master and all its children), after minus
#                    before the timed run, divided by M. Exited children are
#                    counted through their parent's cutime/cstime. smtp-source's
#                    own CPU is not counted.
#   syncs/msg        a separate, shorter counting run after the timed one:
#                    `strace -f -c -e trace=fsync,fdatasync,sync_file_range,syncfs,
#                    sync,msync` attached to every server process (and the children
#                    they fork), calls divided by the messages of that run.
#                    strace slows the servers down, so it never runs while timing.
#                    (Writes through O_SYNC/O_DSYNC descriptors would not be seen;
#                    neither SQLite, Postfix nor Dovecot use them here.)
# On a shared, oversubscribed machine msg/s is noisy, and the scheduler hands a
# many-process pipeline (20 smtpd, 20 lmtp, ...) a larger CPU share than a server
# with a few threads: read msg/s beside cpu_ms/msg, which load disturbs far less.
# The Maildir is polled every 0.1 s, so the Postfix+Dovecot time is exact to 0.1 s.
#
# Usage: bench/smtp_bench.sh [--quick]
#   SMTP_BENCH_SESSIONS   parallel SMTP sessions          (default 20)
#   SMTP_BENCH_MESSAGES   messages in the timed run       (default 2000; --quick: 200)
#   SMTP_BENCH_SIZE       payload bytes per message       (default 4096)
#   SMTP_BENCH_SYNC_MESSAGES  messages in the counting run (default 400; --quick: 100)
#   SMTP_BENCH_SYSTEMS    "taube postfix" or one of them  (default both)
#   SMTP_BENCH_KEEP=1     keep the temp dir (configs, logs, data) for inspection
#   TAUBE_BIN             taube binary (default build/taube, rebuilt by `make build`
#                         when older than the sources)
# Needs root (Postfix's and Dovecot's masters start as root and drop privileges).
# Everything binds 127.0.0.1 on free ports; everything started is stopped by pid
# and the temp dir removed on exit, Ctrl-C included.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
HERE=$ROOT/bench/smtp

SESSIONS=${SMTP_BENCH_SESSIONS:-20}
MESSAGES=${SMTP_BENCH_MESSAGES:-2000}
SIZE=${SMTP_BENCH_SIZE:-4096}
SYNC_MESSAGES=${SMTP_BENCH_SYNC_MESSAGES:-400}
SYSTEMS=${SMTP_BENCH_SYSTEMS:-taube postfix}
case "${1:-}" in
  --quick)
    MESSAGES=${SMTP_BENCH_MESSAGES:-200}
    SYNC_MESSAGES=${SMTP_BENCH_SYNC_MESSAGES:-100} ;;
  "") ;;
  *) echo "usage: bench/smtp_bench.sh [--quick]" >&2; exit 2 ;;
esac
for v in SESSIONS MESSAGES SIZE SYNC_MESSAGES; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "smtp_bench: $v must be a positive integer" >&2; exit 2; }
done

SMTP_SOURCE=/usr/sbin/smtp-source
SENDER=sender@example.org
RCPT=user@example.org
TICK=$(getconf CLK_TCK)

log() { echo "smtp_bench: $*" >&2; }
die() { log "$*"; exit 1; }

# ---------------------------------------------------------------------------
# Cleanup: every process we started, by pid; then the temp dir.
WORK=""
PIDS_TO_STOP=()        # plain processes (taube, strace)
POSTFIX_CONF=""        # set once our postfix instance was started
DOVECOT_CONF=""        # set once our dovecot instance was started
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  local p masters
  masters=$(master_pids)
  for p in "${PIDS_TO_STOP[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  if [[ -n $POSTFIX_CONF ]]; then
    postfix -c "$POSTFIX_CONF" stop >/dev/null 2>&1 || true
  fi
  if [[ -n $DOVECOT_CONF ]]; then
    p=$(cat "$WORK/dovecot/run/master.pid" 2>/dev/null || true)
    [[ -n $p ]] && kill -TERM "$p" 2>/dev/null || true
  fi
  # Give them a moment, then insist, still by pid.
  local deadline=$((SECONDS + 10)) alive
  while :; do
    alive=()
    for p in "${PIDS_TO_STOP[@]}" $masters; do
      kill -0 "$p" 2>/dev/null && alive+=("$p")
    done
    [[ ${#alive[@]} -eq 0 ]] && break
    if ((SECONDS >= deadline)); then
      kill -KILL "${alive[@]}" 2>/dev/null || true
      break
    fi
    sleep 0.1
  done
  if [[ -n $WORK && -d $WORK ]]; then
    if [[ ${SMTP_BENCH_KEEP:-0} == 1 ]]; then
      log "kept $WORK"
    else
      rm -rf "$WORK"
    fi
  fi
  exit "$rc"
}
# The masters of our own Postfix and Dovecot instances, from their pid files.
master_pids() {
  [[ -n $WORK ]] || return 0
  local f p
  for f in "$WORK/postfix/queue/pid/master.pid" "$WORK/dovecot/run/master.pid"; do
    p=$(tr -d ' \n' 2>/dev/null <"$f" || true)
    [[ -n $p ]] && echo "$p"
  done
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# Helpers.
now() { date +%s.%N; }
free_port() {
  /usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
fill() {  # fill TEMPLATE OUT KEY=VALUE...
  local in=$1 out=$2; shift 2
  local args=() kv
  for kv in "$@"; do args+=(-e "s|@${kv%%=*}@|${kv#*=}|g"); done
  sed "${args[@]}" "$in" >"$out"
  if grep -q '@[A-Z_]*@' "$out"; then die "unfilled field in $out"; fi
}
# All pids of the process trees rooted at the given pids.
tree_pids() {
  ps -e -o pid=,ppid= | awk -v roots="$*" '
    BEGIN { n = split(roots, r, " "); for (i = 1; i <= n; i++) keep[r[i]] = 1 }
    { parent[$1] = $2; order[NR] = $1 }
    END {
      do {
        changed = 0
        for (i = 1; i <= NR; i++) {
          p = order[i]
          if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; changed = 1 }
        }
      } while (changed)
      for (p in keep) print p
    }'
}
# CPU ticks used so far by the trees rooted at the given pids, reaped children included.
tree_ticks() {
  local p
  for p in $(tree_pids "$@"); do cat "/proc/$p/stat" 2>/dev/null || true; done |
    awk '{ sub(/^.*\) /, ""); t += $12 + $13 + $14 + $15 } END { print t + 0 }'
}
wait_port() {  # wait_port PORT SECONDS
  local deadline=$((SECONDS + $2))
  until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}
# smtp-source with the benchmark's sizes; SESSIONS capped at the message count.
load() {  # load PORT MESSAGES LOGFILE
  local s=$SESSIONS
  ((s > $2)) && s=$2
  # In the background, so that a signal to this script interrupts `wait` at once.
  "$SMTP_SOURCE" -s "$s" -m "$2" -l "$SIZE" -f "$SENDER" -t "$RCPT" "127.0.0.1:$1" >>"$3" 2>&1 &
  local lp=$! rc=0
  PIDS_TO_STOP+=("$lp")
  wait "$lp" || rc=$?
  forget_pid "$lp"
  return "$rc"
}
# Attach strace to every process of the trees (and what they fork); sets STRACE_PID.
STRACE_PID=""
start_sync_count() {  # start_sync_count OUTFILE ROOTPID...
  local out=$1; shift
  local args=() p
  for p in $(tree_pids "$@"); do args+=(-p "$p"); done
  strace -f -c -e trace=fsync,fdatasync,sync_file_range,syncfs,sync,msync \
    -o "$out" "${args[@]}" >/dev/null 2>"$out.err" &
  STRACE_PID=$!
  PIDS_TO_STOP+=("$STRACE_PID")
  # strace reports each attach on stderr; wait until they all are in.
  local deadline=$((SECONDS + 20))
  local n
  while :; do
    n=$(grep -c 'attached' "$out.err" 2>/dev/null) || n=0
    ((n >= ${#args[@]} / 2)) && break
    ((SECONDS < deadline)) || { log "strace attached to fewer processes than expected"; break; }
    kill -0 "$STRACE_PID" 2>/dev/null || die "strace failed: $(cat "$out.err")"
    sleep 0.1
  done
}
# Detaches strace (which then writes its summary); sets SYNC_CALLS to the sync calls counted.
SYNC_CALLS=0
stop_sync_count() {  # stop_sync_count OUTFILE
  kill -INT "$STRACE_PID" 2>/dev/null || true
  wait "$STRACE_PID" 2>/dev/null || true
  forget_pid "$STRACE_PID"
  SYNC_CALLS=$(awk '$NF ~ /^(fsync|fdatasync|sync_file_range|syncfs|sync|msync)$/ { n += $4 }
                    END { print n + 0 }' "$1")
}
# A process we stopped and reaped leaves the cleanup list (its pid may be reused).
forget_pid() {
  local keep=() p
  for p in "${PIDS_TO_STOP[@]}"; do [[ $p == "$1" ]] || keep+=("$p"); done
  PIDS_TO_STOP=("${keep[@]}")
}
fmt() { awk -v x="$1" -v p="$2" 'BEGIN { printf "%.*f", p, x }'; }
div() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) print a / b; else print "nan" }'; }

# ---------------------------------------------------------------------------
# Preconditions.
[[ $(id -u) -eq 0 ]] || die "needs root: Postfix's and Dovecot's masters start as root (try sudo)"
[[ -x $SMTP_SOURCE ]] || die "no $SMTP_SOURCE: run 'bash scripts/bootstrap.sh --bench'"
command -v strace >/dev/null || die "no strace (needed for the sync counting run)"
if [[ $SYSTEMS == *postfix* ]]; then
  for b in /usr/sbin/postfix /usr/sbin/dovecot /usr/lib/dovecot/lmtp; do
    [[ -x $b ]] || die "no $b: run 'bash scripts/bootstrap.sh --bench'"
  done
  # The system's own instances are not ours to stop; they would only add noise.
  if pgrep -x -f '/usr/lib/postfix/sbin/master( -w)?' >/dev/null ||
     pgrep -x -f '/usr/sbin/dovecot' >/dev/null; then
    log "warning: the system's Postfix or Dovecot is running; its CPU use adds noise"
  fi
fi

TAUBE=${TAUBE_BIN:-build/taube}
if [[ $SYSTEMS == *taube* && -z ${TAUBE_BIN:-} ]]; then
  if [[ ! -x $TAUBE ]] || [[ -n $(find src tools CMakeLists.txt cmake -newer "$TAUBE" -type f -print -quit 2>/dev/null) ]]; then
    log "build/taube is missing or older than the sources: make build"
    if ! make -s build >&2; then
      [[ -x $TAUBE ]] || die "make build failed and there is no build/taube"
      log "warning: make build failed; measuring the existing, older build/taube"
    fi
  fi
fi
[[ $SYSTEMS != *taube* || -x $TAUBE ]] || die "no taube binary at $TAUBE"
TAUBE=$(realpath "$TAUBE")

WORK=$(mktemp -d "${TMPDIR:-/tmp}/smtp-bench.XXXXXX")
chmod 755 "$WORK"   # Postfix and Dovecot drop to their own users below it
FS=$(stat -f -c %T "$WORK")
[[ $FS == tmpfs ]] && log "warning: $WORK is on tmpfs, where fsync costs nothing"

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
RESULTS=()   # "name msgs seconds msgs_per_s accept_per_s cpu_ms_per_msg syncs_per_msg"

# ---------------------------------------------------------------------------
# Taube.
bench_taube() {
  local dir=$WORK/taube port pid
  mkdir -p "$dir"
  port=$(free_port)
  fill "$HERE/taube.toml.in" "$dir/taube.toml" PORT="$port" \
    LOG_LEVEL="${SMTP_BENCH_TAUBE_LOG:-info}" MAX_PER_IP=$((SESSIONS + 50))
  local t=("$TAUBE" --data "$dir/data" --config "$dir/taube.toml")
  "${t[@]}" init >/dev/null 2>"$dir/init.log" || true
  "${t[@]}" domain add example.org >/dev/null
  echo bench-password | "${t[@]}" user add "$RCPT" >/dev/null
  "${t[@]}" serve >"$dir/serve.log" 2>&1 &
  pid=$!
  PIDS_TO_STOP+=("$pid")
  local deadline=$((SECONDS + 30))
  until grep -qs 'event=server.ready' "$dir/serve.log"; do
    kill -0 "$pid" 2>/dev/null || die "taube exited at start: $(tail -5 "$dir/serve.log")"
    ((SECONDS < deadline)) || die "taube not ready in 30 s"
    sleep 0.1
  done
  wait_port "$port" 10 || die "taube does not listen on $port"

  local w=$SESSIONS
  ((w > MESSAGES)) && w=$MESSAGES
  log "taube: warm-up ($w messages), then $MESSAGES messages over $SESSIONS sessions"
  load "$port" "$w" "$dir/load.log" || die "taube: warm-up failed: $(tail -3 "$dir/load.log")"
  local c0 t0 t1 c1
  c0=$(tree_ticks "$pid")
  t0=$(now)
  load "$port" "$MESSAGES" "$dir/load.log" || die "taube: smtp-source failed: $(tail -3 "$dir/load.log")"
  t1=$(now)
  c1=$(tree_ticks "$pid")

  log "taube: counting syncs over $SYNC_MESSAGES messages (strace)"
  local syncs
  start_sync_count "$dir/strace.txt" "$pid"
  load "$port" "$SYNC_MESSAGES" "$dir/load.log" || die "taube: counting run failed: $(tail -3 "$dir/load.log")"
  stop_sync_count "$dir/strace.txt"
  syncs=$SYNC_CALLS

  # Every acknowledged message must be in the store.
  local want=$((w + MESSAGES + SYNC_MESSAGES)) have
  have=$("${t[@]}" mailbox list "$RCPT" | awk '$1 == "INBOX" { print $2 }')
  if [[ $have != "$want" ]]; then
    log "taube: FINDING: INBOX holds ${have:-?} messages, expected $want acknowledged ones"
  fi
  if grep -Eq ' (error|critical) ' "$dir/serve.log"; then
    log "taube: errors in its log:"; grep -E ' (error|critical) ' "$dir/serve.log" | head -5 >&2
  fi

  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || log "taube: exit status $? on SIGTERM"
  forget_pid "$pid"
  local secs
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
  RESULTS+=("taube $MESSAGES $secs $(div "$MESSAGES" "$secs") $(div "$MESSAGES" "$secs") \
$(div "$(((c1 - c0) * 1000))" "$((TICK * MESSAGES))") $(div "$syncs" "$SYNC_MESSAGES")")
}

# ---------------------------------------------------------------------------
# Postfix + Dovecot (LMTP).
maildir_count() {
  local d=$WORK/dovecot/mail/user
  find "$d/new" "$d/cur" -maxdepth 1 -type f 2>/dev/null | wc -l
}
postfix_queue_count() {
  local q=$WORK/postfix/queue
  find "$q/maildrop" "$q/incoming" "$q/active" "$q/deferred" -type f 2>/dev/null | wc -l
}
# Waits until the Maildir holds TARGET messages; sets DELIVERED_AT to the time it got there.
DELIVERED_AT=""
wait_delivered() {  # wait_delivered TARGET STALL_TIMEOUT_S
  local last=-1 n stalled=$SECONDS
  while :; do
    n=$(maildir_count)
    if ((n >= $1)); then DELIVERED_AT=$(now); return 0; fi
    if ((n != last)); then last=$n; stalled=$SECONDS; fi
    if ((SECONDS - stalled > $2)); then
      log "postfix+dovecot: stuck at $n of $1 messages; postfix log tail:"
      tail -5 "$WORK/postfix/postfix.log" >&2 || true
      tail -5 "$WORK/dovecot/dovecot.log" >&2 || true
      return 1
    fi
    sleep 0.1   # resolution 0.1 s; polling faster would steal CPU from the servers
  done
}
wait_queue_empty() {
  local deadline=$((SECONDS + 60))
  while (($(postfix_queue_count) > 0)) && ((SECONDS < deadline)); do sleep 0.05; done
}
bench_postfix() {
  local pf=$WORK/postfix dv=$WORK/dovecot port
  mkdir -p "$pf/conf" "$pf/queue" "$pf/data" "$dv/run" "$dv/state" "$dv/mail"
  chown postfix: "$pf/data"
  chown nobody:nogroup "$dv/mail"
  port=$(free_port)

  fill "$HERE/dovecot.conf.in" "$dv/dovecot.conf" TAG="$$" RUN_DIR="$dv/run" \
    STATE_DIR="$dv/state" LOG_FILE="$dv/dovecot.log" MAIL_DIR="$dv/mail" \
    MAIL_UID=65534 MAIL_GID=65534
  DOVECOT_CONF=$dv/dovecot.conf
  dovecot -c "$dv/dovecot.conf" || die "dovecot did not start: $(tail -5 "$dv/dovecot.log" 2>/dev/null)"
  local deadline=$((SECONDS + 20))
  until [[ -S $dv/run/lmtp ]]; do
    ((SECONDS < deadline)) || die "dovecot: no LMTP socket: $(tail -5 "$dv/dovecot.log")"
    sleep 0.1
  done

  fill "$HERE/postfix-main.cf.in" "$pf/conf/main.cf" CONF_DIR="$pf/conf" \
    QUEUE_DIR="$pf/queue" DATA_DIR="$pf/data" LOG_FILE="$pf/postfix.log" \
    PROCESS_LIMIT=$((SESSIONS + 100)) LMTP_SOCKET="$dv/run/lmtp"
  fill "$HERE/postfix-master.cf.in" "$pf/conf/master.cf" LISTEN="127.0.0.1:$port"
  POSTFIX_CONF=$pf/conf
  postfix -c "$pf/conf" check >"$pf/check.log" 2>&1 || true
  postfix -c "$pf/conf" start >"$pf/start.log" 2>&1 || die "postfix did not start: $(cat "$pf/start.log")"
  wait_port "$port" 20 || die "postfix does not listen on $port: $(tail -5 "$pf/postfix.log")"
  local roots
  roots="$(master_pids | tr '\n' ' ')"

  local w=$SESSIONS
  ((w > MESSAGES)) && w=$MESSAGES
  log "postfix+dovecot: warm-up ($w messages), then $MESSAGES messages over $SESSIONS sessions"
  load "$port" "$w" "$pf/load.log" || die "postfix: warm-up failed: $(tail -3 "$pf/load.log")"
  wait_delivered "$w" 60 || die "postfix+dovecot: warm-up not delivered"
  wait_queue_empty

  local c0 t0 t1 t2 c1 base
  base=$(maildir_count)
  c0=$(tree_ticks $roots)
  t0=$(now)
  load "$port" "$MESSAGES" "$pf/load.log" || die "postfix: smtp-source failed: $(tail -3 "$pf/load.log")"
  t1=$(now)
  wait_delivered $((base + MESSAGES)) 60 || die "postfix+dovecot: not all messages delivered"
  t2=$DELIVERED_AT
  wait_queue_empty
  c1=$(tree_ticks $roots)

  log "postfix+dovecot: counting syncs over $SYNC_MESSAGES messages (strace)"
  local syncs
  base=$(maildir_count)
  start_sync_count "$pf/strace.txt" $roots
  load "$port" "$SYNC_MESSAGES" "$pf/load.log" || die "postfix: counting run failed: $(tail -3 "$pf/load.log")"
  wait_delivered $((base + SYNC_MESSAGES)) 60 || die "postfix+dovecot: counting run not delivered"
  wait_queue_empty
  stop_sync_count "$pf/strace.txt"
  syncs=$SYNC_CALLS

  local secs asecs
  secs=$(awk -v a="$t0" -v b="$t2" 'BEGIN { print b - a }')
  asecs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
  RESULTS+=("postfix+dovecot $MESSAGES $secs $(div "$MESSAGES" "$secs") $(div "$MESSAGES" "$asecs") \
$(div "$(((c1 - c0) * 1000))" "$((TICK * MESSAGES))") $(div "$syncs" "$SYNC_MESSAGES")")
}

echo "== smtp_bench: $SESSIONS sessions, $MESSAGES messages of $SIZE bytes, one per connection;" \
  "$(nproc) cores, load average $LOAD_BEFORE, $FS"
for s in $SYSTEMS; do
  case $s in
    taube) bench_taube ;;
    postfix) bench_postfix ;;
    *) die "unknown system '$s' in SMTP_BENCH_SYSTEMS" ;;
  esac
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

printf '%-17s %6s %8s %8s %9s %11s %10s\n' system msgs seconds msg/s accept/s cpu_ms/msg syncs/msg
taube_rate="" pf_rate="" taube_cpu="" pf_cpu=""
for r in "${RESULTS[@]}"; do
  read -r name msgs secs rate arate cpu syncs <<<"$r"
  printf '%-17s %6d %8s %8s %9s %11s %10s\n' "$name" "$msgs" "$(fmt "$secs" 2)" \
    "$(fmt "$rate" 0)" "$(fmt "$arate" 0)" "$(fmt "$cpu" 3)" "$(fmt "$syncs" 3)"
  case $name in
    taube) taube_rate=$rate taube_cpu=$cpu ;;
    postfix+dovecot) pf_rate=$rate pf_cpu=$cpu ;;
  esac
done
if [[ -n $taube_rate && -n $pf_rate ]]; then
  echo "ratio taube/postfix+dovecot msg/s = $(fmt "$(div "$taube_rate" "$pf_rate")" 2)" \
    "(cpu_ms/msg postfix+dovecot/taube = $(fmt "$(div "$pf_cpu" "$taube_cpu")" 2))"
fi
echo "load average before $LOAD_BEFORE, after $LOAD_AFTER"
