"""Tests for scripts/warehouse.py: a real PostgreSQL in a private warehouse dir per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "warehouse.py"
VENV_PYTHON = REPO / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON if VENV_PYTHON.exists() else Path(sys.executable))

sys.path.insert(0, str(REPO / "scripts"))
import warehouse  # noqa: E402


@pytest.fixture(scope="module")
def wh_dir():
    # Directly under /tmp, not pytest's tmp_path: as root that may sit under /root,
    # which the postgres system user cannot traverse. Never the developer's warehouse.
    path = Path("/tmp") / f"contextpack-warehouse-test-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    yield path
    # Always leave no server behind, whatever the tests did.
    subprocess.run([PYTHON, str(SCRIPT), "destroy"], capture_output=True, timeout=60,
                   env={**os.environ, "CONTEXTPACK_WAREHOUSE_DIR": str(path)})
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def cli(wh_dir, monkeypatch):
    monkeypatch.setenv("CONTEXTPACK_WAREHOUSE_DIR", str(wh_dir))  # for the in-process API too

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([PYTHON, str(SCRIPT), *args], capture_output=True, text=True, timeout=90,
                              env={**os.environ, "CONTEXTPACK_WAREHOUSE_DIR": str(wh_dir)})

    return run


def parse_env(stdout: str) -> dict:
    values = {}
    for line in stdout.splitlines():
        assert line.startswith("export "), line
        key, _, value = line[len("export "):].partition("=")
        values[key] = value
    return values


def test_bad_subcommand_is_one_line_exit_2(cli):
    proc = cli("bogus")
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "invalid choice" in proc.stderr


def test_start_status_env_and_connect(cli, wh_dir):
    first = cli("start")
    assert first.returncode == 0, first.stderr
    assert "warehouse.py env" in first.stdout

    status = cli("status")
    assert status.returncode == 0 and status.stdout.startswith("running"), status.stdout

    env_proc = cli("env")
    assert env_proc.returncode == 0, env_proc.stderr
    values = parse_env(env_proc.stdout)
    assert values["PGHOST"] == "127.0.0.1"
    assert values["PGUSER"] == "postgres" and values["PGDATABASE"] == "contextpack"
    conninfo = {"host": values["PGHOST"], "port": int(values["PGPORT"]), "user": values["PGUSER"],
                "dbname": values["PGDATABASE"]}
    with psycopg.connect(**conninfo, connect_timeout=5) as conn:
        assert conn.execute("select 1").fetchone() == (1,)
        assert conn.execute("show fsync").fetchone() == ("off",)

    again = cli("start")
    assert again.returncode == 0 and "already running" in again.stdout
    assert parse_env(cli("env").stdout)["PGPORT"] == values["PGPORT"]

    # The importable API agrees with the CLI and is idempotent too.
    assert warehouse.warehouse_dir() == wh_dir
    assert warehouse.env()["PGPORT"] == values["PGPORT"]
    assert warehouse.start(quiet=True)["PGPORT"] == values["PGPORT"]
    state = warehouse.status()
    assert state is not None and state["port"] == int(values["PGPORT"])
    assert {"pid", "bin_dir", "version", "user", "started_at", "owner_uid"} <= state.keys()


def test_stop_env_fails_and_destroy_removes(cli, wh_dir):
    assert cli("start").returncode == 0  # idempotent: fine whether or not the test above ran

    stop = cli("stop")
    assert stop.returncode == 0 and "stopped" in stop.stdout
    status = cli("status")
    assert status.returncode == 3 and status.stdout.startswith("stopped")
    assert warehouse.status() is None
    with pytest.raises(warehouse.WarehouseNotRunning):
        warehouse.env()

    again = cli("stop")
    assert again.returncode == 0 and "not running" in again.stdout

    env_proc = cli("env")
    assert env_proc.returncode == 3 and env_proc.stdout == ""
    assert len(env_proc.stderr.strip().splitlines()) == 1

    assert wh_dir.exists()
    destroy = cli("destroy")
    assert destroy.returncode == 0, destroy.stderr
    assert not wh_dir.exists()
