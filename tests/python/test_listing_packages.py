"""The listing image package: timing tags, Python and SQL splits agree, what stays out of car packages.

Every key declared and typed, a vehicle in one split, a sale price exactly when sold: those properties are
dbt tests (package_matches_spec, assert_vehicle_never_spans_two_splits, the mart's expression tests)."""

from __future__ import annotations

import json
from collections import Counter

import psycopg
import pytest
import splits


def package_fields(built_project, model="listing_image_packages") -> dict:
    manifest = json.loads((built_project.target_path / "manifest.json").read_text())
    node = next(n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == model)
    column = node["columns"]["package"]
    return column.get("meta", {}).get("package_fields") or column["config"]["meta"]["package_fields"]


def test_every_package_field_is_described(built_project):
    # Timing tags are checked where they are used, by the package_matches_spec test (a compile error).
    fields = package_fields(built_project)
    assert all(spec.get("description") for spec in fields.values())


def test_outcome_and_labels_are_tagged_after_end(built_project):
    fields = package_fields(built_project)
    for path, spec in fields.items():
        if path.startswith(("outcome.", "training_labels.")):
            assert spec["timing"] == "after_end", path
        if path.startswith(("vehicle_context.", "listing_context.", "image_context.")):
            assert spec["timing"] == "listing_start", path


def test_python_split_matches_sql_split(db, built_project):
    mart = built_project.relation("listing_image_packages")
    rows = db.execute(f"select distinct vehicle_id, split from {mart}").fetchall()
    mismatched = [(vehicle_id, split) for vehicle_id, split in rows if splits.split_name(vehicle_id) != split]
    assert rows and not mismatched, f"{len(mismatched)} vehicles split differently in Python: {mismatched[:5]}"


def test_split_proportions_within_two_points_at_scale_0_01():
    """At scale 0.01 the marketplace has 2,870 vehicles: their split shares must be 80/10/10 +- 2."""
    vehicle_count = 2870
    counts = Counter(splits.split_name(vehicle_id) for vehicle_id in range(1, vehicle_count + 1))
    for split, expected in {"train": 0.80, "validation": 0.10, "test": 0.10}.items():
        assert abs(counts[split] / vehicle_count - expected) <= 0.02, counts


def test_no_package_for_live_or_non_car_listings(db, built_project):
    mart = built_project.relation("listing_image_packages")
    listings = built_project.relation("stg_marketplace__bat_listings")
    vehicles = built_project.relation("stg_marketplace__vehicles")
    offending = db.execute(
        f"""
        select count(*) from {mart} as packages
        inner join {listings} as listings on packages.listing_id = listings.listing_id
        inner join {vehicles} as vehicles on listings.vehicle_id = vehicles.vehicle_id
        where listings.listing_status = 'live' or vehicles.lot_category <> 'car'
        """
    ).fetchone()[0]
    assert offending == 0


@pytest.mark.parametrize("argv", [["--bogus"], ["--train-percent", "95", "1"]])
def test_split_cli_rejects_bad_arguments(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        splits.main(argv)
    assert exit_info.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_packages_are_compressed_with_lz4_where_the_server_has_it(db, built_project):
    # The mart's pre-hook (macro prefer_lz4_compression): packages large enough to be compressed say lz4 on a
    # server built with it, and pglz (the hook's fallback) on one without.
    mart = built_project.relation("listing_image_packages")
    has_lz4 = db.execute(
        "select 'lz4' = any(enumvals) from pg_settings where name = 'default_toast_compression'"
    ).fetchone()[0]
    methods = dict(db.execute(
        f"select coalesce(pg_column_compression(package), 'none'), count(*) from {mart} group by 1"
    ).fetchall())
    compressed = {method: count for method, count in methods.items() if method != "none"}
    assert compressed, f"no package was large enough to be compressed: {methods}"
    assert set(compressed) == ({"lz4"} if has_lz4 else {"pglz"}), methods


def test_package_spec_test_reports_each_planted_defect(built_project):
    # The package_matches_spec test as dbt compiled it, run on the mart with five packages broken by hand inside
    # a transaction that is rolled back: each defect must come out as its own violation.
    mart = built_project.relation("listing_image_packages")
    compiled = next((built_project.target_path / "compiled").rglob("all_listing_packages_match_spec.sql"))
    plants = {
        "image_url: missing": "package - 'image_url'",
        "image_context.width: string": "jsonb_set(package, '{image_context,width}', '\"wide\"')",
        "(top level): undeclared keys debug": "package || '{\"debug\": 1}'",
        "outcome: array": "jsonb_set(package, '{outcome}', '[]')",
        "image_context: undeclared keys extra": "jsonb_set(package, '{image_context,extra}', '1')",
    }
    with psycopg.connect(built_project.dsn) as conn:
        victims = [row[0] for row in conn.execute(f"select image_id from {mart} order by image_id limit 5")]
        for image_id, change in zip(victims, plants.values(), strict=True):
            conn.execute(f"update {mart} set package = {change} where image_id = %s", [image_id])
        reported = dict(conn.execute(compiled.read_text()).fetchall())
        conn.rollback()
    assert reported == dict.fromkeys(plants, 1)


def test_unique_by_index_counts_duplicates_once_the_index_is_gone(built_project):
    # The mart's image_id test passes on the unique index without reading the table; without that index it must
    # count, so a duplicated image planted after dropping the index (rolled back) is reported.
    mart = built_project.relation("listing_image_packages")
    compiled_tests = built_project.target_path / "compiled"
    compiled = next(compiled_tests.rglob("unique_by_index_listing_image_packages_image_id*.sql"))
    with psycopg.connect(built_project.dsn) as conn:
        assert conn.execute(compiled.read_text()).fetchall() == []
        index = conn.execute(
            "select indexrelid::regclass::text from pg_index where indrelid = %s::regclass and indisunique", [mart]
        ).fetchone()[0]
        conn.execute(f"drop index {index}")
        conn.execute(f"insert into {mart} select * from {mart} order by image_id limit 1")
        duplicated = conn.execute(compiled.read_text()).fetchall()
        conn.rollback()
    assert len(duplicated) == 1 and duplicated[0][1] == 2, duplicated


def test_uncategorised_galleries_never_say_no_documents(db, built_project):
    """A gallery whose photos carry no category (Cars & Bids does not categorise) cannot show that no photo is a
    document: has_documentation is true or unknown, never false, and documentation_level never `none`. The
    galleries are found in the raw table, not in the staged rows the rule reads."""
    mart = built_project.relation("listing_image_packages")
    rows = db.execute(
        f"""
        with uncategorised_galleries as (
            select listing_id from raw.vehicle_images
            where listing_id is not null
            group by listing_id
            having bool_and(coalesce(btrim(category), '') = '')
        )
        select
            (package -> 'listing_context' ->> 'has_documentation') as has_documentation,
            (package -> 'training_labels' ->> 'documentation_level') as documentation_level,
            count(distinct listing_id) as listings
        from {mart}
        where listing_id in (select listing_id from uncategorised_galleries)
            and (package -> 'listing_context' ->> 'image_count') is distinct from '0'
        group by 1, 2
        """
    ).fetchall()
    assert sum(listings for *_, listings in rows) > 0, "the sample has no uncategorised gallery"
    offending = [row for row in rows if row[0] == "false" or row[1] == "none"]
    assert not offending, f"(has_documentation, documentation_level, listings) from missing categories: {offending}"
