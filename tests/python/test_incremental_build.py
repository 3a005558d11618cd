"""An incremental build after daily appends gives exactly the tables a full refresh gives.

In a database of its own: generate a base, build it, append days with the generator's append mode and build
incrementally after each append, then build the same raw data with --full-refresh into a second schema and compare
a checksum of every model and seed. The second append is checked (from the raw tables) to hold what makes an
incremental build hard: re-delivered parents (listings, vehicles) and late streamed rows; on top of it the test
re-delivers by hand what a sample this small seldom holds: an image that takes another image's URL, a bid with a
new amount, a comment with a new body and a listing that becomes blocked (its packages must go); and a comment
that arrives before its listing (an orphan, blocked) and heals when the listing arrives an append later, without
being delivered again, so only the scorer's search for clean comments not yet scored can find it.
Along the way: packages built earlier never change split, the runs were incremental (they inserted only a part of
each incremental model), and the quarantine still reconciles with the raw tables.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import timedelta

import psycopg
import pytest
from conftest import (
    ROOT,
    TEST_PSEUDONYM_KEY,
    _drop_database,
    _recreate_database,
    marketplace_tables,
    run_dbt,
    with_pseudonym_key,
)

SCALE = 0.002
SEED = 20261126
DIRTY_RATE = 0.03
# The first append, then the one checked for re-deliveries and late rows (days after the base's extract).
APPEND_DAYS = (4, 5)
INCREMENTAL_SCHEMA = "incremental"
FULL_SCHEMA = "full_refresh"
INCREMENTAL_MODELS = [
    "stg_marketplace__vehicle_states",
    "stg_marketplace__vehicle_images",
    "stg_marketplace__comments",
    "stg_marketplace__bids",
    "stg_marketplace__bat_listings",
    "stg_marketplace__service_records",
    "stg_marketplace__ownerships",
    "int_comments_sentiment_scored",
    "listing_image_packages",
]
# Streamed tables and the column telling when the row happened: a late row arrives days after it.
STREAMED_EVENT_COLUMNS = {"vehicle_images": "uploaded_at", "comments": "posted_at", "bids": "placed_at"}


@pytest.fixture
def incremental_env(warehouse_env, monkeypatch):
    """A database of its own (appends rewrite the raw tables), dbt pointed at it."""
    name = f"contextpack_incremental_{uuid.uuid4().hex[:10]}"
    dsn = _recreate_database(name, warehouse_env)
    monkeypatch.setenv("PGDATABASE", name)
    monkeypatch.setenv("CONTEXTPACK_RAW_SCHEMA", "raw")
    monkeypatch.setenv("PGOPTIONS", with_pseudonym_key(TEST_PSEUDONYM_KEY, os.environ.get("PGOPTIONS")))
    with psycopg.connect(dsn, autocommit=True) as conn:
        yield dsn, conn
    _drop_database(name, warehouse_env)


def dbt(monkeypatch, schema: str, *args: str) -> dict:
    """One dbt command into `schema`; its run_results."""
    monkeypatch.setenv("DBT_SCHEMA", schema)
    target = ROOT / "target" / f"pytest_{schema}"
    result = run_dbt([*args, "--quiet"], target)
    assert result.success, f"dbt {' '.join(args)} into {schema} failed: {result.exception}"
    return json.loads((target / "run_results.json").read_text())


def relations(schema: str) -> dict[str, str]:
    """{model or seed name: relation} of the last dbt command into `schema`."""
    manifest = json.loads((ROOT / "target" / f"pytest_{schema}" / "manifest.json").read_text())
    return {
        node["name"]: node["relation_name"]
        for node in manifest["nodes"].values()
        if node["resource_type"] in {"model", "seed"} and node["config"].get("enabled", True)
    }


def checksum(conn, relation: str) -> tuple[int, str]:
    """Row count and an order-free checksum of every column of every row."""
    return conn.execute(
        f"select count(*), md5(coalesce(string_agg(row_md5, '' order by row_md5), '')) "
        f"from (select md5(t::text) as row_md5 from {relation} as t) as rows"
    ).fetchone()


def splits(conn) -> dict[str, str]:
    return dict(conn.execute(f"select image_id::text, split from {INCREMENTAL_SCHEMA}.listing_image_packages"))


def append(dsn: str, days: int) -> None:
    import generate_marketplace

    generate_marketplace.generate(dsn, scale=SCALE, seed=SEED, dirty_rate=DIRTY_RATE, schema="raw", append_days=days)


def latest_batch(conn) -> object:
    return conn.execute(
        "select max(_loaded_at) from (select _loaded_at from raw.users union all select _loaded_at from raw.vehicles"
        " union all select _loaded_at from raw.bat_listings union all select _loaded_at from raw.vehicle_images"
        " union all select _loaded_at from raw.comments union all select _loaded_at from raw.bids) as batches"
    ).fetchone()[0]


def redelivered_rows(conn, table: str, since) -> int:
    """Rows loaded after `since` whose id had arrived before."""
    return conn.execute(
        f"select count(*) from raw.{table} as new where new._loaded_at > %s and exists ("
        f"select 1 from raw.{table} as old where old.id = new.id and old._loaded_at <= %s)",
        [since, since],
    ).fetchone()[0]


def late_rows(conn, table: str, since) -> int:
    """First deliveries loaded after `since` of rows that happened more than two days before they arrived (an
    on-time row arrives in the first daily batch after it happened)."""
    event = STREAMED_EVENT_COLUMNS[table]
    return conn.execute(
        f"select count(*) from raw.{table} as new where new._loaded_at > %s"
        f" and new.{event} < new._loaded_at - interval '2 days'"
        f" and not exists (select 1 from raw.{table} as old where old.id = new.id and old._loaded_at < new._loaded_at)",
        [since],
    ).fetchone()[0]


def redeliver(conn, table: str, key, changes: dict, loaded_at) -> None:
    """A new delivery of the latest row of `key` in raw.`table`, with `changes`, in the batch `loaded_at`."""
    conn.execute(
        f"create temp table redelivery as select * from raw.{table} where id = %s order by _loaded_at desc limit 1",
        [key],
    )
    assignments = ", ".join(f"{column} = %s" for column in changes)
    conn.execute(f"update redelivery set {assignments}, _loaded_at = %s", [*changes.values(), loaded_at])
    conn.execute(f"insert into raw.{table} select * from redelivery")
    conn.execute("drop table redelivery")


def deliver_second_part_of_last_batch(conn) -> None:
    """The batch the previous run ended with, loaded in two parts with one _loaded_at: a comment and a vehicle whose
    latest delivery is at a staging model's mark are delivered again at that very time. Legitimate (the watermark
    recomputes rows at or after the mark), so the guard of a replaced raw table must not fire: the run stays
    incremental (asserted by the caller) and equal to a full refresh."""
    for table, model, changes in (
        ("comments", "stg_marketplace__comments", {"body": "Second part of the batch: a new text."}),
        ("vehicles", "stg_marketplace__vehicle_states", {"color": "Second Part Green"}),
    ):
        mark = conn.execute(f"select max(loaded_at) from {INCREMENTAL_SCHEMA}_staging.{model}").fetchone()[0]
        key = conn.execute(
            f"select min(id) from raw.{table} where _loaded_at = %s and id is not null", [mark]
        ).fetchone()[0]
        assert key is not None, f"the premise: raw.{table} holds a row at {model}'s mark {mark}"
        redeliver(conn, table, key, changes, mark)


def plant_orphan_comment(conn, loaded_at) -> dict:
    """A copy of a clean comment under a new id, on a listing id nothing has delivered yet, loaded at `loaded_at`.
    Real platforms send a child before its parent; the generator never does."""
    scored = f"{INCREMENTAL_SCHEMA}_intermediate.int_comments_sentiment_scored"
    comment, listing = conn.execute(
        f"select comment_id, listing_id from {scored} order by comment_id limit 1"
    ).fetchone()
    new_comment = conn.execute("select max(id) + 1 from raw.comments").fetchone()[0]
    new_listing = conn.execute("select max(id) + 1000 from raw.bat_listings").fetchone()[0]
    conn.execute(
        "create temp table orphan as select * from raw.comments where id = %s order by _loaded_at desc limit 1",
        [comment],
    )
    conn.execute("update orphan set id = %s, listing_id = %s, _loaded_at = %s", [new_comment, new_listing, loaded_at])
    conn.execute("insert into raw.comments select * from orphan")
    conn.execute("drop table orphan")
    return {"comment": new_comment, "listing": new_listing, "copied_listing": listing, "loaded_at": loaded_at}


def deliver_missing_listing(conn, orphan: dict, loaded_at) -> None:
    """The orphan comment's listing arrives: the latest row of the listing its comment was copied from, new id."""
    conn.execute(
        "create temp table late_listing as select * from raw.bat_listings where id = %s"
        " order by _loaded_at desc limit 1",
        [orphan["copied_listing"]],
    )
    conn.execute("update late_listing set id = %s, _loaded_at = %s", [orphan["listing"], loaded_at])
    conn.execute("insert into raw.bat_listings select * from late_listing")
    conn.execute("drop table late_listing")


