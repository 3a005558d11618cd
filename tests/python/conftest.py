"""Shared fixtures: a real local PostgreSQL, a generated dirty sample, one in-process `dbt build`.

Set CONTEXTPACK_TEST_USE_ENV=1 to run against the server named by the PG* variables instead of the
local throwaway warehouse (the tests create and drop their own databases there).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import sys
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

# The sample every data test reads: small enough for CI, dirty enough that every defect kind appears.
SAMPLE_SCALE = float(os.environ.get("CONTEXTPACK_TEST_SCALE", "0.002"))
SAMPLE_SEED = 20261126
SAMPLE_DIRTY_RATE = 0.03
TEST_DATABASE = "contextpack_pytest"
TEST_SCHEMA = "pytest"
# A secret pseudonym key of this test session only, handed to the server as the session setting the
# project reads (never through Jinja): the tests then recompute every pseudonym independently.
TEST_PSEUDONYM_KEY = f"pytest-{secrets.token_hex(16)}"


def marketplace_tables() -> dict[str, tuple[str, str]]:
    """{raw table: (staging model, its key)} from the project's own YAML: the tables the sources declare, each
    staged by stg_marketplace__<table>, keyed by the column with a unique (or unique_by_index) test."""
    import yaml

    staging = ROOT / "models" / "staging" / "marketplace"
    sources = yaml.safe_load((staging / "_marketplace__sources.yml").read_text())["sources"]
    tables = [table["name"] for source in sources for table in source["tables"]]
    models = {m["name"]: m for m in yaml.safe_load((staging / "_marketplace__models.yml").read_text())["models"]}
    out = {}
    for table in tables:
        model = models[f"stg_marketplace__{table}"]
        key = next(c["name"] for c in model["columns"]
                   if any(test in ("unique", "unique_by_index") for test in c.get("data_tests") or []))
        out[table] = (model["name"], key)
    return out


def project_pattern(name: str, dialect: str = "postgres") -> str:
    """A regular expression as the project defines it, once, in macros/staging/<name>.sql: for SQL as
    written there, or for Python's re (PostgreSQL's word boundaries \\m and \\M become \\b)."""
    text = (ROOT / "macros" / "staging" / f"{name}.sql").read_text()
    pattern = re.search(r"^\s*'(.*)'\s*$", text, re.MULTILINE).group(1).replace("''", "'")
    return pattern if dialect == "postgres" else pattern.replace("\\m", "\\b").replace("\\M", "\\b")


def hmac_pseudonym(key: str, kind: str, raw_id) -> str:
    """The pseudonym the project's macro pseudonymize computes, recomputed with Python's hmac."""
    return hmac.new(key.encode(), f"{kind}:{raw_id}".encode(), hashlib.sha256).hexdigest()


def with_pseudonym_key(key: str, base: str | None = None) -> str:
    """PGOPTIONS that set contextpack.pseudonym_key for every new session, keeping other options."""
    return f"{base or ''} -c contextpack.pseudonym_key={key}".strip()


@pytest.fixture(scope="session")
def warehouse_env() -> dict[str, str]:
    if os.environ.get("CONTEXTPACK_TEST_USE_ENV") == "1":
        return {k: v for k, v in os.environ.items() if k.startswith("PG")}
    import warehouse

    env = warehouse.start(quiet=True)
    os.environ.update(env)
    return env


def _admin_connection(warehouse_env: dict[str, str]) -> psycopg.Connection:
    return psycopg.connect(dbname="postgres", autocommit=True)


def _recreate_database(name: str, warehouse_env: dict[str, str]) -> str:
    with _admin_connection(warehouse_env) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')
        admin.execute(f'create database "{name}"')
    host, port, user = (os.environ.get(k, "") for k in ("PGHOST", "PGPORT", "PGUSER"))
    return f"host={host} port={port} user={user} dbname={name}"


def _drop_database(name: str, warehouse_env: dict[str, str]) -> None:
    with _admin_connection(warehouse_env) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')


def build_altered_marketplace(name: str, schema: str, warehouse_env, alter, dbt_args: list[str], seed: int):
    """A tiny generated marketplace in database `name`, its raw tables changed by `alter(conn)`, then built with
    `dbt_args` into `schema`. Returns the dsn and dbt's result; the caller drops the database (_drop_database)."""
    import generate_marketplace

    dsn = _recreate_database(name, warehouse_env)
    generate_marketplace.generate(dsn, scale=0.001, seed=seed, dirty_rate=0.03, schema="raw")
    with psycopg.connect(dsn, autocommit=True) as conn:
        alter(conn)
    from cli_common import environment_set

    with environment_set(PGDATABASE=name, DBT_SCHEMA=schema):
        result = run_dbt(dbt_args, ROOT / "target" / f"pytest_{schema}")
    return dsn, result


