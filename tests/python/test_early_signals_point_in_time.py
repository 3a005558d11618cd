"""Early signals are what the first `early_signal_hours` (24) hours of an auction show: nothing later may change them,
not even whether a count is known (null) or counted none (0).

The leakage harness perturbs facts after a cutoff for listings that had ended by then; this test perturbs each
listing's own later facts, the ones a 24-hour predictor would not have yet: a comment in the auction's 25th hour, and
the listing re-delivered with the platform's end-of-auction comment and bid counters set to 0 (every other listing)
or cleared. Both arrive after everything else was loaded. Every packaged listing's early_signals must be unchanged.
Before this test, whether an early count was 0 or null followed those end-of-auction facts: at scale 0.1, 52 Cars &
Bids listings showed 0 early bids because their bid counter ended at 0, all unsold.
"""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, generated_world, run_dbt

DATABASE = "contextpack_early_signals"
SCHEMA = "early"
LISTING_COLUMNS = (
    "id, vehicle_id, seller_id, lot_number, url, title, description, seller_type, location, started_at, ended_at,"
    " status, high_bid, sale_price, no_reserve, view_count, watcher_count"
)


def build() -> None:
    target = ROOT / "target" / "pytest_early_signals"
    for args in (["seed", "--quiet"], ["run", "--quiet", "--select", "+int_listings_packaged"]):
        result = run_dbt(args, target)
        assert result.success, f"dbt {args[0]} failed: {result.exception}"


def early_signals(conn) -> dict[int, dict]:
    rows = conn.execute(f"select listing_id, early_signals::text from {SCHEMA}_intermediate.int_listings_packaged")
    return {listing_id: json.loads(text) for listing_id, text in rows}


def perturb_what_comes_after_the_early_window(conn) -> None:
    loaded = conn.execute("select max(_loaded_at) + interval '1 day' from raw.bat_listings").fetchone()[0]
    latest = "(select distinct on (id) * from raw.bat_listings order by id, _loaded_at desc)"
    conn.execute(
        f"""insert into raw.comments
            select 700000000 + l.id, l.id, (select min(id) from raw.users), null, 'Still watching this one.',
                   l.started_at + interval '25 hours', 0, %(loaded)s
            from {latest} as l
            where l.ended_at > l.started_at + interval '25 hours'""",
        {"loaded": loaded},
    )
    conn.execute(
        f"""insert into raw.bat_listings
            select {LISTING_COLUMNS},
                   case when l.id %% 2 = 0 then 0 end as comment_count,
                   case when l.id %% 2 = 0 then 0 end as bid_count,
                   %(loaded)s
            from {latest} as l
            -- a row with an end after its own load is blocked (future_timestamp) until a later delivery heals it
            where l.ended_at <= l._loaded_at""",
        {"loaded": loaded},
    )


@pytest.fixture(scope="module")
def early_world(warehouse_env):
    with generated_world(DATABASE, SCHEMA, warehouse_env, seed=5151) as (conn, _):
        yield conn


def test_nothing_after_the_early_window_changes_early_signals(early_world):
    conn = early_world
    build()
    before = early_signals(conn)
    # Listings with an unknown early count, which an end-of-auction fact could turn into a confident 0, and with a
    # known one, which must stay known.
    unknown_before = sum(1 for early in before.values() if early["bid_count"] is None or early["comment_count"] is None)
    known_before = sum(1 for early in before.values() if early["bid_count"] or early["comment_count"])
    assert len(before) >= 20 and unknown_before and known_before, (len(before), unknown_before, known_before)

    perturb_what_comes_after_the_early_window(conn)
    build()
    after = early_signals(conn)
    assert set(after) == set(before), "the perturbation added or removed packaged listings"
    changed = {listing: (before[listing], after[listing]) for listing in before if before[listing] != after[listing]}
    example = next(iter(changed.items()), None)
    assert not changed, f"{len(changed)} of {len(before)} listings' early signals changed, e.g. {example}"
