"""Privacy of the person-centred packages: keyed pseudonyms that survive linking, a key that stays secret.

The attacker of these tests holds the exported packages and the raw tables, and joins every identifier
and date a package holds to them (the linkage attack). Keys are recomputed here with Python's hmac, a
computation independent of the SQL that made them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter

import pytest
from cli_common import environment_set
from conftest import ROOT, hmac_pseudonym, project_pattern, run_dbt, with_pseudonym_key

PERSON_MARTS = {
    "technician_work_packages": {"key": "technician_key", "kind": "technician"},
    "owner_profile_packages": {"key": "owner_key", "kind": "owner"},
}
# The models that compute a pseudonym, rebuilt with another key in a schema of their own.
PSEUDONYMIZING_MODELS = [
    "int_owners_garage_summarized",
    "int_owners_photos_sampled",
    "int_owners_labeled",
    "owner_profile_packages",
    "int_work_orders_documented",
    "int_technicians_work_summarized",
    "int_technicians_labeled",
    "technician_work_packages",
]
DEVELOPMENT_KEY = "contextpack-DEVELOPMENT-ONLY-pseudonym-key"
EMAIL = re.compile(project_pattern("email_pattern", "python"))
PHONE = re.compile(project_pattern("phone_pattern", "python"))
DATE = re.compile(r"^(?:18|19|20)\d\d-\d\d(?:-\d\d)?")
IDENTIFIER_SHAPE = re.compile(r"^(?:[0-9a-f]{32}|[0-9a-f]{64}|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12})$")
PLACEHOLDERS = {"unknown", "n/a", "none", "null", "not available"}
# Paths that hold the same value in every package (the global cutoff), so they single nobody out.
SHARED_PATHS = {("as_of", "cutoff_at")}


def walk(value, path=()):
    """Yield (path, scalar) for every scalar in a json value."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(item, (*path, key))
    elif isinstance(value, list):
        for item in value:
            yield from walk(item, (*path, "[]"))
    else:
        yield path, value


@pytest.fixture(scope="module")
def packages(db, built_project) -> dict[str, list[tuple[str, str, dict]]]:
    out = {}
    for mart, spec in PERSON_MARTS.items():
        rows = db.execute(f"select {spec['key']}, package::text from {built_project.relation(mart)}").fetchall()
        out[mart] = [(key, text, json.loads(text)) for key, text in rows]
    return out


@pytest.mark.parametrize("mart", PERSON_MARTS)
def test_no_personal_data_raw_ids_urls_or_dates_in_any_package(mart, packages, db):
    users = db.execute("select id, username, email, phone from raw.users").fetchall()
    literals = {text.lower().strip() for _, *values in users for text in values if text and len(text.strip()) >= 6}
    # Hex-only strings cannot be told apart from the keys every package holds.
    literals = {text for text in literals - PLACEHOLDERS if not re.fullmatch(r"[0-9a-f-]+", text)}
    literal_pattern = re.compile("|".join(re.escape(text) for text in sorted(literals, key=len, reverse=True)))
    for key, text, package in packages[mart]:
        assert not EMAIL.search(text), f"e-mail address in {mart} package {key}"
        assert not PHONE.search(text), f"phone number in {mart} package {key}"
        found = literal_pattern.search(text.lower())
        assert not found, f"raw username, e-mail or phone {found.group(0)!r} in {mart} package {key}"
        for path, value in walk(package):
            assert not path[-1].endswith("_id"), f"a raw id {path} in {mart} package {key}"
            if isinstance(value, str) and path not in SHARED_PATHS:
                assert not value.startswith(("http://", "https://")), f"a URL at {path} in {mart} package {key}"
                assert not DATE.match(value), f"a date {value!r} at {path} in {mart} package {key}"


