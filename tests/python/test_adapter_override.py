"""The project overrides dbt-postgres's postgres__create_table_as (macros/adapter_overrides/): this fails loudly
when a dbt-postgres or dbt-core upgrade changes what the override leans on, or when the override stops taking
effect."""

from __future__ import annotations

import re
from pathlib import Path

import dbt.include.global_project
import dbt.include.postgres
import psycopg
import pytest

POSTGRES_MACROS = Path(dbt.include.postgres.__file__).parent / "macros"
GLOBAL_MACROS = Path(dbt.include.global_project.__file__).parent / "macros"
# What the override calls or replaces, as the installed packages must still define it.
RELIED_ON = {
    "postgres__create_table_as(temporary, relation, sql)": POSTGRES_MACROS,
    "get_assert_columns_equivalent(sql)": GLOBAL_MACROS,
    "get_table_columns_and_constraints()": GLOBAL_MACROS,
    "get_select_subquery(sql)": GLOBAL_MACROS,
    "default__get_column_names()": GLOBAL_MACROS,
}


def macro_signatures(folder: Path) -> set[str]:
    pattern = re.compile(r"\{%-?\s*macro\s+([a-z_]+\([^)]*\))")
    return {
        re.sub(r"\s+", " ", match)
        for path in folder.rglob("*.sql")
        for match in pattern.findall(path.read_text())
    }


@pytest.mark.parametrize("signature", RELIED_ON)
def test_dbt_still_defines_what_the_override_relies_on(signature):
    assert signature in macro_signatures(RELIED_ON[signature]), (
        f"the installed dbt no longer defines {signature}: review macros/adapter_overrides/"
    )


def test_the_override_builds_contracted_marts_with_create_table_as(built_project):
    compiled = (built_project.target_path / "run" / "contextpack" / "models" / "marts" / "listing_images"
                / "listing_image_packages.sql").read_text().lower()
    assert re.search(r"create\s+table\s+\S+\s+as\s*\(", compiled), "the mart was not built with create table as"
    assert "insert into" not in compiled


def test_the_marts_constraints_are_held_by_postgresql_and_refuse_bad_rows(built_project):
    # The listing mart declares its not-null columns and split values as constraints (no tests): the override
    # adds them after `create table as`. PostgreSQL must hold each one and refuse a row that breaks it.
    mart = built_project.relation("listing_image_packages")
    with psycopg.connect(built_project.dsn) as conn:
        not_null = {row[0] for row in conn.execute(
            "select attname from pg_attribute where attrelid = %s::regclass and attnotnull and attnum > 0", [mart])}
        assert not_null == {"image_id", "listing_id", "vehicle_id", "listing_ended_at", "split", "package",
                            "package_fingerprint"}
        refused = {}
        for column, value in {"split": "'holdout'", "package": "null", "listing_id": "null"}.items():
            try:
                with conn.transaction():
                    conn.execute(f"update {mart} set {column} = {value} where image_id = "
                                 f"(select image_id from {mart} limit 1)")
            except (psycopg.errors.CheckViolation, psycopg.errors.NotNullViolation) as error:
                refused[column] = type(error).__name__
        conn.rollback()
    assert refused == {"split": "CheckViolation", "package": "NotNullViolation", "listing_id": "NotNullViolation"}