@contextmanager
def generated_world(name: str, schema: str, warehouse_env, seed: int, scale: float = 0.002):
    """A generated marketplace in a database of its own, dbt pointed at it (PGDATABASE, DBT_SCHEMA): yields
    (autocommit connection, dsn); the database is dropped afterwards."""
    import generate_marketplace
    from cli_common import environment_set

    dsn = _recreate_database(name, warehouse_env)
    try:
        generate_marketplace.generate(dsn, scale=scale, seed=seed, dirty_rate=0.03, schema="raw")
        with environment_set(PGDATABASE=name, DBT_SCHEMA=schema), psycopg.connect(dsn, autocommit=True) as conn:
            yield conn, dsn
    finally:
        _drop_database(name, warehouse_env)


@pytest.fixture
def scratch_dsn(warehouse_env):
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"contextpack_scratch_{uuid.uuid4().hex[:10]}"
    dsn = _recreate_database(name, warehouse_env)
    yield dsn
    _drop_database(name, warehouse_env)


@dataclass
class BuiltProject:
    """The generated sample after `dbt build`: where each model landed and how to call dbt again."""

    dsn: str
    target_path: Path
    relations: dict[str, str] = field(default_factory=dict)
    generated: dict = field(default_factory=dict)
    build_result: object = None
    pseudonym_key: str = TEST_PSEUDONYM_KEY

    def relation(self, name: str) -> str:
        return self.relations[name]

    def dbt(self, *args: str):
        return run_dbt(list(args), self.target_path)


def run_dbt(args: list[str], target_path: Path):
    from dbt.cli.main import dbtRunner

    full = [*args, "--project-dir", str(ROOT), "--profiles-dir", str(ROOT), "--target-path", str(target_path)]
    return dbtRunner().invoke(full)


def _relations_from_manifest(target_path: Path) -> dict[str, str]:
    manifest = json.loads((target_path / "manifest.json").read_text())
    relations = {}
    for node in list(manifest["nodes"].values()) + list(manifest["sources"].values()):
        if node.get("relation_name") and node["resource_type"] in {"model", "seed", "snapshot"}:
            relations[node["name"]] = node["relation_name"]
        elif node["resource_type"] == "source":
            relations[f"raw.{node['name']}"] = node["relation_name"]
    return relations


@pytest.fixture(scope="session")
def built_project(warehouse_env) -> BuiltProject:
    import generate_marketplace

    dsn = _recreate_database(TEST_DATABASE, warehouse_env)
    generated = generate_marketplace.generate(
        dsn, scale=SAMPLE_SCALE, seed=SAMPLE_SEED, dirty_rate=SAMPLE_DIRTY_RATE, schema="raw"
    )
    os.environ["PGDATABASE"] = TEST_DATABASE
    os.environ["DBT_SCHEMA"] = TEST_SCHEMA
    os.environ["CONTEXTPACK_RAW_SCHEMA"] = "raw"
    os.environ["PGOPTIONS"] = with_pseudonym_key(TEST_PSEUDONYM_KEY, os.environ.get("PGOPTIONS"))
    target_path = ROOT / "target" / "pytest"
    result = run_dbt(["build", "--quiet"], target_path)
    if not result.success:
        failures = []
        for node_result in getattr(result.result, "results", []) or []:
            if str(node_result.status) not in {"success", "pass"}:
                failures.append(f"{node_result.node.unique_id}: {node_result.status}: {node_result.message}")
        pytest.fail("dbt build failed:\n" + "\n".join(failures or [str(result.exception)]))
    return BuiltProject(
        dsn=dsn,
        target_path=target_path,
        relations=_relations_from_manifest(target_path),
        generated=generated,
        build_result=result,
    )


@pytest.fixture(scope="session")
def db(built_project) -> psycopg.Connection:
    conn = psycopg.connect(built_project.dsn, autocommit=True)
    yield conn
    conn.close()
