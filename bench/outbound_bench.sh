#!/usr/bin/env bash
# Outbound delivery throughput: Taube's queue scheduler against Postfix relaying the
# same load to the same local sink (Postfix's smtp-sink), in the same run.
#
#   bench/outbound_bench.sh [--quick]
#
# Method, identical for both systems: fill the queue with M messages (size S) for a
# foreign domain while delivery is off, then turn delivery on and time until the sink
# has counted all M (smtp-sink -c). msgs/s = M / that time; steady msgs/s =
# (M-1) / (time from the sink's first message to its last), without start-up. This measures the sending
# side only: claiming from the queue, the SMTP client, connection reuse and the queue
# updates (Taube: one store commit per attempt; Postfix: qmgr + smtp + queue file
# removal).
#   Taube:   submission with AUTH (python smtplib, several sessions) with
#            [outbound] enabled = false; restart with enabled = true and a route to
#            the sink.
#   Postfix: smtp-source into a throwaway instance (mynetworks relay) with
#            defer_transports = smtp; then defer_transports cleared, postfix reload
#            and postqueue -f; relayhost is the sink.
# Environment: OUTBOUND_BENCH_MESSAGES (default 2000; --quick 300), OUTBOUND_BENCH_SIZE
# (4096), OUTBOUND_BENCH_SESSIONS (10, the load generator), OUTBOUND_BENCH_SYSTEMS
# ("taube postfix"). TAUBE_BIN: the binary (default build/taube).
# Needs root (Postfix's master starts as root and drops privileges). Everything binds
# 127.0.0.1 on free ports; everything started is stopped by pid on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
HERE=$ROOT/bench/smtp

MESSAGES=${OUTBOUND_BENCH_MESSAGES:-2000}
SIZE=${OUTBOUND_BENCH_SIZE:-4096}
SESSIONS=${OUTBOUND_BENCH_SESSIONS:-10}
SYSTEMS=${OUTBOUND_BENCH_SYSTEMS:-taube postfix}
case "${1:-}" in
  --quick) MESSAGES=${OUTBOUND_BENCH_MESSAGES:-300} ;;
  "") ;;
  *) echo "usage: bench/outbound_bench.sh [--quick]" >&2; exit 2 ;;
esac

log() { echo "outbound_bench: $*" >&2; }
die() { log "$*"; exit 1; }

WORK=""
PIDS=()
POSTFIX_CONF=""
cleanup() {
  set +e
  [[ -n $POSTFIX_CONF ]] && postfix -c "$POSTFIX_CONF" stop >/dev/null 2>&1
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  [[ -n $WORK ]] && rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $(id -u) -eq 0 ]] || die "needs root (Postfix's master and smtp-sink's privilege drop)"
[[ -x /usr/sbin/smtp-sink && -x /usr/sbin/smtp-source ]] || die "no smtp-sink/smtp-source: bash scripts/bootstrap.sh --bench"
TAUBE=$(realpath "${TAUBE_BIN:-build/taube}")
[[ $SYSTEMS != *taube* || -x $TAUBE ]] || die "no taube binary at $TAUBE"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/outbound-bench.XXXXXX")
chmod 755 "$WORK"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s.%N; }
wait_port() {
  local deadline=$((SECONDS + $2))
  until python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),1)" 2>/dev/null; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

# A sink whose running count is in its output file.
SINK_PID=""
SINK_OUT=""
start_sink() {
  local port=$1
  SINK_OUT=$WORK/sink.$port.out
  /usr/sbin/smtp-sink -c -u postfix "127.0.0.1:$port" 256 >"$SINK_OUT" 2>&1 &
  SINK_PID=$!
  PIDS+=("$SINK_PID")
  wait_port "$port" 10 || die "smtp-sink did not start: $(cat "$SINK_OUT")"
}
# smtp-sink -c writes "sess=N quit=N mesg=N" lines ending in CR.
sink_count() { tr '\r' '\n' <"$SINK_OUT" | grep -o 'mesg=[0-9]*' | tail -1 | cut -d= -f2 || true; }
stop_sink() { kill "$SINK_PID" 2>/dev/null; wait "$SINK_PID" 2>/dev/null || true; }

