"""The listings table: each listing delivered as it starts and again as it ended, with its defects.

Blocking defects (impossible prices and times) are planned before any child row exists, so such listings
get no bids, comments or gallery; prices and end times are wrong in the final version only, start times and
text in every version. Orphan listings are extra records copied from real ones but pointing at no vehicle.
"""

from __future__ import annotations

import numpy as np

from . import catalog_extra, platforms
from .common import DAY, STATUS_LIVE, STATUS_NAMES, STATUS_RESERVE_NOT_MET, STATUS_SOLD
from .copytext import escape_copy, fmt_money, fmt_ts, fmt_ts_list
from .defects import ORPHAN_BASE, Ledger, TableDefects, pick_rows
from .delivery import DeliveredRows, Extract, VersionRows, deliver_rows, pick, settled_by, version_index
from .world import World

ListingDefectPlan = dict[str, np.ndarray]  # defect kind -> listing rows that carry it


def _id_text(value) -> str:
    return str(int(value))


# Listing defects that make a listing unusable (the quarantine blocks it): such listings get no children.
BLOCKING_LISTING_DEFECTS = (
    "sale_price_status_mismatch",
    "price_not_positive",
    "price_absurd",
    "future_timestamp",
    "missing_required_value",
    "epoch_timestamp",
    "ended_before_started",
)
TEXT_LISTING_DEFECTS = (
    "control_characters",
    "zero_width_characters",
    "oversized_text",
    "contains_email",
    "contains_phone",
    "duplicate_delivery",
)


def plan_listing_defects(world: World, ledger: Ledger) -> ListingDefectPlan:
    """Blocking listing defects are decided before children exist: such listings get no children."""
    listings, market = world.listings, world.market
    rng = ledger.rng("bat_listings")
    n = listings.n
    per_kind = ledger.per_kind("bat_listings", n)
    used = np.zeros(n, dtype=bool)
    ended = np.nonzero(listings.status != STATUS_LIVE)[0]
    sold = np.nonzero((listings.status == STATUS_SOLD) & (market.high_bid > 0))[0]
    unsold_with_bids = np.nonzero((listings.status == STATUS_RESERVE_NOT_MET) & (market.high_bid > 0))[0]
    sold_or_unsold = np.nonzero(np.isin(listings.status, [STATUS_SOLD, STATUS_RESERVE_NOT_MET]))[0]
    candidates = {
        "sale_price_status_mismatch": unsold_with_bids,
        "price_not_positive": sold,
        "price_absurd": sold,
        "future_timestamp": sold_or_unsold,
        "missing_required_value": ended,
        "epoch_timestamp": ended,
        "ended_before_started": ended,
    }
    settled = settled_by(world.cfg.as_of, world.arrivals.listing_live, world.arrivals.listing_final)
    plan: ListingDefectPlan = {}
    for kind in BLOCKING_LISTING_DEFECTS:
        plan[kind] = pick_rows(rng, candidates[kind], used, per_kind, settled)
        listings.has_children[plan[kind]] = False
    every_row = np.arange(n)
    for kind in TEXT_LISTING_DEFECTS:
        plan[kind] = pick_rows(rng, every_row, used, per_kind, settled)
    # orphan listings are copies of any listings, defective or not
    plan["orphan_reference"] = pick_rows(rng, every_row, np.zeros(n, dtype=bool), per_kind, settled)
    return plan


