# The two commands a new user needs:  `make run`  and  `make test`.
# Everything else here is a step of those two, usable on its own.
.PHONY: all deps build run test unit fuzz bench clean fault-test

JOBS ?= $(shell nproc)
RELEASE_DIR := build/release
DATA ?= var

all: build

deps:
	@bash scripts/bootstrap.sh

# Release build; the binary is left at build/taube.
build: deps
	@cmake -S . -B $(RELEASE_DIR) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTAUBE_BENCH=OFF >/dev/null
	@ninja -C $(RELEASE_DIR) -j $(JOBS) taube
	@cp -f $(RELEASE_DIR)/taube build/taube

# A working single node in ./var on unprivileged loopback ports, embedded SQLite store.
run: build
	@build/taube --data $(DATA) serve

# Installs test dependencies, builds with ASan+UBSan and -Werror, runs every test
# (unit, end-to-end, crash, fuzz smoke). FUZZ_SECONDS sets the fuzz time per target.
test:
	@bash scripts/test.sh

# The failover fault test alone (issue 7): a pg_auto_failover formation on loopback,
# two taube nodes, SMTP load, SIGKILL of the primary and of one node. Ends with the
# line "fault-test: acknowledged=... lost=0 duplicated=0 smtp_failures=0 ...".
fault-test: build
	@(cd tests/e2e && TAUBE_BIN=$(CURDIR)/build/taube PYTHONDONTWRITEBYTECODE=1 \
		/usr/bin/python3 -m unittest -v test_failover.FailoverTest; echo $$? > $(CURDIR)/build/fault-test.rc) \
		2>&1 | tee build/fault-test.log
	@grep -o 'fault-test: acknowledged=.*' build/fault-test.log | tail -1; exit $$(cat build/fault-test.rc)

fuzz:
	@FUZZ_ONLY=1 bash scripts/test.sh

bench:
	@bash scripts/bootstrap.sh --bench
	@bash bench/run.sh

clean:
	rm -rf build