def redeliver_by_hand(conn, loaded_at) -> dict:
    """Re-deliveries that reach across rows, in the latest batch; what each should do to the packages."""
    mart = f"{INCREMENTAL_SCHEMA}.listing_image_packages"
    images = f"{INCREMENTAL_SCHEMA}_staging.stg_marketplace__vehicle_images"
    # Two packaged photos of two listings: the earlier-uploaded one takes the later one's URL, so the later one
    # becomes a duplicate and loses its package (the URL's first upload is kept).
    first, second, url = conn.execute(
        f"select a.image_id, b.image_id, b.image_url from {mart} as pa join {images} as a using (image_id)"
        f" join {images} as b on b.uploaded_at > a.uploaded_at and b.listing_id <> a.listing_id"
        f" join {mart} as pb on pb.image_id = b.image_id order by a.image_id, b.image_id limit 1"
    ).fetchone()
    redeliver(conn, "vehicle_images", first, {"image_url": url}, loaded_at)
    # A bid of a packaged listing drops to 1 dollar: the next bid's previous amount changes with it.
    bid, bid_listing = conn.execute(
        f"select bid_id, listing_id from {INCREMENTAL_SCHEMA}_staging.stg_marketplace__bids"
        f" where not has_blocking_issue and listing_id in (select listing_id from {mart}) order by bid_id limit 1"
    ).fetchone()
    redeliver(conn, "bids", bid, {"amount": 1}, loaded_at)
    comment = conn.execute(
        f"select comment_id from {INCREMENTAL_SCHEMA}_intermediate.int_comments_sentiment_scored"
        f" where sentiment_compound >= 0 order by comment_id limit 1"
    ).fetchone()[0]
    redeliver(conn, "comments", comment, {"body": "Terrible rust everywhere, awful and overpriced."}, loaded_at)
    # A packaged listing re-delivered with a status outside the contract: blocked, its packages must go.
    blocked_listing = conn.execute(
        f"select max(listing_id) from {mart} where listing_id <> %s", [bid_listing]
    ).fetchone()[0]
    redeliver(conn, "bat_listings", blocked_listing, {"status": "relisted"}, loaded_at)
    return {"image_losing_package": second, "listing_losing_packages": blocked_listing, "rescored_comment": comment}


