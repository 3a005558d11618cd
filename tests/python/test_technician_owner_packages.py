"""Technician work and owner profile packages: timed fields, bounded arrays, no personal data, rule sanity."""

from __future__ import annotations

import hashlib
import json
import os
import re

import pytest
import splits

MARTS = {
    "technician_work_packages": {"key": "technician_key", "kind": "technician", "raw": "raw.technicians"},
    "owner_profile_packages": {"key": "owner_key", "kind": "owner", "raw": "raw.ownerships"},
}
# The bounds the docs promise (dbt vars at their defaults) and the byte budget they imply.
ARRAY_BOUNDS = {
    "technician_work_packages": {("work_history", "orders"): 50},
    "owner_profile_packages": {
        ("garage_photos", "photos"): 12,
        ("vehicle_photos", "photos"): 24,
        ("garage", "vehicles"): 40,
        ("garage", "makes"): 20,
    },
}
PHOTOS_PER_ORDER = 12
MAX_PACKAGE_BYTES = {"technician_work_packages": 256 * 1024, "owner_profile_packages": 64 * 1024}
PERSON_ID_KEYS = {"technician_id", "owner_id", "user_id", "uploader_id", "seller_id", "bidder_id", "current_owner_id"}
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(r"\+[0-9][0-9 ().-]{7,17}[0-9]|(?:\([0-9]{3}\) ?|\b[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}\b")
PLACEHOLDERS = {"unknown", "n/a", "none", "null", "not available"}
DEV_KEY = "contextpack-DEVELOPMENT-ONLY-pseudonym-key"


def pseudonym(kind: str, raw_id: int) -> str:
    key = os.environ.get("CONTEXTPACK_PSEUDONYM_KEY", DEV_KEY)
    return hashlib.sha256(f"{key}:{kind}:{raw_id}".encode()).hexdigest()


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


def walk(value, path=()):
    """Yield (path, key-or-None, scalar) for every scalar in a json value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, (*path, key))
    elif isinstance(value, list):
        for item in value:
            yield from walk(item, (*path, "[]"))
    else:
        yield path, value


@pytest.mark.parametrize("mart", MARTS)
def test_marts_hold_packages(mart, packages):
    assert len(packages[mart]) >= 5, f"{mart} holds {len(packages[mart])} packages"


@pytest.mark.parametrize("mart", MARTS)
def test_labels_and_only_labels_are_tagged_label(mart, built_project):
    fields = package_fields(built_project, mart)
    assert all(spec.get("description") and spec.get("type") for spec in fields.values())
    for path, spec in fields.items():
        assert (spec["timing"] == "label") == path.startswith("training_labels."), path


@pytest.mark.parametrize("mart", MARTS)
def test_every_key_in_the_packages_is_declared(mart, packages, built_project):
    fields = set(package_fields(built_project, mart))
    paths = set()
    for _, _, package in packages[mart]:
        for key, value in package.items():
            if isinstance(value, dict):
                paths.update(f"{key}.{nested}" for nested in value)
            else:
                paths.add(key)
    assert paths == fields, f"undeclared: {paths - fields}; declared but absent: {fields - paths}"


@pytest.mark.parametrize("mart", MARTS)
def test_arrays_and_packages_are_bounded(mart, packages):
    largest = max(len(text.encode()) for _, text, _ in packages[mart])
    print(f"{mart}: largest package {largest} bytes")
    assert largest <= MAX_PACKAGE_BYTES[mart]
    for _, _, package in packages[mart]:
        for (section, key), bound in ARRAY_BOUNDS[mart].items():
            assert len(package[section][key]) <= bound, (section, key)
        if mart == "technician_work_packages":
            history = package["work_history"]
            assert len(history["orders"]) == min(history["orders_total"], history["limit"])
            assert all(len(order["photos"]) <= PHOTOS_PER_ORDER for order in history["orders"])
            assert all(
                len(order["photos"]) == min(order["photo_count"], PHOTOS_PER_ORDER) for order in history["orders"]
            )


def test_work_history_is_the_latest_orders_newest_first(packages):
    for _, _, package in packages["technician_work_packages"]:
        dates = [order["performed_date"] for order in package["work_history"]["orders"]]
        assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize("mart", MARTS)
def test_no_personal_data_in_any_package(mart, packages, db):
    users = db.execute("select id, username, email, phone from raw.users").fetchall()
    # Placeholders the source sends for unknown values are not personal data (and `unknown` is a category).
    literals = {text.lower().strip() for _, *values in users for text in values if text and len(text.strip()) >= 6}
    # Hex-only strings cannot be told apart from the uuids and hashes every package holds.
    literals = {text for text in literals - PLACEHOLDERS if not re.fullmatch(r"[0-9a-f-]+", text)}
    literal_pattern = re.compile("|".join(re.escape(text) for text in sorted(literals, key=len, reverse=True)))
    for key, text, package in packages[mart]:
        assert not EMAIL.search(text), f"e-mail address in {mart} package {key}"
        assert not PHONE.search(text), f"phone number in {mart} package {key}"
        found = literal_pattern.search(text.lower())
        assert not found, f"raw username, e-mail or phone {found.group(0)!r} in {mart} package {key}"
        for path, _ in walk(package):
            assert not PERSON_ID_KEYS & set(path), f"person id key {path} in {mart} package {key}"


@pytest.mark.parametrize("mart", MARTS)
def test_keys_are_keyed_hashes_not_raw_ids(mart, packages, db):
    spec = MARTS[mart]
    id_column = "id" if spec["raw"] == "raw.technicians" else "owner_id"
    raw_ids = {row[0] for row in db.execute(f"select distinct {id_column} from {spec['raw']}")}
    keys = {key for key, _, _ in packages[mart]}
    expected = {pseudonym(spec["kind"], raw_id): raw_id for raw_id in raw_ids}
    assert keys <= set(expected), "a package key is not the keyed hash of a raw id"
    unkeyed = {hashlib.sha256(str(raw_id).encode()).hexdigest() for raw_id in raw_ids}
    unkeyed |= {hashlib.md5(str(raw_id).encode()).hexdigest() for raw_id in raw_ids}
    assert not keys & unkeyed, "keys must not be reversible by hashing candidate ids without the secret"
    assert not keys & {str(raw_id) for raw_id in raw_ids}
    for key, _, package in packages[mart]:
        assert package["split"] == splits.split_name(expected[key]), "split is not grouped by the person"


def test_owner_type_recovers_the_generator_archetypes(packages, db):
    """Sanity check of the rule against the generator's ground truth (not a target to tune to)."""
    archetypes = {
        pseudonym("owner", owner_id): archetype
        for owner_id, archetype in db.execute("select owner_id, archetype from raw._owner_archetypes")
    }
    labeled = [
        (archetypes[key], pkg["training_labels"]["owner_type"]) for key, _, pkg in packages["owner_profile_packages"]
    ]
    assert len(labeled) >= 0.9 * len(archetypes), "most owners should have a package"
    recovered = sum(truth == label for truth, label in labeled) / len(labeled)
    print(f"owner_type recovers {recovered:.1%} of {len(labeled)} owners' archetypes")
    assert recovered >= 0.85


def test_documentation_score_orders_the_technicians_habits(packages, db):
    habits = {
        pseudonym("technician", technician_id): habit
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
