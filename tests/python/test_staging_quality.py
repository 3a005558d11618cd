"""Every defect the generator injected is caught in staging with the right reason, and nothing is lost."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RAW_TABLES = {
    "users": ("stg_marketplace__users", "user_id"),
    "vehicles": ("stg_marketplace__vehicles", "vehicle_id"),
    "bat_listings": ("stg_marketplace__bat_listings", "listing_id"),
    "vehicle_images": ("stg_marketplace__vehicle_images", "image_id"),
    "comments": ("stg_marketplace__comments", "comment_id"),
    "bids": ("stg_marketplace__bids", "bid_id"),
    "technicians": ("stg_marketplace__technicians", "technician_id"),
    "service_records": ("stg_marketplace__service_records", "work_order_id"),
    "ownerships": ("stg_marketplace__ownerships", "ownership_id"),
}


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


ZERO_WIDTH = "[\\u200B-\\u200F\\u2060\\uFEFF]"
CONTROL = "[\\u0001-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]"
EMAIL = "[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+\\.[A-Za-z]{2,}"
PHONE = "[0-9]{3}[ .-][0-9]{3}[ .-][0-9]{4}"
# (what, staging model, condition that must match no kept row)
DIRTY_VALUES_LEFT = [
    ("zero-width characters", "stg_marketplace__comments", f"body ~ '{ZERO_WIDTH}'"),
    ("control characters", "stg_marketplace__bat_listings", f"description ~ '{CONTROL}'"),
    ("e-mail in comments", "stg_marketplace__comments", f"body ~ '{EMAIL}'"),
    ("e-mail in descriptions", "stg_marketplace__bat_listings", f"description ~ '{EMAIL}'"),
    ("phone in comments", "stg_marketplace__comments", f"body ~ '{PHONE}'"),
    ("phone in descriptions", "stg_marketplace__bat_listings", f"description ~ '{PHONE}'"),
    ("mileage out of range", "stg_marketplace__vehicles", "mileage < 0 or mileage > 2000000"),
    ("invalid year", "stg_marketplace__vehicles", "model_year < 1900 or model_year > 2100"),
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