def inserted_rows(run_results: dict) -> dict[str, int]:
    return {
        r["unique_id"].split(".")[-1]: r["adapter_response"].get("rows_affected", -1)
        for r in run_results["results"]
        if r["unique_id"].split(".")[-1] in INCREMENTAL_MODELS
    }


def assert_reconciles(conn) -> None:
    """The quarantine's reconciliation against the raw tables, recounted here: every raw row arrived, and
    arrived = clean + blocked + superseded + history."""
    reconciliation = {
        row[0]: row[1:]
        for row in conn.execute(
            f"select table_name, arrived_rows, clean_rows, blocked_rows, superseded_rows, history_rows"
            f" from {INCREMENTAL_SCHEMA}.data_quality_reconciliation"
        )
    }
    for table in marketplace_tables():
        raw_rows, raw_keys = conn.execute(f"select count(*), count(distinct id) from raw.{table}").fetchone()
        arrived, clean, blocked, superseded, history = reconciliation[table]
        assert arrived == raw_rows, f"{table}: {arrived} arrived in the reconciliation, {raw_rows} raw rows"
        assert clean + blocked == raw_keys, f"{table}: {clean} clean + {blocked} blocked rows, {raw_keys} raw keys"
        assert clean + blocked + superseded + history == raw_rows, f"{table} does not reconcile"


