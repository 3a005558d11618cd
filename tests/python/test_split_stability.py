"""A rebuild, or new vehicles arriving, never moves an existing package to another split.

Runs on a copy of the sample's raw schema in its own dbt schema, so the shared build is untouched.
"""

from __future__ import annotations

import pytest
from cli_common import environment_set
from conftest import marketplace_tables, run_dbt

RAW_COPY = "raw_split_stability"
SCHEMA = "pytest_split_stability"
OFFSET = 10_000_000


@pytest.fixture
def stability_env(db, built_project):
    db.execute(f"drop schema if exists {RAW_COPY} cascade")
    db.execute(f"create schema {RAW_COPY}")
    for table in marketplace_tables():  # the source contract's tables, from the sources YAML
        db.execute(f"create table {RAW_COPY}.{table} as table raw.{table}")
    with environment_set(CONTEXTPACK_RAW_SCHEMA=RAW_COPY, DBT_SCHEMA=SCHEMA):
        yield built_project.target_path.parent / "pytest_split_stability"
    for schema in (RAW_COPY, SCHEMA, f"{SCHEMA}_staging", f"{SCHEMA}_intermediate", f"{SCHEMA}_rules"):
        db.execute(f"drop schema if exists {schema} cascade")


def build_packages(target_path) -> None:
    for args in (["seed"], ["run", "--select", "+listing_image_packages"]):
        result = run_dbt([*args, "--quiet"], target_path)
        assert result.success, f"dbt {args[0]} failed: {result.exception}"


def splits_by_image(db) -> dict[str, str]:
    return dict(db.execute(f"select image_id::text, split from {SCHEMA}.listing_image_packages").fetchall())


def add_new_vehicles(db) -> None:
    """New vehicles, listings and photos arrive in a new daily batch: copies of existing ones under new ids, loaded
    a day after the latest batch (the incremental build reads what was loaded since its last run)."""
    batch = db.execute(f"select max(_loaded_at) + interval '1 day' from {RAW_COPY}.vehicle_images").fetchone()[0]
    db.execute(
        f"insert into {RAW_COPY}.vehicles select id + {OFFSET}, vin, year, make, model, trim, color, interior_color,"
        f" mileage, transmission, engine, body_style, drivetrain, condition_rating, current_owner_id, created_at,"
        f" updated_at, %s from {RAW_COPY}.vehicles",
        [batch],
    )
    db.execute(
        f"insert into {RAW_COPY}.bat_listings select id + {OFFSET}, vehicle_id + {OFFSET}, seller_id, lot_number,"
        f" url || 'relisted', title, description, seller_type, location, started_at, ended_at, status, high_bid,"
        f" sale_price, no_reserve, view_count, watcher_count, comment_count, bid_count, %s"
        f" from {RAW_COPY}.bat_listings",
        [batch],
    )
    db.execute(
        f"insert into {RAW_COPY}.vehicle_images select md5(id::text || 'new')::uuid, vehicle_id + {OFFSET},"
        f" listing_id + {OFFSET}, null, uploader_id, image_url || '?copy', category, position, width, height,"
        f" taken_at, uploaded_at, %s from {RAW_COPY}.vehicle_images where listing_id is not null",
        [batch],
    )


def test_rebuilds_and_new_data_never_move_a_package(db, stability_env):
    build_packages(stability_env)
    before = splits_by_image(db)
    build_packages(stability_env)
    assert splits_by_image(db) == before, "a plain rebuild moved packages"

    add_new_vehicles(db)
    build_packages(stability_env)
    after = splits_by_image(db)
    assert len(after) > len(before), "the new vehicles produced no packages"
    moved = {image: (split, after.get(image)) for image, split in before.items() if after.get(image) != split}
    assert not moved, f"{len(moved)} old packages moved split, e.g. {list(moved.items())[:5]}"