# Waits until the sink counted $1 messages (timeout $2 s); prints two durations: from
# $3 (delivery switched on) to the last message, and from the first message to the
# last (the steady rate, without start-up).
wait_sink() {
  local want=$1 deadline=$((SECONDS + $2)) t0=$3 n first=""
  while :; do
    n=$(sink_count)
    [[ -z $first && ${n:-0} -ge 1 ]] && first=$(now)
    [[ ${n:-0} -ge $want ]] && break
    ((SECONDS < deadline)) || { log "sink stuck at ${n:-0} of $want"; return 1; }
    sleep 0.01
  done
  awk -v a="$t0" -v f="$first" -v b="$(now)" 'BEGIN { printf "%.3f %.3f", b - a, b - f }'
}

BODY_PY="
import smtplib, ssl, sys, threading
port, n, size, sessions = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
line = 'x' * 76 + '\r\n'
body = line * max(1, size // len(line))
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
def run(k):
    s = smtplib.SMTP('127.0.0.1', port, timeout=120); s.starttls(context=ctx); s.ehlo('bench')
    s.login('sender@example.org', 'bench-password')
    for i in range(k, n, sessions):
        s.sendmail('sender@example.org', ['user@sink.test'],
                   f'From: sender@example.org\r\nTo: user@sink.test\r\nSubject: m{i}\r\n\r\n{body}')
    s.quit()
ts = [threading.Thread(target=run, args=(k,)) for k in range(sessions)]
[t.start() for t in ts]; [t.join() for t in ts]
"

RESULTS=()

bench_taube() {
  local dir=$WORK/taube sink port sub
  mkdir -p "$dir"
  sink=$(free_port); port=$(free_port); sub=$(free_port)
  start_sink "$sink"
  local t=("$TAUBE" --data "$dir/data" --config "$dir/taube.toml")
  write_conf() {
    cat >"$dir/taube.toml" <<CONF
[listen]
smtp = "127.0.0.1:$port"
submission = "127.0.0.1:$sub"
submissions = ""
lmtp = ""
imap = ""
imaps = ""
pop3 = ""
pop3s = ""
http = ""
https = ""
[log]
level = "info"
[smtp]
max_connections_per_ip = $((SESSIONS + 50))
[outbound]
enabled = $1
tls = "none"
poll_interval_ms = 100
[outbound.routes]
"sink.test" = "127.0.0.1:$sink"
CONF
  }
  write_conf false
  "${t[@]}" init >/dev/null 2>&1 || true
  "${t[@]}" domain add example.org >/dev/null
  echo bench-password | "${t[@]}" user add sender@example.org >/dev/null
  start_taube() {
    "${t[@]}" serve >>"$dir/serve.log" 2>&1 &
    TAUBE_PID=$!
    PIDS+=("$TAUBE_PID")
    local deadline=$((SECONDS + 30))
    until grep -qs 'event=server.ready' "$dir/serve.log"; do
      kill -0 "$TAUBE_PID" 2>/dev/null || die "taube exited: $(tail -5 "$dir/serve.log")"
      ((SECONDS < deadline)) || die "taube not ready: $(tail -5 "$dir/serve.log")"
      sleep 0.1
    done
  }
  start_taube
  log "taube: queueing $MESSAGES messages of ${SIZE} bytes (delivery off)"
  python3 -c "$BODY_PY" "$sub" "$MESSAGES" "$SIZE" "$SESSIONS" || die "taube: submission failed"
  kill -TERM "$TAUBE_PID"; wait "$TAUBE_PID" || true
  : >"$dir/serve.log"
  write_conf true
  log "taube: delivering"
  local t0 secs
  t0=$(now)
  start_taube
  secs=$(wait_sink "$MESSAGES" 600 "$t0") || die "taube: not all delivered; $("${t[@]}" queue list | tail -3)"
  local left
  left=$("${t[@]}" queue list | tail -1)
  kill -TERM "$TAUBE_PID"; wait "$TAUBE_PID" || true
  stop_sink
  log "taube: $MESSAGES in ${secs% *}s from start, ${secs#* }s first to last (queue afterwards: $left)"
  RESULTS+=("taube $MESSAGES $secs")
}

bench_postfix() {
  local pf=$WORK/postfix sink port
  sink=$(free_port); port=$(free_port)
  start_sink "$sink"
  mkdir -p "$pf/conf" "$pf/queue" "$pf/data"
  chown postfix: "$pf/data"
  cat >"$pf/conf/main.cf" <<CONF
compatibility_level = 3.6
config_directory = $pf/conf
queue_directory = $pf/queue
data_directory = $pf/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = $pf/postfix.log
maillog_file_prefixes = $pf/postfix.log
myhostname = postfix-bench.invalid
mydomain = invalid
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains =
relayhost = [127.0.0.1]:$sink
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
alias_maps =
alias_database =
biff = no
append_dot_mydomain = no
smtp_tls_security_level = none
defer_transports = smtp relay
CONF
  sed "s/@LISTEN@/127.0.0.1:$port/" "$HERE/postfix-master.cf.in" >"$pf/conf/master.cf"
  postfix -c "$pf/conf" start >"$pf/start.log" 2>&1 || die "postfix did not start: $(cat "$pf/start.log")"
  POSTFIX_CONF=$pf/conf
  wait_port "$port" 20 || die "postfix does not listen"
  log "postfix: queueing $MESSAGES messages of ${SIZE} bytes (delivery deferred)"
  /usr/sbin/smtp-source -c -s "$SESSIONS" -m "$MESSAGES" -l "$SIZE" -f sender@example.org \
    -t user@sink.test "127.0.0.1:$port" >"$pf/load.log" 2>&1 || die "smtp-source failed: $(tail -3 "$pf/load.log")"
  # Everything must be in the queue (deferred) before the clock starts.
  local deadline=$((SECONDS + 120)) n
  while :; do
    n=$(find "$pf/queue/deferred" -type f 2>/dev/null | wc -l)
    [[ $n -ge $MESSAGES ]] && break
    ((SECONDS < deadline)) || die "postfix: only $n of $MESSAGES deferred"
    sleep 0.2
  done
  log "postfix: delivering"
  postconf -c "$pf/conf" -e "defer_transports ="
  local t0 secs
  t0=$(now)
  postfix -c "$pf/conf" reload >/dev/null 2>&1
  postqueue -c "$pf/conf" -f
  secs=$(wait_sink "$MESSAGES" 600 "$t0") || die "postfix: not all delivered: $(tail -3 "$pf/postfix.log")"
  postfix -c "$pf/conf" stop >/dev/null 2>&1 || true
  POSTFIX_CONF=""
  stop_sink
  log "postfix: $MESSAGES in ${secs% *}s from reload, ${secs#* }s first to last"
  RESULTS+=("postfix $MESSAGES $secs")
}

for s in $SYSTEMS; do "bench_$s"; done

printf '\n%-10s %9s %12s %10s %14s\n' SYSTEM MESSAGES SECONDS MSGS/S "STEADY MSGS/S"
declare -A RATE
for r in "${RESULTS[@]}"; do
  read -r name n secs first_to_last <<<"$r"
  rate=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.1f", n / s }')
  steady=$(awk -v n="$n" -v s="$first_to_last" 'BEGIN { printf "%.1f", (n - 1) / s }')
  RATE[$name]=$rate
  RATE[$name.steady]=$steady
  printf '%-10s %9s %12s %10s %14s\n' "$name" "$n" "$secs" "$rate" "$steady"
done
if [[ -n ${RATE[taube]:-} && -n ${RATE[postfix]:-} ]]; then
  awk -v t="${RATE[taube]}" -v p="${RATE[postfix]}" -v ts="${RATE[taube.steady]}" -v ps="${RATE[postfix.steady]}" \
    'BEGIN { printf "taube/postfix: %.2f (steady: %.2f)\n", t / p, ts / ps }'
fi
