"""Technician work and owner profile packages: labels, bounded arrays, history order, rule sanity."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import splits
import yaml
from conftest import ROOT, hmac_pseudonym

MARTS = {
    "technician_work_packages": {"key": "technician_key", "kind": "technician"},
    "owner_profile_packages": {"key": "owner_key", "kind": "owner"},
}
# A budget for one package's bytes, from the bounds the project's vars set.
MAX_PACKAGE_BYTES = {"technician_work_packages": 256 * 1024, "owner_profile_packages": 64 * 1024}


def project_vars() -> dict:
    return yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]


def array_bounds(mart: str) -> dict[tuple[str, str], int]:
    """The bounds the docs promise, read from the project's own vars."""
    variables = project_vars()
    if mart == "technician_work_packages":
        return {("work_history", "orders"): variables["technician_work_history_limit"]}
    return {
        ("garage_photos", "photos"): variables["owner_garage_photo_limit"],
        ("vehicle_photos", "photos"): variables["owner_vehicle_photo_limit"],
        ("garage", "vehicles"): variables["owner_vehicle_limit"],
        ("garage", "makes"): variables["owner_make_limit"],
    }


def package_fields(built_project, model: str) -> dict:
    manifest = json.loads((built_project.target_path / "manifest.json").read_text())
    node = next(n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == model)
    column = node["columns"]["package"]
    return column.get("meta", {}).get("package_fields") or column["config"]["meta"]["package_fields"]


@pytest.fixture(scope="module")
def packages(db, built_project) -> dict[str, list[tuple[str, str, dict]]]:
    """Every package of both marts as (key, package text, parsed package)."""
    out = {}
    for mart, spec in MARTS.items():
        rows = db.execute(f"select {spec['key']}, package::text from {built_project.relation(mart)}").fetchall()
        out[mart] = [(key, text, json.loads(text)) for key, text in rows]
    return out


@pytest.mark.parametrize("mart", MARTS)
def test_marts_hold_packages(mart, packages, db, built_project):
    people = db.execute(
        "select count(distinct id) from raw.technicians"
        if mart == "technician_work_packages"
        else "select count(distinct owner_id) from raw.ownerships"
    ).fetchone()[0]
    assert len(packages[mart]) >= 0.8 * people, f"{mart} holds {len(packages[mart])} packages for {people} people"


@pytest.mark.parametrize("mart", MARTS)
def test_labels_and_only_labels_are_tagged_label(mart, built_project):
    fields = package_fields(built_project, mart)
    assert all(spec.get("description") and spec.get("type") for spec in fields.values())
    for path, spec in fields.items():
        assert (spec["timing"] == "label") == path.startswith("training_labels."), path


@pytest.mark.parametrize("mart", MARTS)
def test_arrays_and_packages_are_bounded(mart, packages):
    largest = max(len(text.encode()) for _, text, _ in packages[mart])
    print(f"{mart}: largest package {largest} bytes")
    assert largest <= MAX_PACKAGE_BYTES[mart]
    photos_per_order = project_vars()["technician_photos_per_order_limit"]
    for _, _, package in packages[mart]:
        for (section, key), bound in array_bounds(mart).items():
            assert len(package[section][key]) <= bound, (section, key)
        if mart == "technician_work_packages":
            history = package["work_history"]
            assert len(history["orders"]) == min(history["orders_total"], history["limit"])
            assert all(
                len(order["photos"]) == min(order["photo_count"], photos_per_order) for order in history["orders"]
            )


def test_work_history_is_the_latest_orders_newest_first(packages, db, built_project):
    """The orders shown are the raw work orders of the technician, newest first, recomputed here."""
    limit = project_vars()["technician_work_history_limit"]
    clean = built_project.relation("stg_marketplace__service_records")
    orders: dict[int, list[int]] = {}
    for technician_id, work_order_id in db.execute(
        f"""
        select technician_id, work_order_id from {clean}
        where not has_blocking_issue and technician_id is not null
        order by technician_id, performed_date desc, work_order_id desc
        """
    ):
        orders.setdefault(technician_id, []).append(work_order_id)
    key = built_project.pseudonym_key
    by_key = {hmac_pseudonym(key, "technician", tid): ids for tid, ids in orders.items()}
    for technician_key, _, package in packages["technician_work_packages"]:
        shown = [order["work_order_key"] for order in package["work_history"]["orders"]]
        expected = [
            hmac_pseudonym(key, "technician_package_work_order", oid) for oid in by_key.get(technician_key, [])[:limit]
        ]
        assert shown == expected, f"technician {technician_key[:8]}: orders not the latest, newest first"


@pytest.mark.parametrize("mart", MARTS)
def test_split_is_grouped_by_the_person(mart, packages, db, built_project):
    raw = "select distinct id from raw.technicians" if mart == "technician_work_packages" else (
        "select distinct owner_id from raw.ownerships"
    )
    kind = MARTS[mart]["kind"]
    people = {hmac_pseudonym(built_project.pseudonym_key, kind, row[0]): row[0] for row in db.execute(raw)}
    for key, _, package in packages[mart]:
        assert package["split"] == splits.split_name(people[key]), "split is not grouped by the person"


def test_owner_type_recovers_the_generator_archetypes(packages, db, built_project):
    """Sanity check of the rule against the generator's ground truth (not a target to tune to)."""
    archetypes = {
        hmac_pseudonym(built_project.pseudonym_key, "owner", owner_id): archetype
        for owner_id, archetype in db.execute("select owner_id, archetype from raw._owner_archetypes")
    }
    labeled = [
        (archetypes[key], pkg["training_labels"]["owner_type"]) for key, _, pkg in packages["owner_profile_packages"]
    ]
    assert len(labeled) >= 0.9 * len(archetypes), "most owners should have a package"
    known = [(truth, label) for truth, label in labeled if label != "unknown"]
    recovered = sum(truth == label for truth, label in known) / len(known)
    unknown_share = 1 - len(known) / len(labeled)
    print(
        f"owner_type recovers {recovered:.1%} of the {len(known)} owners it labels; {unknown_share:.1%} of "
        f"{len(labeled)} unknown; (truth, label): {Counter(labeled).most_common()}"
    )
    # A confident label is right; unknown (no measured use, account type unknown) stays a minority.
    assert recovered >= 0.85
    assert unknown_share <= 0.25


def test_documentation_score_orders_the_technicians_habits(packages, db, built_project):
    habits = {
        hmac_pseudonym(built_project.pseudonym_key, "technician", technician_id): habit
        for technician_id, habit in db.execute(
            "select technician_id, documentation_habit from raw._technician_profiles"
        )
    }
    scores: dict[str, list[float]] = {}
    for key, _, package in packages["technician_work_packages"]:
        score = package["training_labels"]["documentation_consistency_score"]
        if score is not None:
            scores.setdefault(habits[key], []).append(score)
    means = {habit: sum(values) / len(values) for habit, values in scores.items()}
    print(f"mean documentation_consistency_score per generator habit: {means}")
    ordered = [means[h] for h in ("minimal", "standard", "meticulous") if h in means]
    assert ordered == sorted(ordered) and len(ordered) >= 2