def test_incremental_build_equals_a_full_refresh(incremental_env, monkeypatch):
    import generate_marketplace

    dsn, conn = incremental_env
    generate_marketplace.generate(dsn, scale=SCALE, seed=SEED, dirty_rate=DIRTY_RATE, schema="raw")
    dbt(monkeypatch, INCREMENTAL_SCHEMA, "seed")
    dbt(monkeypatch, INCREMENTAL_SCHEMA, "run")
    splits_before = splits(conn)
    assert splits_before, "the base build produced no packages"

    for step, days in enumerate(APPEND_DAYS):
        since = latest_batch(conn)
        append(dsn, days)
        if step == 0:
            # an hour before the append's last batch of comments: older than the comments that batch gets scored with
            last_comments = conn.execute("select max(_loaded_at) from raw.comments").fetchone()[0]
            orphan = plant_orphan_comment(conn, last_comments - timedelta(hours=1))
        if step == len(APPEND_DAYS) - 1:
            redelivered = {t: redelivered_rows(conn, t, since) for t in ("bat_listings", "vehicles")}
            late = {t: late_rows(conn, t, since) for t in STREAMED_EVENT_COLUMNS}
            assert all(redelivered.values()), f"the last append re-delivers too few parents: {redelivered}"
            assert sum(late.values()) > 0, f"the last append holds no late rows: {late}"
            expected = redeliver_by_hand(conn, latest_batch(conn))
            deliver_missing_listing(conn, orphan, latest_batch(conn))
            deliver_second_part_of_last_batch(conn)
        totals = {m: conn.execute(f"select count(*) from {relations(INCREMENTAL_SCHEMA)[m]}").fetchone()[0]
                  for m in INCREMENTAL_MODELS}
        inserted = inserted_rows(dbt(monkeypatch, INCREMENTAL_SCHEMA, "run"))
        partial = {m: (inserted[m], totals[m]) for m in INCREMENTAL_MODELS if 0 <= inserted[m] < totals[m]}
        assert len(partial) == len(INCREMENTAL_MODELS), f"not every model ran incrementally: {inserted} of {totals}"
        if step == 0:
            # the premise: the orphan is blocked, and the scorer's watermark has passed its load time
            scored = f"{INCREMENTAL_SCHEMA}_intermediate.int_comments_sentiment_scored"
            blocked, watermark = conn.execute(
                f"select (select has_blocking_issue from {INCREMENTAL_SCHEMA}_staging.stg_marketplace__comments"
                f" where comment_id = %s), (select max(loaded_at) from {scored})",
                [orphan["comment"]],
            ).fetchone()
            assert blocked and watermark > orphan["loaded_at"], (blocked, watermark, orphan)
        now = splits(conn)
        moved = {image: (split, now[image]) for image, split in splits_before.items() if now.get(image, split) != split}
        assert not moved, f"{len(moved)} packages moved split after append {step + 1}, e.g. {list(moved.items())[:3]}"

    packaged = conn.execute(
        f"select count(*) filter (where image_id = %s), count(*) filter (where listing_id = %s)"
        f" from {INCREMENTAL_SCHEMA}.listing_image_packages",
        [expected["image_losing_package"], expected["listing_losing_packages"]],
    ).fetchone()
    assert packaged == (0, 0), "a duplicate photo or a blocked listing kept its packages"
    rescored = conn.execute(
        f"select sentiment_compound from {INCREMENTAL_SCHEMA}_intermediate.int_comments_sentiment_scored"
        f" where comment_id = %s",
        [expected["rescored_comment"]],
    ).fetchone()
    assert rescored and rescored[0] < 0, f"the re-delivered negative comment kept its old score: {rescored}"
    healed = conn.execute(
        f"select count(*) from {INCREMENTAL_SCHEMA}_intermediate.int_comments_sentiment_scored where comment_id = %s",
        [orphan["comment"]],
    ).fetchone()[0]
    assert healed == 1, "a comment whose listing arrived after it was never scored"
    assert_reconciles(conn)

    dbt(monkeypatch, FULL_SCHEMA, "seed")
    dbt(monkeypatch, FULL_SCHEMA, "run", "--full-refresh")
    incremental, full = relations(INCREMENTAL_SCHEMA), relations(FULL_SCHEMA)
    assert set(incremental) == set(full) and len(full) > 30
    differing = {}
    for name in sorted(full):
        sums = checksum(conn, incremental[name]), checksum(conn, full[name])
        if sums[0] != sums[1]:
            differing[name] = sums
    assert not differing, f"incremental and full-refresh tables differ (rows, checksum): {differing}"