def listings_copy(
    world: World, ledger: Ledger, plan: ListingDefectPlan, extract: Extract, delivered: dict[str, DeliveredRows]
) -> bytes:
    """Each listing as it starts (status live: no end, price or counters yet) and, once over, as it ended;
    a base extract writes the latest of the two that arrived."""
    listings, market, users, arrivals = world.listings, world.market, world.users, world.arrivals
    table = "bat_listings"
    started = fmt_ts_list(listings.start)
    ended = fmt_ts_list(np.maximum(listings.end, 0), listings.end < 0)
    high_bid = [None if h < 0 else fmt_money(h) for h in market.high_bid.tolist()]
    sale_price = [None if s < 0 else fmt_money(s) for s in market.sale_price.tolist()]
    descriptions = list(world.descriptions)
    defects = TableDefects()
    _price_and_time_defects(world, plan, started, ended, high_bid, sale_price, defects)
    _description_defects(plan, descriptions, defects)
    seller_types = market.seller_type.tolist()
    final: list[list] = [
        [_id_text(i) for i in listings.ids],
        [_id_text(v + 1) for v in listings.vehicle.tolist()],
        [_id_text(s + 1) for s in listings.seller.tolist()],
        world.lot_numbers,
        world.urls,
        [escape_copy(t) for t in world.titles],
        [None if d is None else escape_copy(d) for d in descriptions],
        [platforms.seller_type_text(p, t) for p, t in zip(world.listing_platform.tolist(), seller_types, strict=True)],
        [users.locations[s] or "Los Angeles, CA" for s in listings.seller.tolist()],
        started,
        ended,
        [STATUS_NAMES[s] for s in listings.status.tolist()],
        high_bid,
        sale_price,
        ["t" if b else "f" for b in market.no_reserve.tolist()],
        [_id_text(x) for x in market.views.tolist()],
        [_id_text(x) for x in market.watchers.tolist()],
        [_id_text(x) for x in market.comment_count.tolist()],
        [_id_text(x) for x in market.bid_count.tolist()],
    ]
    record, version, loaded = version_index([arrivals.listing_live, arrivals.listing_final])
    rows = VersionRows([pick(column, record) for column in final], record, version, loaded)
    _blank_what_is_unknown_while_live(rows)
    _append_orphan_listings(rows, plan["orphan_reference"], listings.n, defects)
    keys = np.arange(1, listings.n + len(plan["orphan_reference"]) + 1)
    resent = np.asarray(plan["duplicate_delivery"], dtype=np.int64)
    data, every, kept = deliver_rows(table, rows, keys, defects, resent, ledger.rng(table, 3), ledger, extract)
    delivered[table] = DeliveredRows(every, kept)
    return data


# columns of a listing row that are not known while it is live
_ENDED, _STATUS, _HIGH_BID, _SALE_PRICE, _FIRST_COUNTER = 10, 11, 12, 13, 15


def _blank_what_is_unknown_while_live(rows: VersionRows) -> None:
    """The first version of a listing is delivered as it starts: live, no end, no price, no counters."""
    for i in np.nonzero(rows.version == 0)[0].tolist():
        rows.columns[_STATUS][i] = STATUS_NAMES[STATUS_LIVE]
        for column in (_ENDED, _HIGH_BID, _SALE_PRICE, *range(_FIRST_COUNTER, _FIRST_COUNTER + 4)):
            rows.columns[column][i] = None


