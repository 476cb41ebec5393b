#!/usr/bin/env bash
# `make bench`: builds the benchmarks in Release and runs them, printing tables.
# Benchmarks are measurements, not tests: they never fail a build.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=build/bench
cmake -S . -B "$DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTAUBE_BENCH=ON >/dev/null
ninja -C "$DIR" $(ls bench/*.cmake | xargs -n1 basename | sed 's/\.cmake$//')
for b in "$DIR"/bench/*_bench; do
  echo "== $(basename "$b")"
  "$b" --benchmark_counters_tabular=true "$@"
done
bench/smtp_bench.sh || echo "== smtp_bench: failed (exit $?)" >&2
bench/imap_bench.sh || echo "== imap_bench: failed (exit $?)" >&2
bench/outbound_bench.sh || echo "== outbound_bench: failed (exit $?)" >&2
bench/caldav_bench.sh || echo "== caldav_bench: failed (exit $?)" >&2