def linking_ids(db) -> dict[str, set]:
    """Every raw identifier an attacker could try to match, by what it identifies."""
    return {
        "user": {row[0] for row in db.execute("select id from raw.users")},
        "technician": {row[0] for row in db.execute("select id from raw.technicians")},
        "vehicle": {row[0] for row in db.execute("select id from raw.vehicles")},
        "work_order": {row[0] for row in db.execute("select id from raw.service_records")},
        "image": {str(row[0]) for row in db.execute("select id from raw.vehicle_images")},
    }


def attacker_dictionary(db) -> set[str]:
    """What an attacker without the key can compute from raw ids: the ids, their plain hashes, and the
    pseudonyms under the public development key."""
    guesses: set[str] = set()
    for what, ids in linking_ids(db).items():
        for raw_id in ids:
            text = str(raw_id)
            guesses |= {text, hashlib.md5(text.encode()).hexdigest(), hashlib.sha256(text.encode()).hexdigest()}
            for kind in ("owner", "technician", f"owner_package_{what}", f"technician_package_{what}"):
                guesses.add(hmac_pseudonym(DEVELOPMENT_KEY, kind, raw_id))
    # Keys per person (`<person id>:<id>`) under the development key, for every pair the raw tables hold.
    for owner_id, vehicle_id, image_id in db.execute(
        "select distinct o.owner_id, o.vehicle_id, i.id::text from raw.ownerships as o"
        " left join raw.vehicle_images as i on i.vehicle_id = o.vehicle_id"
    ):
        guesses.add(hmac_pseudonym(DEVELOPMENT_KEY, "owner_package_vehicle", f"{owner_id}:{vehicle_id}"))
        if image_id is not None:
            guesses.add(hmac_pseudonym(DEVELOPMENT_KEY, "owner_package_image", f"{owner_id}:{image_id}"))
    for technician_id, vehicle_id in db.execute(
        "select distinct technician_id, vehicle_id from raw.service_records where technician_id is not null"
    ):
        guesses.add(hmac_pseudonym(DEVELOPMENT_KEY, "technician_package_vehicle", f"{technician_id}:{vehicle_id}"))
    return guesses


def people_and_their_ids(db, key) -> dict[str, dict]:
    """From the raw tables: each person's pseudonym, and the ids a package of theirs may show (the vehicles an owner
    held and their photos; the orders a technician did, their vehicles and photos)."""
    vehicle_images: dict[int, set[str]] = {}
    order_images: dict[int, set[str]] = {}
    for image_id, vehicle_id, order_id in db.execute(
        "select distinct id::text, vehicle_id, work_order_id from raw.vehicle_images"
    ):
        vehicle_images.setdefault(vehicle_id, set()).add(image_id)
        if order_id is not None:
            order_images.setdefault(order_id, set()).add(image_id)
    owners: dict[str, dict] = {}
    for owner_id, vehicle_id in db.execute("select distinct owner_id, vehicle_id from raw.ownerships"):
        owner = owners.setdefault(hmac_pseudonym(key, "owner", owner_id), {"id": owner_id, "vehicles": set()})
        owner["vehicles"].add(vehicle_id)
    technicians: dict[str, dict] = {
        hmac_pseudonym(key, "technician", technician_id): {"id": technician_id, "vehicles": set(), "orders": set()}
        for (technician_id,) in db.execute("select id from raw.technicians")
    }
    by_id = {person["id"]: person for person in technicians.values()}
    for order_id, vehicle_id, technician_id in db.execute(
        "select distinct id, vehicle_id, technician_id from raw.service_records where technician_id is not null"
    ):
        if technician_id in by_id:
            by_id[technician_id]["vehicles"].add(vehicle_id)
            by_id[technician_id]["orders"].add(order_id)
    for owner in owners.values():
        owner["images"] = set().union(*(vehicle_images.get(v, set()) for v in owner["vehicles"]))
    for technician in technicians.values():
        technician["images"] = set().union(*(order_images.get(o, set()) for o in technician["orders"]))
    return {"owner_profile_packages": owners, "technician_work_packages": technicians}