def _price_and_time_defects(
    world: World,
    plan: ListingDefectPlan,
    started: list,
    ended: list,
    high_bid: list,
    sale_price: list,
    defects: TableDefects,
) -> None:
    """The blocking defects: impossible prices and end times on the final version, impossible start times on
    every version."""
    listings, market, final_loaded = world.listings, world.market, world.arrivals.listing_final

    def record(i: int, kind: str, detail: str = "", on_final_version: bool = True) -> None:
        defects.add(i, kind, detail, last_version_only=on_final_version)

    for i in plan["sale_price_status_mismatch"]:
        sale_price[i] = high_bid[i]
        record(i, "sale_price_status_mismatch", "sale_price set on a reserve_not_met listing")
    for j, i in enumerate(plan["price_not_positive"]):
        sale_price[i] = "0.00" if j % 2 == 0 else fmt_money(-int(market.sale_price[i]))
        record(i, "price_not_positive", f"sale_price {sale_price[i]}")
    for j, i in enumerate(plan["price_absurd"]):
        bad = 100_000_000_000 if j % 2 == 0 else int(market.sale_price[i]) * 10_000
        bad = min(max(bad, 5_000_000_000), 99_999_999_999)
        sale_price[i] = fmt_money(bad)
        record(i, "price_absurd", f"sale_price {sale_price[i]}")
    for i in plan["future_timestamp"]:
        ended[i] = fmt_ts(int(final_loaded[i]) + (5 + i % 300) * DAY)
        record(i, "future_timestamp", "ended_at after _loaded_at")
    for i in plan["missing_required_value"]:
        started[i] = None
        record(i, "missing_required_value", "started_at is null", on_final_version=False)
    for i in plan["epoch_timestamp"]:
        started[i] = fmt_ts(0)
        record(i, "epoch_timestamp", "started_at = 1970-01-01", on_final_version=False)
    for i in plan["ended_before_started"]:
        ended[i] = fmt_ts(int(listings.start[i]) - 3600 - (i % 72) * 3600)
        record(i, "ended_before_started", "ended_at before started_at")


def _description_defects(plan: ListingDefectPlan, descriptions: list, defects: TableDefects) -> None:
    """Text defects in the description (every version): control and zero-width characters, a 1 MB text,
    contact details."""
    record = defects.add
    for i in plan["control_characters"]:
        text = descriptions[i] or "Clean title."
        cut = len(text) // 2
        descriptions[i] = (
            text[:cut] + catalog_extra.CONTROL_SNIPPETS[i % len(catalog_extra.CONTROL_SNIPPETS)] + text[cut:]
        )
        record(i, "control_characters")
    for i in plan["zero_width_characters"]:
        text = descriptions[i] or "Clean title."
        cut = max(1, text.find(" ") if " " in text else 1)
        descriptions[i] = text[: cut - 1] + catalog_extra.ZERO_WIDTH_SNIPPETS[i % 3] + text[cut - 1 :]
        record(i, "zero_width_characters")
    for i in plan["oversized_text"]:
        text = (descriptions[i] or "This car is offered with a clean title.") + "\n\n"
        descriptions[i] = (text * (1_000_000 // len(text) + 1))[:1_000_000]
        record(i, "oversized_text", "description of 1,000,000 characters")
    for i in plan["contains_email"]:
        prefix = descriptions[i] + " " if descriptions[i] else ""
        descriptions[i] = prefix + "Questions?" + catalog_extra.EMAIL_SNIPPETS[i % len(catalog_extra.EMAIL_SNIPPETS)]
        record(i, "contains_email")
    for i in plan["contains_phone"]:
        prefix = descriptions[i] + " " if descriptions[i] else ""
        descriptions[i] = (
            prefix + "Serious buyers" + catalog_extra.PHONE_SNIPPETS[i % len(catalog_extra.PHONE_SNIPPETS)]
        )
        record(i, "contains_phone")


def _append_orphan_listings(rows: VersionRows, sources: np.ndarray, n: int, defects: TableDefects) -> None:
    """Extra listings (new ids, no children), every version copied from a source listing, but pointing at
    vehicles that exist nowhere."""
    for j, source in enumerate(np.asarray(sources).tolist()):
        new_id = n + 1 + j
        copies = rows.take(np.nonzero(rows.record == source)[0])
        copies.record[:] = n + j
        orphan_vehicle = _id_text(ORPHAN_BASE + new_id)
        for i in range(len(copies.record)):
            copies.columns[0][i] = _id_text(new_id)
            copies.columns[1][i] = orphan_vehicle
            copies.columns[3][i] = str(10000 + new_id * 3)
            copies.columns[4][i] = copies.columns[4][i].rstrip("/") + f"-{new_id}/"
        rows.extend(copies)
        defects.add(n + j, "orphan_reference", f"vehicle_id {orphan_vehicle} exists nowhere")
