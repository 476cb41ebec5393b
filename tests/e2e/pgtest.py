"""A throwaway PostgreSQL 15 server for end-to-end tests: its own data directory,
loopback port and socket directory, removed afterwards. initdb refuses root, so as
root the server runs as the `postgres` user (installed with the postgresql package)."""
import os
import shutil
import signal
import subprocess
import tempfile
import time

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


def auto_failover_available():
    return available() and shutil.which("pg_autoctl") is not None


class AutoFailover:
    """A pg_auto_failover formation on loopback (HA-NOTES.md sections 1, 2 and 8): a
    monitor and two data nodes with synchronous replication (replication quorum),
    tuned for fast failover. Everything lives in one temporary directory; pg_autoctl
    runs as `postgres` when we are root (initdb refuses root)."""

    PG_PATH = f"{PG_BIN}:/usr/bin:/bin"

    def __init__(self, dbname="taube"):
        self.dir = tempfile.mkdtemp(prefix="taube-paf-")
        self.dbname = dbname
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self.monitor_port = free_port()
        self.ports = {"node1": free_port(), "node2": free_port()}
        self.procs = {}  # name -> Popen of the long-running `pg_autoctl run`
        self.xdg = {k: os.path.join(self.dir, "xdg", k) for k in ("config", "data", "run")}
        for d in self.xdg.values():
            os.makedirs(d, mode=0o700, exist_ok=True)
            if self._as_postgres:
                shutil.chown(d, "postgres", "postgres")
        if self._as_postgres:
            shutil.chown(os.path.join(self.dir, "xdg"), "postgres", "postgres")

    def _cmd(self, args):
        env = ["env", f"PATH={self.PG_PATH}", f"XDG_CONFIG_HOME={self.xdg['config']}",
               f"XDG_DATA_HOME={self.xdg['data']}", f"XDG_RUNTIME_DIR={self.xdg['run']}"]
        cmd = env + list(args)
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        return cmd

    def run(self, *args, check=True, timeout=60):
        return subprocess.run(self._cmd(args), capture_output=True, text=True, check=check,
                              timeout=timeout)

    def _bg(self, name, *args):
        log = open(os.path.join(self.dir, name + ".log"), "a")
        self.procs[name] = subprocess.Popen(self._cmd(args), stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

    def pgdata(self, name):
        return os.path.join(self.dir, name)

    def psql(self, port, sql, db="postgres", check=True):
        r = subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", db,
                            "-Atqc", sql], capture_output=True, text=True, timeout=20)
        if check and r.returncode != 0:
            raise RuntimeError(f"psql {sql!r}: {r.stderr}")
        return r.stdout.strip()

    def monitor_url(self):
        return (f"postgres://autoctl_node@127.0.0.1:{self.monitor_port}/pg_auto_failover"
                "?sslmode=disable")

    def url(self, extra="target_session_attrs=read-write&connect_timeout=2"):
        hosts = ",".join(f"127.0.0.1:{self.ports[n]}" for n in ("node1", "node2"))
        return f"postgresql://postgres@{hosts}/{self.dbname}?{extra}"

    def states(self):
        """name -> (reported state, assigned state), from the monitor."""
        out = self.psql(self.monitor_port,
                        "select nodename, reportedstate, goalstate from pgautofailover.node",
                        db="pg_auto_failover", check=False)
        states = {}
        for line in out.splitlines():
            parts = line.split("|")
            if len(parts) == 3:
                states[parts[0]] = (parts[1], parts[2])
        return states

    def wait_for(self, predicate, what, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate(self.states()):
                return
            time.sleep(0.2)
        raise RuntimeError(f"pg_auto_failover: no {what} within {timeout}s: {self.states()}")

    def primary(self):
        for name, (reported, goal) in self.states().items():
            if reported in ("primary", "wait_primary", "single") and reported == goal:
                return name
        return None

    def start(self):
        self.run("pg_autoctl", "create", "monitor", "--pgdata", self.pgdata("monitor"),
                 "--pgport", str(self.monitor_port), "--hostname", "127.0.0.1",
                 "--listen", "127.0.0.1", "--auth", "trust", "--no-ssl", timeout=120)
        self._bg("monitor", "pg_autoctl", "run", "--pgdata", self.pgdata("monitor"))
        deadline = time.monotonic() + 60
        while self.psql(self.monitor_port, "select 1", db="pg_auto_failover", check=False) != "1":
            if time.monotonic() > deadline:
                raise RuntimeError("monitor did not start")
            time.sleep(0.2)
        # Tuned B (HA-NOTES.md section 2): writes back about 2.5 s after a node dies.
        for setting in ("health_check_period = '500ms'", "health_check_timeout = '1s'",
                        "health_check_max_retries = 1", "health_check_retry_delay = '100ms'",
                        "node_considered_unhealthy_timeout = '1s'",
                        "primary_demote_timeout = '1s'"):
            self.psql(self.monitor_port, f"ALTER SYSTEM SET pgautofailover.{setting}",
                      db="pg_auto_failover")
        self.psql(self.monitor_port, "SELECT pg_reload_conf()", db="pg_auto_failover")
        for name in ("node1", "node2"):
            self._bg(name, "pg_autoctl", "create", "postgres", "--pgdata", self.pgdata(name),
                     "--pgport", str(self.ports[name]), "--hostname", "127.0.0.1",
                     "--listen", "127.0.0.1", "--name", name, "--monitor", self.monitor_url(),
                     "--dbname", self.dbname, "--auth", "trust", "--no-ssl",
                     "--replication-quorum", "true", "--candidate-priority", "50", "--run")
            if name == "node1":
                self.wait_for(lambda s: s.get("node1") == ("single", "single"), "single node1")
        # pg_basebackup waits for a spread checkpoint (minutes on an idle server):
        # an explicit CHECKPOINT ends it at once.
        def both_up(states):
            if sorted(v[0] for v in states.values() if v[0] == v[1]) == ["primary", "secondary"]:
                return True
            self.psql(self.ports["node1"], "CHECKPOINT", check=False)
            return False
        self.wait_for(both_up, "primary and secondary", timeout=90)
        for name in ("node1", "node2"):
            self.run("pg_autoctl", "config", "set", "--pgdata", self.pgdata(name),
                     "timeout.network_partition_timeout", "1")
            self.run("pg_autoctl", "reload", "--pgdata", self.pgdata(name), check=False)
            self.psql(self.ports[name], "ALTER SYSTEM SET wal_retrieve_retry_interval = '200ms'")
            self.psql(self.ports[name], "SELECT pg_reload_conf()")
        return self

    def _descendants(self, root):
        children = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        out, todo = [], [root]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo.extend(children.get(pid, []))
        return out

    def kill_node(self, name):
        """SIGKILL of the node's pg_autoctl tree and its postgres: the machine dies."""
        pids = set(self._descendants(self.procs[name].pid))
        try:
            with open(os.path.join(self.pgdata(name), "postmaster.pid")) as f:
                pids.update(self._descendants(int(f.readline())))
        except (OSError, ValueError):
            pass
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.procs[name].wait(timeout=30)

    def restart_node(self, name):
        # The dead supervisor's pid file would stop `pg_autoctl run`.
        for root, _, files in os.walk(self.xdg["run"]):
            for f in files:
                if f == "pg_autoctl.pid" and self.pgdata(name) in root:
                    os.unlink(os.path.join(root, f))
        self._bg(name, "pg_autoctl", "run", "--pgdata", self.pgdata(name))

    def stop(self):
        for name in ("node2", "node1", "monitor"):
            proc = self.procs.get(name)
            if proc and proc.poll() is None:
                self.run("pg_autoctl", "stop", "--pgdata", self.pgdata(name), check=False)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    pass
            if proc and proc.poll() is None:
                self.kill_node(name)
            # Postgres left behind by a killed supervisor.
            try:
                with open(os.path.join(self.pgdata(name), "postmaster.pid")) as f:
                    os.kill(int(f.readline()), signal.SIGKILL)
            except (OSError, ValueError):
                pass
        if not os.environ.get("TAUBE_KEEP_PAF"):
            shutil.rmtree(self.dir, ignore_errors=True)
