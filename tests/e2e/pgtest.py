"""A throwaway PostgreSQL 15 server for end-to-end tests: its own data directory,
loopback port and socket directory, removed afterwards. initdb refuses root, so as
root the server runs as the `postgres` user (installed with the postgresql package)."""
import os
import shutil
import subprocess
import tempfile

from taubetest import free_port

PG_BIN = "/usr/lib/postgresql/15/bin"


def available():
    return os.path.exists(os.path.join(PG_BIN, "initdb"))


class Postgres:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="taube-pg-")
        self.port = free_port()
        self.data = os.path.join(self.dir, "data")
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")

    def _run(self, *args, check=True):
        cmd = list(args)
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=120)

    def start(self):
        self._run(f"{PG_BIN}/initdb", "-D", self.data, "-A", "trust", "-U", "postgres", "--no-sync")
        self._run(f"{PG_BIN}/pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=on", "start")
        self._run(f"{PG_BIN}/psql" if os.path.exists(f"{PG_BIN}/psql") else "psql", "-h", "127.0.0.1",
                  "-p", str(self.port), "-U", "postgres", "-c", "CREATE DATABASE taube")
        return self

    def url(self):
        return f"postgresql://postgres@127.0.0.1:{self.port}/taube"

    def stop(self):
        self._run(f"{PG_BIN}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