def own_keys(key, mart: str, person: dict) -> dict[str, set[str]]:
    """The keys a person's package may carry: vehicles and owner photos keyed per person (`<person id>:<id>`)."""
    pid = person["id"]
    if mart == "owner_profile_packages":
        return {
            "vehicle_key": {hmac_pseudonym(key, "owner_package_vehicle", f"{pid}:{v}") for v in person["vehicles"]},
            "image_key": {hmac_pseudonym(key, "owner_package_image", f"{pid}:{i}") for i in person["images"]},
        }
    return {
        "vehicle_key": {hmac_pseudonym(key, "technician_package_vehicle", f"{pid}:{v}") for v in person["vehicles"]},
        "image_key": {hmac_pseudonym(key, "technician_package_image", i) for i in person["images"]},
        "work_order_key": {hmac_pseudonym(key, "technician_package_work_order", o) for o in person["orders"]},
    }


def test_identifiers_are_keyed_pseudonyms_of_their_own_person(packages, db, built_project):
    """Every key in a package is a keyed pseudonym of its own domain and of an id of that person's own (a vehicle
    the owner held, an order the technician did), and no vehicle or photo key appears in two people's packages:
    the keys never link two people (two owners of one car, two technicians who worked on it)."""
    key = built_project.pseudonym_key
    people = people_and_their_ids(db, key)
    holder: dict[str, str] = {}
    shown: dict[str, int] = {}
    for mart, spec in PERSON_MARTS.items():
        for person_key, _, package in packages[mart]:
            assert person_key in people[mart], f"{spec['key']} {person_key[:8]} is not a keyed pseudonym"
            allowed = own_keys(key, mart, people[mart][person_key])
            for path, value in walk(package):
                if path[-1] in allowed:
                    assert value in allowed[path[-1]], f"{mart} {path}: not a key of this person's own ids"
                    shown[path[-1]] = shown.get(path[-1], 0) + 1
                    other = holder.setdefault(value, person_key)
                    assert other == person_key, f"{mart} {path}: {value[:8]} is in two people's packages"
    assert shown.get("vehicle_key") and shown.get("image_key") and shown.get("work_order_key"), shown


def test_photo_urls_resolve_exactly_the_photos_packages_show(packages, db, built_project):
    """The restricted pseudonymous_photo_urls holds one row per image key a person package shows, and nothing
    more (each extra row is a URL leading to an uploader that no package needs): keys recomputed here from the
    raw image ids (per owner for owner packages), URLs read from the raw table's latest delivery of each image."""
    key = built_project.pseudonym_key
    latest_urls: dict[str, set[str]] = {}
    for image_id, url in db.execute(
        "select id::text, btrim(image_url) from raw.vehicle_images"
        " where (id, _loaded_at) in (select id, max(_loaded_at) from raw.vehicle_images group by id)"
    ):
        latest_urls.setdefault(image_id, set()).add(url)
    people = people_and_their_ids(db, key)
    domains = {"owner_profile_packages": "owner_package_image", "technician_work_packages": "technician_package_image"}
    expected: dict[str, tuple[str, set[str]]] = {}
    for mart, domain in domains.items():
        for person_key, _, package in packages[mart]:
            person = people[mart][person_key]
            keyed = (lambda i, pid=person["id"]: f"{pid}:{i}") if mart == "owner_profile_packages" else str
            image_by_key = {hmac_pseudonym(key, domain, keyed(i)): i for i in person["images"] if i in latest_urls}
            for path, value in walk(package):
                if path[-1] == "image_key":
                    assert value in image_by_key, f"{mart} {path}: {value[:8]} is no image's key of {domain}"
                    expected[value] = (domain, latest_urls[image_by_key[value]])
    assert expected, "the sample's person packages show no photo"
    resolved = {
        image_key: (domain, url)
        for image_key, domain, url in db.execute(
            f"select image_key, key_domain, image_url from {built_project.relation('pseudonymous_photo_urls')}"
        )
    }
    extra, missing = resolved.keys() - expected.keys(), expected.keys() - resolved.keys()
    assert not extra, f"{len(extra)} of {len(resolved)} URLs are of photos no package shows"
    assert not missing, f"{len(missing)} of {len(expected)} shown photos have no URL"
    wrong = [k for k, (domain, url) in resolved.items() if domain != expected[k][0] or url not in expected[k][1]]
    assert not wrong, f"{len(wrong)} keys resolve to another domain or URL than the raw image's"


