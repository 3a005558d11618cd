"""The project overrides dbt-postgres's postgres__create_table_as (macros/adapter_overrides/): this fails loudly
when a dbt-postgres or dbt-core upgrade changes what the override leans on, or when the override stops taking
effect."""

from __future__ import annotations

import re
from pathlib import Path

import dbt.include.global_project
import dbt.include.postgres
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
