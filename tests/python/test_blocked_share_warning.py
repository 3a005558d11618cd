"""A delivery that breaks the source contract wholesale warns with a count; ordinary dirty data does not.

The check is assert_blocked_share_within_limit (severity warn). Its expected count here comes from the raw
tables, not from the reconciliation it reads: with every vehicle missing, each non-empty raw table that
references vehicles is wholly blocked, and no other table is.
"""

from __future__ import annotations

import psycopg
import pytest
from conftest import _drop_database, build_altered_marketplace

DATABASE = "contextpack_blocked_share"
SCHEMA = "blocked"
CHECK = "assert_blocked_share_within_limit"


def check_result(result):
    matches = [r for r in (getattr(result.result, "results", None) or []) if r.node.name == CHECK]
    assert len(matches) == 1, f"{CHECK} did not run"
    return matches[0]


def remove_every_vehicle(conn) -> None:
    conn.execute("truncate raw.vehicles")


def tables_referencing_vehicles(dsn: str) -> list[str]:
    """The non-empty raw tables (not the generator's own _truth tables) with a vehicle_id column."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        referencing = [
            table
            for (table,) in conn.execute(
                "select table_name from information_schema.columns"
                " where table_schema = 'raw' and column_name = 'vehicle_id' and table_name not like '\\_%'"
                " order by table_name"
            )
        ]
        return [t for t in referencing if conn.execute(f"select count(*) from raw.{t}").fetchone()[0] > 0]


@pytest.fixture(scope="module")
def no_vehicles_build(warehouse_env):
    # cautious: only the tests of the selected models, not those that also read the person marts
    dbt_args = ["build", "--quiet", "--select", f"+{CHECK}", "--indirect-selection", "cautious"]
    dsn, result = build_altered_marketplace(DATABASE, SCHEMA, warehouse_env, remove_every_vehicle, dbt_args, seed=78)
    yield result, tables_referencing_vehicles(dsn)
    _drop_database(DATABASE, warehouse_env)


def test_a_wholesale_break_warns_with_the_count_of_tables(no_vehicles_build):
    result, expected = no_vehicles_build
    assert result.success, "a warning must never fail the build"
    check = check_result(result)
    assert len(expected) >= 3, expected
    assert (str(check.status), check.failures) == ("warn", len(expected))


def test_ordinary_dirty_data_does_not_warn(built_project):
    assert str(check_result(built_project.build_result).status) == "pass"