def test_linkage_attack_singles_out_few_people(packages, db):
    """Join each package's identifiers and dates to the raw tables: fewer than 5% of people singled out."""
    guesses = attacker_dictionary(db)
    acquisition_dates = {}
    for owner_id, acquired, disposed in db.execute("select owner_id, acquired_at, disposed_at from raw.ownerships"):
        acquisition_dates.setdefault(owner_id, Counter()).update(str(d) for d in (acquired, disposed) if d)
    work_dates = {}
    for technician_id, performed in db.execute("select technician_id, performed_at from raw.service_records"):
        work_dates.setdefault(technician_id, Counter()).update([str(performed)])
    people_dates = {"owner_profile_packages": acquisition_dates, "technician_work_packages": work_dates}
    for mart in PERSON_MARTS:
        singled_out = 0
        for _, _, package in packages[mart]:
            values = [(path, value) for path, value in walk(package) if path not in SHARED_PATHS]
            identifiers = [
                str(value)
                for path, value in values
                if path[-1].endswith(("_key", "_id")) or (isinstance(value, str) and IDENTIFIER_SHAPE.match(value))
            ]
            if any(value in guesses for value in identifiers):
                singled_out += 1
                continue
            dates = Counter(value for _, value in values if isinstance(value, str) and DATE.match(value))
            if dates:
                candidates = [
                    person
                    for person, theirs in people_dates[mart].items()
                    if all(sum(n for d, n in theirs.items() if d.startswith(date)) >= k for date, k in dates.items())
                ]
                singled_out += len(candidates) == 1
        share = singled_out / len(packages[mart])
        print(f"{mart}: linkage attack singles out {singled_out} of {len(packages[mart])} ({share:.1%})")
        assert share < 0.05


def _rule_parameters() -> dict[tuple[str, str], float]:
    import csv

    with (ROOT / "seeds" / "rule_parameters.csv").open(newline="") as handle:
        return {(row["rule_name"], row["parameter"]): float(row["value"]) for row in csv.DictReader(handle)}


def test_no_work_order_figure_singles_out_the_order_in_the_raw_tables(packages, db):
    """The attacker matches each order of a technician package to the raw work orders by its category and the
    figures it shows: exact ones (labor_hours, description_length) or bands, banded here again from the raw rows
    with the seed's thresholds. Exact hours and lengths left 38% of the raw orders unique at scale 0.1 (and through
    them the technician); fewer than 1% of the package orders may be that rare (k < 2)."""
    limits = _rule_parameters()

    def labor_band(hours):
        if hours is None:
            return None
        for band, parameter in (("short", "short_max_hours"), ("day", "day_max_hours"), ("week", "week_max_hours")):
            if hours < limits[("work_order_labor_band", parameter)]:
                return band
        return "long"

    def description_band(length):
        if length == 0:
            return "none"
        if length < limits[("documentation_consistency", "min_description_length")]:
            return "short"
        detailed = limits[("work_order_description_band", "detailed_min_characters")]
        return "documented" if length < detailed else "detailed"

    raw_orders = [
        {"category": category, "labor_hours": None if hours is None else round(float(hours), 2),
         "description_length": length, "labor_band": labor_band(hours), "description_band": description_band(length)}
        for category, hours, length in db.execute(
            "select distinct on (id) lower(btrim(category)), labor_hours, char_length(btrim(coalesce(description, '')))"
            " from raw.service_records where id is not null order by id, _loaded_at desc"
        )
    ]
    matchable = ("category", "labor_hours", "description_length", "labor_band", "description_band")
    counts: dict[tuple, Counter] = {}
    rare = total = 0
    for _, _, package in packages["technician_work_packages"]:
        for order in package["work_history"]["orders"]:
            shown = tuple(field for field in matchable if field in order)
            if shown not in counts:
                counts[shown] = Counter(tuple(raw[field] for field in shown) for raw in raw_orders)
            value = tuple(
                round(float(order[f]), 2) if f == "labor_hours" and order[f] is not None else order[f] for f in shown
            )
            rare += counts[shown][value] < 2
            total += 1
    print(f"work orders matched by {sorted(counts)}: {rare} of {total} found fewer than 2 raw orders")
    assert total and rare / total < 0.01