def test_incremental_run_after_the_raw_tables_were_replaced_equals_a_full_refresh(incremental_env, monkeypatch):
    # A raw schema replaced between two runs (a new extract, another platform's scrape loaded in its place) breaks
    # the append-only premise of the incremental models: the same ids and load times come back with other rows.
    # Without a check the staging models keep rows whose raw rows are gone and the scorer keeps the scores of other
    # texts; macro empty_if_raw_was_replaced and the scorer's text checksum must make the plain run rebuild them.
    import generate_marketplace

    dsn, conn = incremental_env
    generate_marketplace.generate(dsn, scale=SCALE, seed=SEED, dirty_rate=DIRTY_RATE, schema="raw")
    dbt(monkeypatch, INCREMENTAL_SCHEMA, "seed")
    dbt(monkeypatch, INCREMENTAL_SCHEMA, "run")
    generate_marketplace.generate(dsn, scale=SCALE, seed=SEED + 1, dirty_rate=DIRTY_RATE, schema="raw")
    # Two seeds seldom load one id at one time; an extract whose clock matches the old one's does: give 50 comments
    # of the new extract the old load time of their id, so the scorer meets the same id and time with another text.
    staged = f"{INCREMENTAL_SCHEMA}_staging.stg_marketplace__comments"
    conn.execute(
        f"update raw.comments as raw_rows set _loaded_at = staged.loaded_at from {staged} as staged"
        f" where staged.comment_id = raw_rows.id and staged.body is distinct from raw_rows.body"
        f" and raw_rows.id in (select id from raw.comments where body is not null order by id limit 50)"
    )
    shared = conn.execute(
        f"select count(*) from raw.comments as raw_rows join {staged} as staged"
        f" on staged.comment_id = raw_rows.id and staged.loaded_at = raw_rows._loaded_at"
        f" and staged.body is distinct from raw_rows.body"
    ).fetchone()[0]
    assert shared > 0, "the premise: the new extract reuses comment ids and load times with other texts"

    inserted = inserted_rows(dbt(monkeypatch, INCREMENTAL_SCHEMA, "run"))
    rebuilt = [model for model in INCREMENTAL_MODELS if model.startswith("stg_")]
    totals = {m: conn.execute(f"select count(*) from {relations(INCREMENTAL_SCHEMA)[m]}").fetchone()[0]
              for m in rebuilt}
    assert all(inserted[m] == totals[m] for m in rebuilt), f"staging not rebuilt whole: {inserted} of {totals}"
    assert_reconciles(conn)

    dbt(monkeypatch, FULL_SCHEMA, "seed")
    dbt(monkeypatch, FULL_SCHEMA, "run", "--full-refresh")
    incremental, full = relations(INCREMENTAL_SCHEMA), relations(FULL_SCHEMA)
    differing = {name: sums for name in sorted(full)
                 if (sums := (checksum(conn, incremental[name]), checksum(conn, full[name])))[0] != sums[1]}
    assert not differing, f"incremental and full-refresh tables differ (rows, checksum): {differing}"
