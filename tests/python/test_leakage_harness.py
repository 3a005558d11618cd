"""The leakage harness: facts dated after a cutoff must not change any package that describes the past.

A marketplace is generated and every package mart built; then only facts dated after a cutoff are
appended to the raw tables (later vehicle states, even a changed model; later photos of old listings;
later sales at ten times the price; post-end comments and bids; relists; later service records,
ownership changes, account and technician changes) and everything is rebuilt. Every listing image
package of a listing that ended before the cutoff must be unchanged, field by field, with no row added
or removed; every technician and owner package built as of the cutoff (var package_cutoff) likewise.
Two cutoffs, the later one first, so the second perturbation lands on already perturbed data.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from conftest import ROOT, generated_world, run_dbt

LEAKAGE_DATABASE = "contextpack_leakage"
LEAKAGE_SCHEMA = "leakage"
PERSON_MARTS = {"technician_work_packages": "technician_key", "owner_profile_packages": "owner_key"}


def build(dsn: str, cutoff) -> None:
    """Seed and run every model (no tests: the main build runs them) with the person marts as of `cutoff`."""
    target = ROOT / "target" / "pytest_leakage"
    cutoff_var = json.dumps({"package_cutoff": cutoff.isoformat()})
    for args in (["seed", "--quiet"], ["run", "--quiet", "--vars", cutoff_var]):
        result = run_dbt(args, target)
        assert result.success, f"dbt {args[0]} failed: {result.exception}"


def listing_packages(conn, ended_before) -> dict[int, dict[str, dict]]:
    """{listing_id: {image_id: package}} for the listings that ended before a time."""
    out: dict[int, dict[str, dict]] = {}
    rows = conn.execute(
        f"select listing_id, image_id::text, package::text from {LEAKAGE_SCHEMA}.listing_image_packages "
        "where listing_ended_at < %s",
        (ended_before,),
    )
    for listing_id, image_id, package in rows:
        out.setdefault(listing_id, {})[image_id] = json.loads(package)
    return out


def person_packages(conn) -> dict[str, dict[str, dict]]:
    out = {}
    for mart, key in PERSON_MARTS.items():
        rows = conn.execute(f"select {key}, package::text from {LEAKAGE_SCHEMA}.{mart}")
        out[mart] = {person_key: json.loads(text) for person_key, text in rows}
    return out


def first_difference(before, after, path="") -> str | None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            found = first_difference(before.get(key), after.get(key), f"{path}.{key}" if path else key)
            if found:
                return found
        return None
    return None if before == after else f"{path}: {before!r} -> {after!r}"


def assert_unchanged(before: dict, after: dict, what: str) -> None:
    assert set(before) == set(after), f"{what}: rows added or removed: {sorted(set(before) ^ set(after))[:5]}"
    for key in before:
        difference = first_difference(before[key], after[key])
        assert difference is None, f"{what} {key}: {difference}"


def append_facts_after(conn, cutoff) -> None:
    """Append to the raw tables only facts dated after the cutoff, arriving after everything already loaded."""
    after = cutoff + timedelta(days=3)
    already_loaded = conn.execute("select max(_loaded_at) from raw.vehicles").fetchone()[0]
    loaded = max(after, already_loaded) + timedelta(days=1)
    p = {"after": after, "loaded": loaded}
    statements = [
        # Later vehicle states: every vehicle re-delivered with another mileage, colour, grade, even model.
        """insert into raw.vehicles
           select distinct on (id) id, vin, year, make, model || ' Perturbed', trim, 'Perturbed Purple',
                  interior_color, coalesce(mileage, 0) + 54321, transmission, engine, body_style, drivetrain,
                  1.0, current_owner_id, created_at, %(after)s, %(loaded)s
           from raw.vehicles order by id, _loaded_at desc""",
        # Later photos of every listing: documents photos uploaded after the cutoff.
        """insert into raw.vehicle_images
           select md5('late-photo' || l.id)::uuid, l.vehicle_id, l.id, null, l.seller_id,
                  'https://cdn.example.com/late/' || l.id || '.jpg', 'documents', 999, 1600, 1200, null,
                  %(after)s, %(loaded)s
           from (select distinct on (id) * from raw.bat_listings order by id, _loaded_at desc) as l""",
        # Post-end comments and bids on every listing (enthusiastic questions, a huge bid).
        """insert into raw.comments
           select 900000000 + l.id, l.id, l.seller_id, null, 'Amazing! Is it still available? Best car ever!',
                  %(after)s, 99, %(loaded)s
           from (select distinct on (id) * from raw.bat_listings order by id, _loaded_at desc) as l""",
        """insert into raw.bids
           select 900000000 + l.id, l.id, l.seller_id, 9999999, %(after)s, %(loaded)s
           from (select distinct on (id) * from raw.bat_listings order by id, _loaded_at desc) as l""",
        # Relists of every vehicle after the cutoff, sold at ten times the best earlier price of its model.
        """insert into raw.bat_listings
           select 800000000 + l.id, l.vehicle_id, l.seller_id, null,
                  'https://bringatrailer.com/listing/relist-' || l.id, l.title, l.description, l.seller_type,
                  l.location, %(after)s, %(after)s + interval '7 days', 'sold',
                  coalesce(l.sale_price, l.high_bid, 10000) * 10, coalesce(l.sale_price, l.high_bid, 10000) * 10,
                  false, 50000, 5000, 0, 0, %(loaded)s + interval '8 days'
           from (select distinct on (id) * from raw.bat_listings order by id, _loaded_at desc) as l
           where l.started_at < %(after)s""",
        # Later service records of every vehicle, with a far higher odometer.
        """insert into raw.service_records
           select 800000000 + v.id, v.id, null, %(after)s::date, coalesce(v.mileage, 0) + 99999, 'modification',
                  'Turbo kit fitted after the cutoff.', 10, 5000, 6000, %(loaded)s
           from (select distinct on (id) * from raw.vehicles order by id, _loaded_at desc) as v""",
        # Ownership changes: every open holding disposed of after the cutoff, and a new owner for it.
        """insert into raw.ownerships
           select o.id, o.vehicle_id, o.owner_id, o.acquired_at, %(after)s::date, o.acquisition_price, 12345,
                  o.acquired_via, %(loaded)s
           from (select distinct on (id) * from raw.ownerships order by id, _loaded_at desc) as o
           where o.disposed_at is null""",
        """insert into raw.ownerships
           select 800000000 + o.id, o.vehicle_id, (select min(id) from raw.users), %(after)s::date, null,
                  12345, null, 'private', %(loaded)s
           from (select distinct on (id) * from raw.ownerships order by id, _loaded_at desc) as o
           where o.disposed_at is null""",
        # Every account a dealer from after the cutoff; every technician with another certification.
        """insert into raw.users
           select distinct on (id) id, username, email, phone, 'dealer', location, joined_at, %(loaded)s
           from raw.users order by id, _loaded_at desc""",
        """insert into raw.technicians
           select distinct on (id) id, user_id, shop_name, concat_ws(', ', certifications, 'Perturbed Cert'),
                  started_at, %(loaded)s
           from raw.technicians order by id, _loaded_at desc""",
    ]
    for statement in statements:
        conn.execute(statement, p)


@pytest.fixture(scope="module")
def leakage_world(warehouse_env):
    with generated_world(LEAKAGE_DATABASE, LEAKAGE_SCHEMA, warehouse_env, seed=4242) as world:
        yield world


def test_facts_after_a_cutoff_change_no_package_of_the_past(leakage_world):
    conn, dsn = leakage_world
    latest_end = conn.execute("select max(ended_at) from raw.bat_listings").fetchone()[0]
    later_cutoff, earlier_cutoff = latest_end - timedelta(days=120), latest_end - timedelta(days=700)

    build(dsn, later_cutoff)
    listings_before = listing_packages(conn, later_cutoff)
    persons_at_later = person_packages(conn)
    build(dsn, earlier_cutoff)
    persons_at_earlier = person_packages(conn)
    # (Technicians delivered only after the earlier cutoff have no package as of it: nothing was known of them.)
    assert len(listings_before) >= 20 and all(persons_at_later.values())
    assert persons_at_earlier["owner_profile_packages"]

    for cutoff, persons_before in ((later_cutoff, persons_at_later), (earlier_cutoff, persons_at_earlier)):
        append_facts_after(conn, cutoff)
        build(dsn, cutoff)
        after = listing_packages(conn, cutoff)
        before = {listing: images for listing, images in listings_before.items() if _ended_before(images, cutoff)}
        assert_unchanged(before, after, f"listing (cutoff {cutoff:%Y-%m-%d})")
        persons_after = person_packages(conn)
        for mart in PERSON_MARTS:
            assert_unchanged(persons_before[mart], persons_after[mart], f"{mart} (cutoff {cutoff:%Y-%m-%d})")
        print(f"cutoff {cutoff:%Y-%m-%d}: {len(after)} listings, "
              f"{sum(len(images) for images in after.values())} packages unchanged; "
              + ", ".join(f"{len(persons_after[m])} {m}" for m in PERSON_MARTS))


def _ended_before(images: dict[str, dict], cutoff) -> bool:
    from datetime import datetime

    ended = next(iter(images.values()))["as_of"]["listing_ended_at"]
    return datetime.fromisoformat(ended) < cutoff