def test_changing_the_key_changes_every_pseudonym(db, built_project):
    """Rebuild the pseudonymizing models with another key beside the originals (deferring their inputs)."""
    other_key = built_project.pseudonym_key + "-rotated"
    with environment_set(PGOPTIONS=with_pseudonym_key(other_key), DBT_SCHEMA="pytest_rekeyed"):
        deferred = ["--defer", "--state", str(built_project.target_path)]
        result = run_dbt(
            ["run", "--quiet", "--select", *PSEUDONYMIZING_MODELS, *deferred], ROOT / "target" / "pytest_rekeyed"
        )
    assert result.success, f"rebuild with another key failed: {result.exception}"
    for mart, spec in PERSON_MARTS.items():
        before = {row[0] for row in db.execute(f"select {spec['key']} from {built_project.relation(mart)}")}
        after = {row[0] for row in db.execute(f'select {spec["key"]} from "pytest_rekeyed"."{mart}"')}
        assert len(before) == len(after) > 0 and not before & after, f"{mart}: rotating the key left keys unchanged"
        nested_before = " ".join(r[0] for r in db.execute(f"select package::text from {built_project.relation(mart)}"))
        nested_after = {
            value
            for (text,) in db.execute(f'select package::text from "pytest_rekeyed"."{mart}"')
            for path, value in walk(json.loads(text))
            if path[-1].endswith("_key") and isinstance(value, str) and IDENTIFIER_SHAPE.match(value)
        }
        assert not any(value in nested_before for value in nested_after), f"{mart}: a nested key survived rotation"


@pytest.mark.parametrize(
    ("options", "says"),
    [
        ("-c contextpack.local_warehouse=off", "is not set"),
        (f"-c contextpack.local_warehouse=off -c contextpack.pseudonym_key={DEVELOPMENT_KEY}", "development key"),
    ],
    ids=["no key outside the local warehouse", "development key outside the local warehouse"],
)
def test_person_marts_refuse_an_unsafe_key(options, says, built_project):
    with environment_set(PGOPTIONS=options, DBT_SCHEMA="pytest_refused"):
        deferred = ["--defer", "--state", str(built_project.target_path)]
        result = run_dbt(
            ["run", "--quiet", "--select", "owner_profile_packages", *deferred], ROOT / "target" / "pytest_refused"
        )
    assert not result.success
    messages = " ".join(str(getattr(r, "message", "")) for r in (getattr(result.result, "results", None) or []))
    messages += str(result.exception or "")
    assert "contextpack.pseudonym_key" in messages and says in messages, messages[:500]


def test_the_key_never_lands_in_a_file(built_project):
    """dbt writes compiled SQL, manifests and logs: none may hold the key."""
    key = built_project.pseudonym_key.encode()
    leaks = [
        str(path)
        for folder in (built_project.target_path, ROOT / "logs")
        if folder.exists()
        for path in folder.rglob("*")
        if path.is_file() and key in path.read_bytes()
    ]
    assert not leaks, f"the pseudonym key is written in {leaks[:5]}"
