"""Tests of scripts/generate_marketplace.py: CLI errors, contract, determinism, defects, realism."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "generate_marketplace.py"
PYTHON = (
    str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
)
sys.path.insert(0, str(ROOT / "scripts"))

from conftest import _drop_database, _recreate_database  # noqa: E402
from marketplace_gen.common import GeneratorConfig  # noqa: E402
from marketplace_gen.defects import TABLE_KINDS, Ledger  # noqa: E402
from marketplace_gen.runner import generate, parse_as_of  # noqa: E402
from marketplace_gen.tables import plan_bare_vehicles  # noqa: E402
from marketplace_gen.world import build_world  # noqa: E402

CONTRACT = {
    "users": {
        "id": "bigint",
        "username": "text",
        "email": "text",
        "phone": "text",
        "user_type": "text",
        "location": "text",
        "joined_at": "timestamp with time zone",
    },
    "vehicles": {
        "id": "bigint",
        "vin": "text",
        "year": "integer",
        "make": "text",
        "model": "text",
        "trim": "text",
        "color": "text",
        "interior_color": "text",
        "mileage": "integer",
        "transmission": "text",
        "engine": "text",
        "body_style": "text",
        "drivetrain": "text",
        "condition_rating": "numeric(3,1)",
        "current_owner_id": "bigint",
        "created_at": "timestamp with time zone",
        "updated_at": "timestamp with time zone",
    },
    "bat_listings": {
        "id": "bigint",
        "vehicle_id": "bigint",
        "seller_id": "bigint",
        "lot_number": "text",
        "url": "text",
        "title": "text",
        "description": "text",
        "seller_type": "text",
        "location": "text",
        "started_at": "timestamp with time zone",
        "ended_at": "timestamp with time zone",
        "status": "text",
        "high_bid": "numeric(12,2)",
        "sale_price": "numeric(12,2)",
        "no_reserve": "boolean",
        "view_count": "integer",
        "watcher_count": "integer",
        "comment_count": "integer",
        "bid_count": "integer",
    },
    "vehicle_images": {
        "id": "uuid",
        "vehicle_id": "bigint",
        "listing_id": "bigint",
        "work_order_id": "bigint",
        "uploader_id": "bigint",
        "image_url": "text",
        "category": "text",
        "position": "integer",
        "width": "integer",
        "height": "integer",
        "taken_at": "timestamp with time zone",
        "uploaded_at": "timestamp with time zone",
    },
    "comments": {
        "id": "bigint",
        "listing_id": "bigint",
        "user_id": "bigint",
        "parent_id": "bigint",
        "body": "text",
        "posted_at": "timestamp with time zone",
        "likes": "integer",
    },
    "bids": {
        "id": "bigint",
        "listing_id": "bigint",
        "bidder_id": "bigint",
        "amount": "numeric(12,2)",
        "placed_at": "timestamp with time zone",
    },
    "technicians": {
        "id": "bigint",
        "user_id": "bigint",
        "shop_name": "text",
        "certifications": "text",
        "started_at": "date",
    },
    "service_records": {
        "id": "bigint",
        "vehicle_id": "bigint",
        "technician_id": "bigint",
        "performed_at": "date",
        "mileage_at_service": "integer",
        "category": "text",
        "description": "text",
        "labor_hours": "numeric(6,2)",
        "parts_cost": "numeric(12,2)",
        "total_cost": "numeric(12,2)",
    },
    "ownerships": {
        "id": "bigint",
        "vehicle_id": "bigint",
        "owner_id": "bigint",
        "acquired_at": "date",
        "disposed_at": "date",
        "acquisition_price": "numeric(12,2)",
        "disposal_price": "numeric(12,2)",
        "acquired_via": "text",
    },
}
ORDER_KEY = {t: "id, _loaded_at" for t in CONTRACT}
TRUTH_TABLES = [
    "_injected_defects",
    "_owner_archetypes",
    "_technician_profiles",
    "_lot_truth",
    "_vehicle_truth",
    "_generator_runs",
]


def run_cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


def checksums(dsn: str, schema: str) -> dict:
    out = {}
    with psycopg.connect(dsn) as conn:
        for t in list(CONTRACT) + [t for t in TRUTH_TABLES if t != "_generator_runs"]:
            order = ORDER_KEY.get(t, "t::text")
            row = conn.execute(
                f"select md5(coalesce(string_agg(t::text, E'\\n' order by {order}, t::text), '')), count(*) "
                f"from {schema}.{t} t"
            ).fetchone()
            out[t] = row
    return out


# ------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["--scale", "0.001", "--seed", "1", "--bogus"],
        ["--scale", "-1", "--seed", "1"],
        ["--scale", "0", "--seed", "1"],
        ["--scale", "11", "--seed", "1"],
        ["--scale", "0.001", "--seed", "1", "--dirty-rate", "0.7"],
        ["--scale", "0.001", "--seed", "1", "--dirty-rate", "-0.1"],
        ["--scale", "abc", "--seed", "1"],
        ["--seed", "1"],
        ["--scale", "0.001", "--seed", "1", "--as-of", "yesterday"],
        ["--scale", "0.001", "--seed", "1", "--dsn", "host=127.0.0.1 port=1 connect_timeout=2"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(args):
    res = run_cli(*args)
    assert res.returncode == 2, res
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert "error" in lines[0]
    assert res.stdout == ""


def test_help_explains_every_option():
    res = run_cli("--help")
    assert res.returncode == 0
    for opt in ("--scale", "--seed", "--dirty-rate", "--schema", "--dsn", "--as-of", "--append-days", "--quiet"):
        assert opt in res.stdout
    assert "example" in res.stdout.lower()


def test_cli_runs_and_prints_summary(scratch_dsn):
    res = run_cli(
        "--scale",
        "0.0005",
        "--seed",
        "5",
        "--dirty-rate",
        "0.02",
        "--dsn",
        scratch_dsn,
        "--schema",
        "raw_cli",
    )
    assert res.returncode == 0, res.stderr
    assert "rows/s" in res.stdout
    for t in CONTRACT:
        assert t in res.stdout
    res = run_cli("--scale", "0.0005", "--seed", "5", "--dsn", scratch_dsn, "--schema", "raw_cli", "--quiet")
    assert res.returncode == 0 and res.stdout == ""


# ------------------------------------------------------------------------------------------------
# contract + determinism
# --------------------------------------------------------------------------------------------------
def test_contract_tables_and_types(scratch_dsn):
    res = generate(scratch_dsn, 0.0005, 3, 0.02, schema="raw")
    assert set(res["rows"]) == set(CONTRACT)
    with psycopg.connect(scratch_dsn) as conn:
        rows = conn.execute(
            """select c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
               from pg_attribute a join pg_class c on c.oid = a.attrelid
               join pg_namespace n on n.oid = c.relnamespace
               where n.nspname = 'raw' and a.attnum > 0 and not a.attisdropped and c.relkind = 'r'"""
        ).fetchall()
        tables = {r[0] for r in rows}
        assert set(CONTRACT) | set(TRUTH_TABLES) <= tables
        got: dict = {}
        for rel, col, typ, notnull in rows:
            got.setdefault(rel, {})[col] = (typ, notnull)
        for t, cols in CONTRACT.items():
            assert {c: v[0] for c, v in got[t].items() if c != "_loaded_at"} == cols, t
            assert got[t]["_loaded_at"] == ("timestamp with time zone", True), t
            assert conn.execute(f"select count(*) from raw.{t}").fetchone()[0] > 0, t
        # no primary keys or constraints on raw tables (duplicates must load)
        ncons = conn.execute(
            "select count(*) from pg_constraint k join pg_namespace n on n.oid = k.connamespace "
            "where n.nspname = 'raw'"
        ).fetchone()[0]
        assert ncons == 0
        run = conn.execute(
            "select scale, seed, dirty_rate, generated_rows from raw._generator_runs"
        ).fetchall()
        assert len(run) == 1 and int(run[0][1]) == 3
        assert run[0][3]["vehicle_images"] == res["rows"]["vehicle_images"]


def test_deterministic_same_seed_and_differs_by_seed(scratch_dsn):
    generate(scratch_dsn, 0.001, 11, 0.02, schema="raw_a")
    generate(scratch_dsn, 0.001, 11, 0.02, schema="raw_b")
    generate(scratch_dsn, 0.001, 12, 0.02, schema="raw_c")
    a, b, c = (checksums(scratch_dsn, s) for s in ("raw_a", "raw_b", "raw_c"))
    assert a == b
    for t in CONTRACT:
        assert a[t] != c[t], t
    # regenerating into an existing schema replaces the tables
    generate(scratch_dsn, 0.001, 11, 0.02, schema="raw_c")
    assert checksums(scratch_dsn, "raw_c") == a


# ------------------------------------------------------------------------------------------------
# injected defects
# --------------------------------------------------------------------------------------------------
def test_every_defect_kind_is_injected_and_attributable(scratch_dsn):
    generate(scratch_dsn, 0.001, 21, 0.02, schema="raw")
    with psycopg.connect(scratch_dsn) as conn:
        got = dict(
            ((t, k), n)
            for t, k, n in conn.execute(
                "select table_name, defect_kind, count(*) from raw._injected_defects group by 1, 2"
            ).fetchall()
        )
        for table, kinds in TABLE_KINDS.items():
            for kind in kinds:
                assert got.get((table, kind), 0) >= 3, (table, kind)
        allowed = {ln.split(",")[1] for ln in (ROOT / "seeds" / "dq_rules.csv").read_text().splitlines()[1:]}
        assert {k for _t, k in got} <= allowed | {"motorcycle_lot", "non_vehicle_lot"} or not allowed
        # duplicate deliveries: the id appears twice, the copy later
        for t in CONTRACT:
            idt = "id::text"
            bad = conn.execute(
                f"""select count(*) from raw._injected_defects d
                    where d.table_name = '{t}' and d.defect_kind = 'duplicate_delivery'
                      and (select count(distinct _loaded_at) from raw.{t} x
                           where x.{idt} = d.record_key) < 2"""
            ).fetchone()[0]
            assert bad == 0, t
        # every recorded key exists in its table
        for t in CONTRACT:
            missing = conn.execute(
                f"""select count(*) from raw._injected_defects d where d.table_name = '{t}'
                    and not exists (select 1 from raw.{t} x where x.id::text = d.record_key)"""
            ).fetchone()[0]
            assert missing == 0, t
        # orphans point nowhere; duplicate image urls keep the earlier upload
        assert (
            conn.execute(
                """select count(*) from raw.comments c join raw._injected_defects d
               on d.table_name = 'comments' and d.defect_kind = 'orphan_reference'
               and d.record_key = c.id::text
               where exists (select 1 from raw.bat_listings l where l.id = c.listing_id)"""
            ).fetchone()[0]
            == 0
        )
        assert (
            conn.execute(
                """select count(*) from raw.vehicle_images i join raw._injected_defects d
               on d.table_name = 'vehicle_images' and d.defect_kind = 'duplicate_image_url'
               and d.record_key = i.id::text
               where not exists (select 1 from raw.vehicle_images o where o.image_url = i.image_url
                                 and o.id <> i.id and o.uploaded_at < i.uploaded_at)"""
            ).fetchone()[0]
            == 0
        )
        assert (
            conn.execute(
                """select count(*) from raw.bat_listings l join raw._injected_defects d
               on d.table_name = 'bat_listings' and d.defect_kind = 'oversized_text'
               and d.record_key = l.id::text
               where length(l.description) < 500000"""
            ).fetchone()[0]
            == 0
        )
        arche = conn.execute("select distinct archetype from raw._owner_archetypes").fetchall()
        assert {a for (a,) in arche} <= {"collector", "flipper", "builder", "driver"}
        prof = conn.execute("select count(*) from raw._technician_profiles").fetchone()[0]
        assert prof == conn.execute("select count(distinct id) from raw.technicians").fetchone()[0]


# ------------------------------------------------------------------------------------------------
# realism on clean data (dirty-rate 0)
# --------------------------------------------------------------------------------------------------
EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
PHONE = r"\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}"


def test_realism_on_clean_data(scratch_dsn):
    res = generate(scratch_dsn, 0.002, 5, 0.0, schema="raw")
    assert res["rows"]["vehicle_images"] > 0
    with psycopg.connect(scratch_dsn) as conn:
        q = conn.execute
        kinds = {k for (k,) in q("select distinct defect_kind from raw._injected_defects").fetchall()}
        assert kinds <= {"motorcycle_lot", "non_vehicle_lot"}
        p10, p50, p90 = q("""select percentile_cont(array[0.1, 0.5, 0.9]) within group (order by high_bid)
                             from raw.bat_listings where status = 'sold'""").fetchone()[0]
        assert 3000 <= p10 <= 11000 and 12000 <= p50 <= 32000 and 35000 <= p90 <= 120000, (p10, p50, p90)
        shares = dict(
            q(
                "select status, count(*)::float / sum(count(*)) over () from raw.bat_listings group by 1"
            ).fetchall()
        )
        assert 0.55 <= shares["sold"] <= 0.80 and 0.12 <= shares["reserve_not_met"] <= 0.32
        assert (
            q(
                "select count(*) from raw.bat_listings where (sale_price is not null) <> (status = 'sold') "
                "or sale_price < high_bid or (status = 'live') <> (ended_at is null)"
            ).fetchone()[0]
            == 0
        )
        # galleries of 50-300 photos uploaded before the start; a few added later, while the auction runs
        # (about 10% of listings, 1-5 photos) or 1-60 days after its end (about 3%, 1-10 photos)
        lo, hi = q("""select min(c), max(c) from (select i.listing_id, count(*) c from raw.vehicle_images i
                      join raw.bat_listings l on l.id = i.listing_id and i.uploaded_at < l.started_at
                      group by 1) s""").fetchone()
        assert lo >= 50 and hi <= 300
        during, after, listings_with_gallery = q(
            """select count(distinct l.id) filter (where i.uploaded_at > l.started_at
                                                  and i.uploaded_at < coalesce(l.ended_at, 'infinity')),
                      count(distinct l.id) filter (where i.uploaded_at > l.ended_at),
                      count(distinct l.id)
               from raw.vehicle_images i join raw.bat_listings l on l.id = i.listing_id"""
        ).fetchone()
        assert 0.04 <= during / listings_with_gallery <= 0.2 and 0 < after / listings_with_gallery <= 0.08
        assert (
            q("""select count(*) from raw.vehicle_images i join raw.bat_listings l on l.id = i.listing_id
                 where i.uploaded_at > l.ended_at + interval '61 days'
                    or i.uploaded_at > l.ended_at and i.uploaded_at < l.ended_at + interval '1 day'""").fetchone()[0]
            == 0
        )
        per_vehicle = q(
            "select count(*)::float / (select count(distinct id) from raw.vehicles) from raw.vehicle_images"
        ).fetchone()[0]
        assert 60 <= per_vehicle <= 120
        # EXIF before upload
        assert q("select count(*) from raw.vehicle_images where taken_at >= uploaded_at").fetchone()[0] == 0
        # comments inside the window, a small tail after the end, none before the start
        before, after, total = q(
            """select count(*) filter (where c.posted_at < l.started_at),
                      count(*) filter (where c.posted_at > l.ended_at), count(*)
               from raw.comments c join raw.bat_listings l on l.id = c.listing_id"""
        ).fetchone()
        assert before == 0 and 0 < after <= 0.12 * total
        avg_comments = total / q("select count(*) from raw.bat_listings").fetchone()[0]
        assert 40 <= avg_comments <= 130
        # answers: the seller replies to a question
        bad = q("""select count(*) from raw.comments c join raw.comments p on p.id = c.parent_id
                   where p.posted_at > c.posted_at or p.listing_id <> c.listing_id""").fetchone()[0]
        assert bad == 0
        # bids strictly increasing, inside the window, ending at the high bid
        assert (
            q("""select count(*) from (select amount, lag(amount) over (partition by listing_id
                    order by placed_at, id) prev from raw.bids) s where amount <= prev""").fetchone()[0]
            == 0
        )
        assert (
            q("""select count(*) from raw.bids b join raw.bat_listings l on l.id = b.listing_id
                    where b.placed_at <= l.started_at
                       or b.placed_at >= coalesce(l.ended_at, 'infinity')""").fetchone()[0]
            == 0
        )
        assert (
            q("""select count(*) from raw.bat_listings l where high_bid is not null and high_bid <>
                    (select max(amount) from raw.bids b where b.listing_id = l.id)""").fetchone()[0]
            == 0
        )
        nb = q("""select min(c), max(c) from (select listing_id, count(*) c from raw.bids b
                  join raw.bat_listings l on l.id = b.listing_id
                  where l.status = 'sold' group by 1) s""").fetchone()
        assert nb[0] >= 5 and nb[1] <= 60
        # no personal data, control characters or placeholders in clean text
        for table, col in (("comments", "body"), ("bat_listings", "description")):
            n = q(
                f"select count(*) from raw.{table} where {col} ~ %s or {col} ~ %s "
                f"or {col} ~ '[\\x01-\\x08\\x0b\\x0c\\x0e-\\x1f\\u200b\\u200d\\ufeff]'",
                (EMAIL, PHONE),
            ).fetchone()[0]
            assert n == 0, table
        assert (
            q(
                "select count(*) from raw.vehicles where color in ('Unknown', 'N/A', '-', '') "
                "or transmission in ('Unknown', 'N/A', '-', '')"
            ).fetchone()[0]
            == 0
        )
        # ownership chains: non-overlapping, the open one last (a holding of an owner who has no account yet
        # is not delivered yet, so chains may have gaps); the latest vehicle state names the open one's owner
        assert (
            q("""select count(*) from (select vehicle_id, acquired_at, disposed_at,
                    lead(acquired_at) over (partition by vehicle_id order by acquired_at, id) nxt
                    from raw.ownerships) s where nxt is not null and (disposed_at is null or disposed_at > nxt)""")
            .fetchone()[0]
            == 0
        )
        assert (
            q("""select count(*) from (select distinct on (id) * from raw.vehicles order by id, updated_at desc) v
                 join raw.ownerships o on o.vehicle_id = v.id and o.disposed_at is null
                 where o.owner_id <> v.current_owner_id""").fetchone()[0]
            == 0
        )
        assert (
            q("""select max(n) from (select owner_id, count(distinct vehicle_id) n from raw.ownerships
                    group by 1) s""").fetchone()[0]
            <= 40
        )
        # VINs: 17 characters from 1981
        assert (
            q(
                "select count(*) from raw.vehicles where year >= 1981 and vin is not null "
                "and length(vin) <> 17"
            ).fetchone()[0]
            == 0
        )
        # timestamps never after the load time
        assert q("select count(*) from raw.comments where posted_at > _loaded_at").fetchone()[0] == 0
        assert (
            q(
                "select count(*) from raw.vehicle_images"
                " where taken_at > _loaded_at or uploaded_at > _loaded_at"
            ).fetchone()[0]
            == 0
        )
        # the sample-wide price signal: documented listings sell higher
        corr = q("""select corr(ln(l.high_bid), ln(l.view_count)) from raw.bat_listings l
                    where status = 'sold'""").fetchone()[0]
        assert 0.25 <= corr <= 0.75
        for (url,) in q("select url from raw.bat_listings").fetchall():
            assert re.match(
                r"https://(bringatrailer\.com/listing/[a-z0-9-]+/|carsandbids\.com/auctions/[A-Za-z0-9]{8}/[a-z0-9-]+)$",
                url,
            ), url


# ------------------------------------------------------------------------------------------------
# ground truth of the data families (one dirty sample for the module)
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def family_sample(warehouse_env):
    """A dirty sample at the pytest scale, shared by the ground-truth tests below."""
    name = "contextpack_generator_families"
    dsn = _recreate_database(name, warehouse_env)
    generate(dsn, 0.002, 77, 0.03, schema="raw")
    with psycopg.connect(dsn, autocommit=True) as conn:
        yield conn
    _drop_database(name, warehouse_env)


def test_every_vehicle_has_one_lot_truth_row(family_sample):
    q = family_sample.execute
    assert q("select count(*) from raw._lot_truth").fetchone()[0] == q(
        "select count(distinct id) from raw.vehicles"
    ).fetchone()[0]
    assert (
        q("""select count(*) from (select distinct id from raw.vehicles) v
             full join raw._lot_truth t on t.vehicle_id = v.id
             where t.vehicle_id is null or v.id is null""").fetchone()[0]
        == 0
    )
    categories = {c for (c,) in q("select distinct lot_category from raw._lot_truth").fetchall()}
    assert categories == {"car", "motorcycle", "non_vehicle", "other_vehicle"}
    assert q("select count(*) from raw._lot_truth where family is null or family = ''").fetchone()[0] == 0


def test_lot_truth_agrees_with_the_raw_rows(family_sample):
    q = family_sample.execute
    # parts and automobilia have no odometer, VIN or paint; other vehicles no odometer
    assert (
        q("""select count(*) from raw.vehicles v join raw._lot_truth t on t.vehicle_id = v.id
             where t.lot_category = 'non_vehicle'
               and (v.mileage is not null or v.vin is not null or v.color is not null)""").fetchone()[0]
        == 0
    )
    assert (
        q("""select count(*) from raw.vehicles v join raw._lot_truth t on t.vehicle_id = v.id
             where t.lot_category = 'other_vehicle' and v.mileage is not null""").fetchone()[0]
        == 0
    )
    # every non-car lot but a make-level motorcycle came into the data by being listed
    unlisted = q("""select count(*) from raw._lot_truth t
                    where t.lot_category in ('non_vehicle', 'other_vehicle')
                      and not exists (select 1 from raw.bat_listings l where l.vehicle_id = t.vehicle_id)""")
    assert unlisted.fetchone()[0] == 0
    # a body style of Motorcycle is only ever a motorcycle; the make-level lots recorded as defects agree
    assert (
        q("""select count(*) from raw.vehicles v join raw._lot_truth t on t.vehicle_id = v.id
             where v.body_style = 'Motorcycle' and t.lot_category <> 'motorcycle'""").fetchone()[0]
        == 0
    )
    assert (
        q("""select count(*) from raw._injected_defects d join raw._lot_truth t on t.vehicle_id::text = d.record_key
             where d.table_name = 'vehicles'
               and (d.defect_kind = 'motorcycle_lot' and t.lot_category <> 'motorcycle'
                    or d.defect_kind = 'non_vehicle_lot' and t.lot_category <> 'non_vehicle')""").fetchone()[0]
        == 0
    )
    # a car's title always names its year, make and model as the vehicles row files them
    assert (
        q("""select count(*) from raw.bat_listings l join raw.vehicles v on v.id = l.vehicle_id
             join raw._lot_truth t on t.vehicle_id = v.id
             where t.lot_category = 'car' and position(v.year::text || ' ' in l.title) = 0
               and not exists (select 1 from raw._injected_defects d where d.table_name = 'vehicles'
                               and d.record_key = v.id::text and d.defect_kind = 'invalid_year')""").fetchone()[0]
        == 0
    )


def test_non_car_lots_and_hard_negatives_come_at_their_rates():
    """Shares of listings (the spec's rates, roughly) in a world large enough to measure them."""
    cfg = GeneratorConfig.for_scale(0.03, 8, 0.0, parse_as_of("2026-01-31T00:00:00Z"))
    world = build_world(cfg, plan_bare_vehicles(Ledger(cfg)))
    vehicle = world.listings.vehicle
    lot_type = world.vehicles.identity.lot_type[vehicle]
    from marketplace_gen import lots

    group = np.array([lots.LOT_TYPES[t].group if t >= 0 else lots.GROUP_CAR for t in lot_type.tolist()])
    share = {g: float(np.mean(group == g)) for g in range(len(lots.GROUP_SHARES))}
    assert 0.02 <= share[lots.GROUP_PARTS] <= 0.045, share
    assert 0.012 <= share[lots.GROUP_TWO_WHEELER] <= 0.03, share
    assert 0.002 <= share[lots.GROUP_OTHER_VEHICLE] <= 0.01, share
    families = np.array(world.vehicles.text.families, dtype=object)[vehicle]
    cars = group == lots.GROUP_CAR
    hard = float(np.mean(families[cars] == lots.HARD_NEGATIVE_FAMILY))
    assert 0.03 <= hard <= 0.08, hard
    # the families planted under car makes show up
    planted = {lots.LOT_TYPES[t].family for t in lot_type.tolist() if t >= 0}
    assert {"tool_kit", "wheels", "engine", "scooter", "mini_bike", "boat", "tractor"} <= planted


PLATFORM_OF_LISTING = "split_part(l.url, '/', 3)"


def test_two_platforms_deliver_what_each_delivers(family_sample):
    q = family_sample.execute
    shares = dict(
        q(f"select {PLATFORM_OF_LISTING}, count(*)::float / sum(count(*)) over () from raw.bat_listings l "
          "group by 1").fetchall()
    )  # fmt: skip
    assert set(shares) == {"bringatrailer.com", "carsandbids.com"}
    assert 0.15 <= shares["carsandbids.com"] <= 0.45, shares
    seller_types = dict(
        q(f"select {PLATFORM_OF_LISTING}, array_agg(distinct seller_type order by seller_type) "
          "from raw.bat_listings l group by 1").fetchall()
    )  # fmt: skip
    assert seller_types == {
        "bringatrailer.com": ["Dealer", "Private Party"],
        "carsandbids.com": ["Dealer ($80 fee)", "Private Party"],
    }
    # Cars & Bids: no comment or bid rows, yet its counters are filled
    rows, counted = q(
        f"""select count(*) filter (where exists (select 1 from raw.comments c where c.listing_id = l.id)
                                   or exists (select 1 from raw.bids b where b.listing_id = l.id)),
                  count(*) filter (where l.comment_count > 0 and l.bid_count is not null)
            from raw.bat_listings l where {PLATFORM_OF_LISTING} = 'carsandbids.com'"""
    ).fetchone()
    assert rows == 0 and counted > 0
    # descriptions: a share missing on Cars & Bids only
    missing = dict(
        q(f"select {PLATFORM_OF_LISTING}, avg((description is null)::int) from raw.bat_listings l "
          "group by 1").fetchall()
    )  # fmt: skip
    assert missing["bringatrailer.com"] == 0 and 0.02 <= missing["carsandbids.com"] <= 0.25, missing
    # gallery categories: none on Cars & Bids; on Bring a Trailer only the injected nulls
    null_categories = dict(
        q(f"""select {PLATFORM_OF_LISTING}, count(*) filter (where i.category is null
                 and not exists (select 1 from raw._injected_defects d where d.table_name = 'vehicle_images'
                                 and d.record_key = i.id::text and d.defect_kind = 'missing_optional_value'))
                 ::float / count(*)
              from raw.vehicle_images i join raw.bat_listings l on l.id = i.listing_id group by 1""").fetchall()
    )  # fmt: skip
    assert null_categories == {"bringatrailer.com": 0.0, "carsandbids.com": 1.0}


def _canonical_model_from_text(model: str, make: str, generation: str | None) -> str:
    """Undo the Cars & Bids conventions the spec names (UI text after a line break or a button label glued to
    the end, taxonomy in brackets, a repeated make, a chassis code in front, capitals): an independent reading
    of the raw text."""
    text = model.split("\n")[0]
    for label in (" Show more", " View all photos"):
        text = text.removesuffix(label)
    text = re.sub(r" \(.*\)$", "", text)
    if text.lower().startswith(make.lower() + " "):
        text = text[len(make) + 1 :]
    if generation and text.startswith(generation + " "):
        text = text[len(generation) + 1 :]
    return text.lower()


def test_vehicle_truth_names_the_same_car_on_both_platforms(family_sample):
    q = family_sample.execute
    assert q("select count(*) from raw._vehicle_truth").fetchone()[0] == q(
        "select count(distinct id) from raw.vehicles"
    ).fetchone()[0]
    rows = q(
        f"""select distinct v.id, v.model, t.canonical_make, t.canonical_model, t.generation, {PLATFORM_OF_LISTING}
            from raw.vehicles v join raw._vehicle_truth t on t.vehicle_id = v.id
            join raw._lot_truth lot on lot.vehicle_id = v.id and lot.lot_category = 'car'
            join raw.bat_listings l on l.vehicle_id = v.id
            where not exists (select 1 from raw._injected_defects d where d.table_name = 'vehicles'
                              and d.record_key = v.id::text and d.defect_kind = 'mixed_scripts')"""
    ).fetchall()
    spellings: dict[tuple[str, str], set[str]] = {}
    for _id, model, make, canonical, generation, host in rows:
        if host == "bringatrailer.com":
            assert model == canonical and generation is None, (model, canonical, generation)
        else:
            assert _canonical_model_from_text(model, make, generation) == canonical.lower(), (model, canonical)
            assert generation is None or generation in model, (model, generation)
        spellings.setdefault((make, canonical), set()).add(model)
    # the same car meets under one name although the platforms spell it differently
    assert sum(len(names) > 1 for names in spellings.values()) >= 3
    assert any(generation for *_, generation, _host in rows)


def test_bring_a_trailer_titles_state_a_mileage_the_odometer_had(family_sample):
    """The title's mileage (at the start) lies between the readings reported before and after the start."""
    rows = family_sample.execute(
        f"""select l.title, before.mileage, after.mileage from raw.bat_listings l
            left join lateral (select v.mileage from raw.vehicles v where v.id = l.vehicle_id
                               and v.updated_at <= l.started_at order by v.updated_at desc limit 1) before on true
            left join lateral (select v.mileage from raw.vehicles v where v.id = l.vehicle_id
                               and v.updated_at > l.started_at order by v.updated_at limit 1) after on true
            where {PLATFORM_OF_LISTING} = 'bringatrailer.com' and l.title ~ '^(No Reserve: )?[0-9]+k-Mile '
              and not exists (select 1 from raw._injected_defects d where d.table_name = 'vehicles'
                              and d.record_key = l.vehicle_id::text and d.defect_kind = 'mileage_out_of_range')"""
    ).fetchall()
    assert rows
    for title, before, after in rows:
        thousands = int(re.match(r"(?:No Reserve: )?([0-9]+)k-Mile ", title).group(1))
        assert before is None or before // 1000 <= thousands, (title, before)
        assert after is None or thousands <= after // 1000, (title, after)
    assert any(before is not None for _, before, _ in rows) and any(after is not None for *_, after in rows)


# ------------------------------------------------------------------------------------------------
# time as it happens: load times, versions, the vehicle state a listing must show
# --------------------------------------------------------------------------------------------------
EVENT_TIME = {  # the event time of a row of each raw table (its _loaded_at is at least an hour later)
    "users": "joined_at",
    "technicians": "started_at::timestamptz",
    "vehicles": "updated_at",
    "bat_listings": "coalesce(ended_at, started_at)",
    "ownerships": "coalesce(disposed_at, acquired_at)::timestamptz",
    "service_records": "performed_at::timestamptz",
    "bids": "placed_at",
    "comments": "posted_at",
    "vehicle_images": "uploaded_at",
}


def _without_defects(table: str, kinds: tuple[str, ...], key: str = "id") -> str:
    listed = ", ".join(f"'{k}'" for k in kinds)
    return (
        f"not exists (select 1 from raw._injected_defects d where d.table_name = '{table}' "
        f"and d.record_key = t.{key}::text and d.defect_kind in ({listed}))"
    )


def test_rows_arrive_after_they_happen_and_after_what_they_reference(family_sample):
    q = family_sample.execute
    as_of = q("select as_of from raw._generator_runs").fetchone()[0]
    time_defects = ("future_timestamp", "epoch_timestamp", "ended_before_started", "missing_required_value")
    for table, event in EVENT_TIME.items():
        early, late = q(
            f"""select count(*) filter (where t._loaded_at < {event} + interval '1 hour'),
                       count(*) filter (where t._loaded_at > %s)
                from raw.{table} t where {_without_defects(table, time_defects)}""",
            (as_of,),
        ).fetchone()
        assert early == 0 and late == 0, (table, early, late)
    # most rows arrive in the next daily batch; about 0.5% of comments and bids (and images) 1-5 days late
    for table, event in (("comments", "posted_at"), ("bids", "placed_at")):
        late, total = q(
            f"""select count(*) filter (where t._loaded_at > {event} + interval '25 hours'
                                          and {event} >= l.started_at + interval '1 day'), count(*)
                from raw.{table} t join raw.bat_listings l on l.id = t.listing_id
                where {_without_defects(table, ('duplicate_delivery',))}"""
        ).fetchone()
        assert 0.001 * total <= late <= 0.02 * total, (table, late, total)
    # a row never arrives before the rows it references (a base extract holds only a listing's latest
    # version, so a listing's children are checked against its start: its first version came after that)
    for child in ("comments", "bids", "vehicle_images"):
        before_start = q(
            f"""select count(*) from raw.{child} t join raw.bat_listings l on l.id = t.listing_id
                where t._loaded_at < l.started_at + interval '1 hour'"""
        ).fetchone()[0]
        assert before_start == 0, child
    references = [
        ("vehicle_images", "work_order_id", "service_records"),
        ("vehicle_images", "vehicle_id", "vehicles"),
        ("bat_listings", "vehicle_id", "vehicles"),
        ("bat_listings", "seller_id", "users"),
        ("ownerships", "vehicle_id", "vehicles"),
        ("ownerships", "owner_id", "users"),
        ("service_records", "vehicle_id", "vehicles"),
        ("service_records", "technician_id", "technicians"),
        ("comments", "user_id", "users"),
    ]
    for child, column, parent in references:
        before = q(
            f"""select count(*) from raw.{child} t
                join (select id, min(_loaded_at) first_loaded from raw.{parent} group by id) p on p.id = t.{column}
                where t._loaded_at < p.first_loaded"""
        ).fetchone()[0]
        assert before == 0, (child, column, parent)


def test_vehicles_are_a_history_of_states(family_sample):
    q = family_sample.execute
    identity = "vin, year, make, model, trim, engine, body_style, drivetrain, transmission, created_at"
    assert (
        q(f"select count(*) from (select id from raw.vehicles group by id "
          f"having count(distinct ({identity})) > 1) s").fetchone()[0]
        == 0
    )  # fmt: skip
    # the first delivery comes when the record is created; states of a vehicle never share an updated_at
    assert (
        q("""select count(*) from (select distinct on (id) created_at, updated_at from raw.vehicles
             order by id, updated_at) s where created_at <> updated_at""").fetchone()[0]
        == 0
    )
    states, vehicles, repainted, graded, owners_changed = q(
        """select count(*), count(distinct id),
                  count(distinct id) filter (where n_colors > 1), count(distinct id) filter (where graded),
                  count(distinct id) filter (where n_owners > 1)
           from raw.vehicles v join (select id vid, count(distinct color) n_colors,
                                            bool_or(condition_rating is not null) graded,
                                            count(distinct current_owner_id) n_owners
                                     from raw.vehicles group by id) s on s.vid = v.id"""
    ).fetchone()
    assert 1.5 <= states / vehicles <= 4, states / vehicles
    assert 0.005 <= repainted / vehicles <= 0.12 and 0.05 <= graded / vehicles <= 0.3, (repainted, graded)
    assert owners_changed > 0
    # the mileage reported never goes down (TMU and out-of-range ones aside)
    assert (
        q(f"""select count(*) from (select mileage, lag(mileage) over (partition by id order by updated_at) prev
              from raw.vehicles t where {_without_defects('vehicles', ('mileage_out_of_range',))}) s
              where mileage < prev""").fetchone()[0]
        == 0
    )


def test_users_and_technicians_are_re_delivered_when_they_change(family_sample):
    q = family_sample.execute
    users, changed, other_changes = q(
        """select count(distinct id), count(distinct id) filter (where n_types > 1),
                  count(distinct id) filter (where n_other > 1)
           from (select id, count(distinct user_type) n_types,
                        count(distinct (username, email, phone, location, joined_at)) n_other
                 from raw.users group by id) s"""
    ).fetchone()
    assert 0 < changed <= 0.08 * users and other_changes == 0
    assert (
        q("""select count(*) from (select id, array_agg(user_type order by _loaded_at) types from raw.users
             group by id having count(distinct user_type) > 1) s
             where types[1] <> 'private' or types[array_length(types, 1)] <> 'dealer'""").fetchone()[0]
        == 0
    )
    technicians, certified = q(
        """select count(distinct id), count(distinct id) filter (where n > 1)
           from (select id, count(distinct certifications) n from raw.technicians group by id) s"""
    ).fetchone()
    assert 0 < certified <= 0.4 * technicians
    # a later delivery holds every certification of the earlier one, and one more
    rows = q(
        """select id, certifications from raw.technicians where id in
             (select id from raw.technicians group by id having count(distinct certifications) > 1)
           order by id, _loaded_at"""
    ).fetchall()
    by_id: dict[int, list[set[str]]] = {}
    for technician, text in rows:
        by_id.setdefault(technician, []).append(set(text.split(", ")) if text else set())
    for held in by_id.values():
        assert held[0] < held[-1] and len(held[-1] - held[0]) == 1, held


def test_re_sends_are_exact_and_a_base_extract_keeps_only_latest_versions(family_sample):
    q = family_sample.execute
    for table in CONTRACT:
        columns = [c for c in CONTRACT[table] if c != "id"]
        same = " and ".join(f"a.{c} is not distinct from b.{c}" for c in columns)
        differing = q(
            f"""with keys as (select record_key from raw._injected_defects
                              where table_name = '{table}' and defect_kind = 'duplicate_delivery'),
                     copies as (select t.*, t.id::text as k from raw.{table} t
                                where t.id::text in (select record_key from keys)),
                     exact as (select distinct a.k from copies a join copies b
                               on a.k = b.k and a._loaded_at < b._loaded_at and {same})
                select count(*) from keys where record_key not in (select k from exact)"""
        ).fetchone()[0]
        assert differing == 0, table
    # tables that are not history: one row per id in a base extract, but for re-sends
    for table in ("bat_listings", "ownerships", "service_records", "bids", "comments", "vehicle_images"):
        extra = q(
            f"""select count(*) from (select id from raw.{table} group by id having count(*) > 1) s
                where not exists (select 1 from raw._injected_defects d where d.table_name = '{table}'
                                  and d.defect_kind = 'duplicate_delivery' and d.record_key = s.id::text)"""
        ).fetchone()[0]
        assert extra == 0, table
    # listings still running at the extract are delivered live: no end, price or counters yet
    assert (
        q("""select count(*) from raw.bat_listings where status = 'live'
             and (ended_at is not null or high_bid is not null or sale_price is not null
                  or view_count is not null or bid_count is not null)""").fetchone()[0]
        == 0
    )


def test_listing_vehicle_truth_equals_a_recomputation_from_the_vehicles_rows(family_sample):
    q = family_sample.execute
    assert q("select count(*) from raw._listing_vehicle_truth").fetchone()[0] == q(
        "select count(distinct id) from raw.bat_listings"
    ).fetchone()[0]
    start_defects = ("missing_required_value", "epoch_timestamp")
    mismatched = q(
        f"""with listings as (select distinct on (id) id, vehicle_id, started_at from raw.bat_listings t
                              where {_without_defects('bat_listings', start_defects)}),
                 recomputed as (
                    select l.id listing_id, l.vehicle_id, s.updated_at, s.mileage, s.color, s.condition_rating
                    from listings l left join lateral (
                        select v.updated_at, v.mileage, v.color, v.condition_rating from raw.vehicles v
                        where v.id = l.vehicle_id and v.updated_at <= l.started_at
                        order by v.updated_at desc limit 1) s on true)
            select count(*) from recomputed r full join raw._listing_vehicle_truth t using (listing_id)
            where t.listing_id is null
               or r.listing_id is not null
                  and (r.vehicle_id, r.updated_at, r.mileage, r.color, r.condition_rating)
                      is distinct from (t.vehicle_id, t.state_updated_at, t.mileage, t.color, t.condition_rating)"""
    ).fetchone()[0]
    assert mismatched == 0
    found, graded = q(
        """select count(*) filter (where state_updated_at is not null),
                  count(*) filter (where condition_rating is not null) from raw._listing_vehicle_truth"""
    ).fetchone()
    assert found > 0 and graded > 0


# ------------------------------------------------------------------------------------------------
# append mode
# --------------------------------------------------------------------------------------------------
ALL_CHECKED = list(CONTRACT) + [t for t in TRUTH_TABLES if t != "_generator_runs"]


def test_appending_two_days_equals_appending_one_day_twice(scratch_dsn):
    for schema, steps in (("append_once", [2]), ("append_twice", [1, 1])):
        generate(scratch_dsn, 0.002, 31, 0.03, schema=schema)
        for days in steps:
            generate(scratch_dsn, 0.002, 31, 0.03, schema=schema, append_days=days)
    once, twice = checksums(scratch_dsn, "append_once"), checksums(scratch_dsn, "append_twice")
    assert set(once) == set(ALL_CHECKED)
    assert once == twice
    with psycopg.connect(scratch_dsn) as conn:
        runs = conn.execute(
            "select mode, loaded_after, as_of from append_twice._generator_runs order by as_of"
        ).fetchall()
    assert [mode for mode, *_ in runs] == ["base", "append", "append"]
    assert runs[1][1] == runs[0][2] and runs[2][1] == runs[1][2]


def test_an_append_adds_what_arrives_in_its_window(scratch_dsn):
    generate(scratch_dsn, 0.002, 32, 0.03, schema="raw")
    with psycopg.connect(scratch_dsn, autocommit=True) as conn:
        q = conn.execute
        base_counts = {t: q(f"select count(*) from raw.{t}").fetchone()[0] for t in ALL_CHECKED}
        base_listings = {i for (i,) in q("select id from raw.bat_listings").fetchall()}
        generate(scratch_dsn, 0.002, 32, 0.03, schema="raw", append_days=12)
        after, until = q("select loaded_after, as_of from raw._generator_runs where mode = 'append'").fetchone()
        for table in CONTRACT:
            outside, kept = q(
                f"""select count(*) filter (where _loaded_at > %s), count(*) filter (where _loaded_at <= %s)
                    from raw.{table}""",
                (until, after),
            ).fetchone()
            assert outside == 0 and kept == base_counts[table], table
        # listings that ended in the window: their final version came after the live one of the base
        ended = q(
            """select count(*) from raw.bat_listings live join raw.bat_listings final
               on final.id = live.id and final._loaded_at > live._loaded_at
               where live.status = 'live' and final.status <> 'live' and final.ended_at is not null"""
        ).fetchone()[0]
        assert ended > 0
        new_listings = {i for (i,) in q("select id from raw.bat_listings").fetchall()} - base_listings
        assert new_listings
        # new listings bring their truth, once; the appended defect records name rows of the window
        assert q("select count(*) from raw._listing_vehicle_truth").fetchone()[0] == len(base_listings) + len(
            new_listings
        )
        assert (
            q("select count(*) from (select listing_id from raw._listing_vehicle_truth group by 1 "
              "having count(*) > 1) s").fetchone()[0]
            == 0
        )  # fmt: skip
        for table in CONTRACT:
            missing = q(
                f"""select count(*) from raw._injected_defects d where d.table_name = '{table}'
                    and not exists (select 1 from raw.{table} x where x.id::text = d.record_key)"""
            ).fetchone()[0]
            assert missing == 0, table
        assert sum(q(f"select count(*) from raw.{t}").fetchone()[0] - base_counts[t] for t in CONTRACT) > 100


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--seed", "5"], "must use the same"),
        (["--dirty-rate", "0.1"], "must use the same"),
        (["--append-days", "61"], "horizon"),
        (["--as-of", "2026-01-01"], "--as-of is for a base run"),
    ],
)
def test_append_refuses_what_does_not_fit_the_base_run(scratch_dsn, extra, message):
    base = ["--scale", "0.0005", "--seed", "4", "--dsn", scratch_dsn, "--schema", "raw_app", "--quiet"]
    assert run_cli(*base).returncode == 0
    res = run_cli(*base, "--append-days", "1", *extra)  # a repeated option: argparse takes the last
    assert res.returncode == 2, res
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], res.stderr


def test_append_to_an_empty_schema_is_refused(scratch_dsn):
    res = run_cli("--scale", "0.001", "--seed", "1", "--dsn", scratch_dsn, "--schema", "nothing", "--append-days", "1")
    assert res.returncode == 2 and "run without --append-days first" in res.stderr, res.stderr
