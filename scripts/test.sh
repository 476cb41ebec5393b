#!/usr/bin/env bash
# The whole test suite, as `make test` and CI run it:
#   1. install packages (idempotent), 2. build with ASan+UBSan and -Werror,
#   3. run every ctest test (unit, end-to-end, crash), 4. the release build
#   through the IMAP, SMTP and CalDAV end-to-end suites, 5. build the libFuzzer
#   targets with clang and run each for FUZZ_SECONDS.
# Ends with one line "test: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."

JOBS=${JOBS:-$(nproc)}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
DEBUG_DIR=build/debug
RELEASE_DIR=build/release
FUZZ_DIR=build/fuzz

bash scripts/bootstrap.sh --test

passed=0
failed=0
count_ctest() {  # reads a ctest log, adds its totals
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$1" | tail -n 1 || true)
  if [[ -z "$line" ]]; then failed=$((failed + 1)); return; fi
  local total fail
  total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
  fail=$(sed -E 's/.* ([0-9]+) tests failed.*/\1/' <<<"$line")
  passed=$((passed + total - fail))
  failed=$((failed + fail))
}

if [[ -z "${FUZZ_ONLY:-}" ]]; then
  cmake -S . -B "$DEBUG_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DTAUBE_SANITIZE=ON -DTAUBE_WERROR=ON >/dev/null
  ninja -C "$DEBUG_DIR" -j "$JOBS"
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  ctest --test-dir "$DEBUG_DIR" -j "$JOBS" --output-on-failure 2>&1 | tee build/ctest-debug.log || true
  count_ctest build/ctest-debug.log

  # The release build (`make build`, `make run`) through the main end-to-end
  # suites as well: a miscompile that only -O2 shows (docs/DEVELOPMENT.md) must
  # fail here, not on a server.
  cmake -S . -B "$RELEASE_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTAUBE_BENCH=OFF >/dev/null
  ninja -C "$RELEASE_DIR" -j "$JOBS" taube
  ctest --test-dir "$RELEASE_DIR" -j "$JOBS" -R '^e2e_test_(imap|imap_mbsync|smtp|caldav)$' \
    --output-on-failure 2>&1 | tee build/ctest-release.log || true
  count_ctest build/ctest-release.log
fi

CC=clang-14 CXX=clang++-14 cmake -S . -B "$FUZZ_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DTAUBE_FUZZ=ON -DTAUBE_WERROR=ON -DTAUBE_FUZZ_SECONDS="$FUZZ_SECONDS" >/dev/null
ninja -C "$FUZZ_DIR" -j "$JOBS"
ctest --test-dir "$FUZZ_DIR" -j "$JOBS" --output-on-failure 2>&1 | tee build/ctest-fuzz.log || true
count_ctest build/ctest-fuzz.log

echo "test: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
