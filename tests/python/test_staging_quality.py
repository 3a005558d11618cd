"""Every defect the generator injected is caught in staging with the right reason, and nothing is lost."""

from __future__ import annotations

import csv

import pytest
from conftest import ROOT, marketplace_tables, project_pattern

RAW_TABLES = marketplace_tables()


def dq_rules() -> dict[tuple[str, str], str]:
    with open(ROOT / "seeds" / "dq_rules.csv", newline="") as handle:
        return {(row["table_name"], row["reason"]): row["severity"] for row in csv.DictReader(handle)}


def injected_defects(db) -> list[tuple[str, str, str]]:
    return db.execute("select table_name, record_key, defect_kind from raw._injected_defects").fetchall()


def test_every_injected_defect_kind_is_a_known_reason(db, built_project):
    rules = dq_rules()
    unknown = {(t, kind) for t, _, kind in injected_defects(db) if (t, kind) not in rules}
    assert not unknown, f"generator injects kinds staging has no rule for: {sorted(unknown)}"


def test_sample_contains_every_kind_of_defect_the_generator_knows(db, built_project):
    from marketplace_gen.defects import TABLE_KINDS

    injected = {(table, kind) for table, _, kind in injected_defects(db)}
    expected = {(table, kind) for table, kinds in TABLE_KINDS.items() for kind in kinds}
    assert expected <= injected, f"kinds missing from the sample: {sorted(expected - injected)}"
    assert len({kind for _, kind in injected}) >= 20


def test_every_injected_defect_is_quarantined_with_its_reason(db, built_project):
    quarantine = built_project.relation("quarantined_rows")
    missed = db.execute(
        f"""
        select defects.table_name, defects.record_key, defects.defect_kind
        from raw._injected_defects as defects
        left join {quarantine} as quarantined
            on quarantined.table_name = defects.table_name
            and quarantined.record_key = defects.record_key
            and quarantined.reason = defects.defect_kind
        where quarantined.quarantine_id is null
        order by 1, 3, 2
        """
    ).fetchall()
    assert not missed, f"{len(missed)} injected defects not quarantined, e.g. {missed[:10]}"


@pytest.mark.parametrize("table_name", sorted(RAW_TABLES))
def test_blocking_defects_never_reach_clean_staging_output(db, built_project, table_name):
    model, key = RAW_TABLES[table_name]
    rules = dq_rules()
    blocking = [kind for (t, kind), severity in rules.items() if t == table_name and severity == "blocking"]
    leaked = db.execute(
        f"""
        select defects.record_key, defects.defect_kind
        from raw._injected_defects as defects
        inner join {built_project.relation(model)} as staged
            on staged.{key}::text = defects.record_key
        where defects.table_name = %s
          and defects.defect_kind = any(%s)
          and defects.defect_kind <> 'duplicate_delivery'
          and not staged.has_blocking_issue
        """,
        (table_name, blocking),
    ).fetchall()
    assert not leaked, f"blocking defects in clean {model}: {leaked[:10]}"


def test_duplicate_deliveries_collapse_to_the_latest(db, built_project):
    for table_name, (model, key) in RAW_TABLES.items():
        raw_duplicates = db.execute(
            f"select count(*) from (select id from raw.{table_name} group by id having count(*) > 1) as d"
        ).fetchone()[0]
        staged = db.execute(
            f"select count(*), count(distinct {key}) from {built_project.relation(model)}"
        ).fetchone()
        assert staged[0] == staged[1], f"{model} still holds duplicate ids"
        if raw_duplicates:
            latest_kept = db.execute(
                f"""
                select count(*) from {built_project.relation(model)} as staged
                where staged.loaded_at <> (
                    select max(raw_rows._loaded_at) from raw.{table_name} as raw_rows
                    where raw_rows.id = staged.{key}
                )
                """
            ).fetchone()[0]
            assert latest_kept == 0, f"{model} kept an older delivery"


ZERO_WIDTH = project_pattern("zero_width_pattern")
CONTROL = project_pattern("control_character_pattern")
EMAIL = project_pattern("email_pattern")
PHONE = project_pattern("phone_pattern")


def rule_parameter(rule_name: str, parameter: str) -> str:
    """A threshold as seeds/rule_parameters.csv holds it (the one place it is written)."""
    with open(ROOT / "seeds" / "rule_parameters.csv", newline="") as handle:
        rows = csv.DictReader(handle)
        return next(row["value"] for row in rows if (row["rule_name"], row["parameter"]) == (rule_name, parameter))


# (what, staging model, condition that must match no kept row)
DIRTY_VALUES_LEFT = [
    ("zero-width characters", "stg_marketplace__comments", f"body ~ '{ZERO_WIDTH}'"),
    ("control characters", "stg_marketplace__bat_listings", f"description ~ '{CONTROL}'"),
    ("e-mail in comments", "stg_marketplace__comments", f"body ~ '{EMAIL}'"),
    ("e-mail in descriptions", "stg_marketplace__bat_listings", f"description ~ '{EMAIL}'"),
    ("phone in comments", "stg_marketplace__comments", f"body ~ '{PHONE}'"),
    ("phone in descriptions", "stg_marketplace__bat_listings", f"description ~ '{PHONE}'"),
    (
        "mileage out of range",
        "stg_marketplace__vehicles",
        f"mileage < 0 or mileage > {rule_parameter('vehicle_mileage', 'max_miles')}",
    ),
    (
        "invalid year",
        "stg_marketplace__vehicles",
        f"model_year < {rule_parameter('vehicle_year', 'earliest_model_year')} or model_year > 2100",
    ),
    ("placeholder colour", "stg_marketplace__vehicles", "lower(color) in ('unknown', 'n/a', '-', '')"),
    ("oversized description", "stg_marketplace__bat_listings", "length(description) > 100000"),
    ("epoch EXIF time", "stg_marketplace__vehicle_images", "taken_at < '1970-01-02'"),
]


def test_warning_defects_are_cleaned_in_the_kept_row(db, built_project):
    """A kept row with a warning carries the cleaned value, not the offending one."""
    found = {
        what: db.execute(f"select count(*) from {built_project.relation(model)} where {condition}").fetchone()[0]
        for what, model, condition in DIRTY_VALUES_LEFT
    }
    assert not any(found.values()), f"dirty values left in clean columns: {found}"


def test_quarantine_evidence_never_holds_personal_data(db, built_project):
    quarantine = built_project.relation("quarantined_rows")
    leaks = db.execute(
        f"""
        select table_name, reason, offending_value from {quarantine}
        where offending_value ~ %s or offending_value ~ %s
        limit 5
        """,
        (EMAIL, PHONE),
    ).fetchall()
    assert not leaks, f"personal data in quarantine evidence: {leaks}"


def test_staging_drops_personal_columns(db, built_project):
    columns = {
        row[0]
        for row in db.execute(
            "select column_name from information_schema.columns where table_name = 'stg_marketplace__users'"
        )
    }
    assert not columns & {"username", "email", "phone"}
