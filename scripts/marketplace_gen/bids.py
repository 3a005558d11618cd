"""Bids, streamed in chunks of listings as COPY text.

Chunk c draws from STREAM_BIDS (c,): bid times inside the listing's window, amounts climbing from a low
opening bid to the listing's high bid, bidders weighted by activity (never the seller; the last bid of a
sold listing is the winner's), then the load times (late rows), the times of bids moved outside the window
and the re-sends' load times.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from .chunks import (
    CopyChunk,
    active_users_joined_before,
    chunk_load_times,
    deliver_chunk,
    listing_children_load_span,
    rows_per_parent,
    running_max_within,
)
from .common import DAY, STATUS_LIVE, STREAM_BIDS, stream_rng
from .copytext import Rows
from .defects import ORPHAN_BASE, TABLE_KINDS, Ledger, StreamedDefectPlan, shift_to_eligible
from .delivery import Extract, batch_time
from .world import World

TABLE = "bids"
LISTINGS_PER_CHUNK = 2000


def bid_chunks(world: World, ledger: Ledger, extract: Extract) -> Iterator[CopyChunk]:
    listings = world.listings
    bids_per_listing = world.delivered_rows_per_listing(world.market.n_bids)
    plan = ledger.plan_streamed(TABLE, int(bids_per_listing.sum()))
    earliest, latest = listing_children_load_span(world, 0)
    first_row = 0
    for chunk, lo in enumerate(range(0, listings.n, LISTINGS_PER_CHUNK)):
        hi = min(listings.n, lo + LISTINGS_PER_CHUNK)
        if extract.may_hold(earliest[lo:hi].min(), latest[lo:hi].max()):
            yield bids_chunk(world, ledger, extract, plan, bids_per_listing[lo:hi], chunk, lo, first_row)
        first_row += int(bids_per_listing[lo:hi].sum())


def bids_chunk(
    world: World,
    ledger: Ledger,
    extract: Extract,
    plan: StreamedDefectPlan,
    bids_per_listing: np.ndarray,
    chunk: int,
    lo: int,
    first_row: int,
) -> CopyChunk:
    """The bids of listings lo, lo + 1, ... (``bids_per_listing`` each), whose first is global row
    ``first_row``; the ones ``extract`` writes."""
    listings, market, users = world.listings, world.market, world.users
    world_end = world.cfg.world_end
    rng = stream_rng(world.cfg.seed, STREAM_BIDS, chunk)
    chunk_listings = np.arange(lo, lo + len(bids_per_listing))
    parent, position, first_of_parent = rows_per_parent(bids_per_listing)
    n = len(parent)
    listing = chunk_listings[parent]
    start = listings.start[listing]
    live = listings.status[listing] == STATUS_LIVE
    window_end = np.where(live, world_end - 60, listings.end[listing])
    # bids crowd towards the end of the auction
    progress = rng.random(n) ** 0.45
    progress = progress[np.lexsort((progress, parent))]
    placed_at = start + 60 + (progress * np.maximum(window_end - start - 120, 1)).astype(np.int64)
    amount = _amounts(rng, market.high_bid[chunk_listings] // 100, bids_per_listing, parent, position, first_of_parent)
    bidder = active_users_joined_before(rng, users, placed_at)
    seller = listings.seller[listing]
    bidder = np.where(bidder == seller, (bidder + 1) % users.n, bidder)
    winning = (position == bids_per_listing[parent] - 1) & (listings.winner[listing] >= 0)
    bidder[winning] = listings.winner[listing][winning]
    columns = dict(
        ids=first_row + 1 + np.arange(n, dtype=np.int64),
        listing_id=listings.ids[listing].copy(),
        bidder=bidder,
        amount=amount,
        amount_null=np.zeros(n, dtype=bool),
        placed=placed_at,
    )
    loaded = chunk_load_times(rng, placed_at, world.arrivals.listing_first[listing])
    window = ListingWindow(live, listings.end[listing], start, world_end)
    resent = _apply_defects(rng, columns, loaded, plan, first_row, window, ledger)
    columns, loaded = deliver_chunk(TABLE, columns, loaded, resent, columns["ids"], rng, ledger, extract)
    return CopyChunk(_encode(columns, loaded), len(loaded))


class ListingWindow(NamedTuple):
    """Per bid, its listing's window: whether it is live at the world's end, its end and start."""

    live: np.ndarray
    end: np.ndarray
    start: np.ndarray
    world_end: int


def _apply_defects(
    rng: np.random.Generator,
    columns: dict[str, np.ndarray],
    loaded: np.ndarray,
    plan: StreamedDefectPlan,
    first_row: int,
    window: ListingWindow,
    ledger: Ledger,
) -> np.ndarray:
    """Write the chunk's planned defects into ``columns`` (recorded with the row's load time); returns the
    rows to re-send."""
    ids, listing_id, amount = columns["ids"], columns["listing_id"], columns["amount"]
    rows, kinds = plan.in_chunk(first_row, len(ids))
    names = TABLE_KINDS[TABLE]
    resent = []
    for row, kind in zip(rows.tolist(), kinds.tolist(), strict=True):
        name = names[kind]
        if name == "bid_outside_window":
            continue  # placed below, on an ended listing
        if name == "duplicate_delivery":
            resent.append(row)
            continue
        if name == "orphan_reference":
            listing_id[row] = ORPHAN_BASE + first_row + row
            detail = f"listing_id set to {listing_id[row]}"
        elif name == "missing_required_value":
            columns["amount_null"][row] = True
            detail = ""
        else:  # price_not_positive
            amount[row] = 0 if row % 2 else -amount[row]
            detail = f"amount {amount[row] / 100:.2f}"
        ledger.add(TABLE, ids[row], name, detail, loaded[row])
    outside = rows[np.array([names[k] == "bid_outside_window" for k in kinds.tolist()], dtype=bool)]
    if len(outside):
        _place_outside_window(rng, outside, rows, window, columns["placed"], loaded, ids, ledger)
    return np.array(resent, dtype=np.int64)


def _amounts(
    rng: np.random.Generator,
    high_bid: np.ndarray,
    bids_per_listing: np.ndarray,
    parent: np.ndarray,
    position: np.ndarray,
    first_of_parent: np.ndarray,
) -> np.ndarray:
    """Bid amounts in cents: geometric steps (random sizes) from an opening bid of 3-30% of the high bid
    up to it, rounded to the bid increment, strictly rising by at least a minimum raise, the last = high."""
    n = len(parent)
    opening = np.maximum(1.0, high_bid * rng.uniform(0.03, 0.3, len(high_bid)))
    step_sizes = rng.exponential(1.0, n)
    cumulative = np.cumsum(step_sizes)
    has_bids = bids_per_listing > 0
    per_listing_total = np.add.reduceat(step_sizes, first_of_parent[has_bids]) if n else np.zeros(0)
    total = np.zeros(len(high_bid))
    total[has_bids] = per_listing_total
    before_listing = np.concatenate([[0.0], cumulative])[first_of_parent][parent] if n else np.zeros(0)
    fraction = (cumulative - before_listing) / np.maximum(total[parent], 1e-9)
    amount = opening[parent] * (high_bid[parent] / opening[parent]) ** fraction
    increment = np.where(amount >= 20000, 250, np.where(amount >= 5000, 100, 25))
    amount = (np.round(amount / increment) * increment).astype(np.int64)
    last = position == bids_per_listing[parent] - 1
    amount[last] = high_bid[parent][last]
    # minimum raise per listing: a bid-increment-like step that still fits below the high bid
    raise_by = np.clip(high_bid // np.maximum(4 * bids_per_listing, 1), 1, 250)
    raise_by = np.where(raise_by >= 25, raise_by // 25 * 25, raise_by)[parent]
    amount = running_max_within(amount - position * raise_by, parent) + position * raise_by
    remaining = bids_per_listing[parent] - 1 - position
    return np.minimum(amount, high_bid[parent] - remaining * raise_by) * 100


def _place_outside_window(
    rng: np.random.Generator,
    planned: np.ndarray,
    defect_rows: np.ndarray,
    window: ListingWindow,
    placed_at: np.ndarray,
    loaded: np.ndarray,
    ids: np.ndarray,
    ledger: Ledger,
) -> None:
    """Move the planned bids (shifted to bids of ended listings) to after the end, else before the start; a
    bid moved later arrives no earlier than the batch after its new time."""
    taken = np.zeros(len(window.live), dtype=bool)
    taken[defect_rows] = True
    taken[planned] = False
    for row in shift_to_eligible(planned, ~window.live, taken):
        after = window.end[row] + 60 + int(rng.integers(0, 2 * DAY))
        if after < window.world_end - 1:
            placed_at[row] = after
            loaded[row] = max(loaded[row], int(batch_time(after)))
        else:
            placed_at[row] = window.start[row] - 60 - int(rng.integers(0, DAY))
        ledger.add(TABLE, ids[row], "bid_outside_window", "placed_at outside the listing window", loaded[row])


def _encode(columns: dict[str, np.ndarray], loaded: np.ndarray) -> bytes:
    rows = Rows(len(loaded))
    rows.col()
    rows.ints(columns["ids"])
    rows.col()
    rows.ints(columns["listing_id"])
    rows.col()
    rows.ints(columns["bidder"] + 1)
    amount_column = rows.col()
    rows.money(columns["amount"])
    rows.null(amount_column, columns["amount_null"])
    rows.col()
    rows.ts(columns["placed"])
    rows.col()
    rows.ts(loaded)
    rows.end()
    return rows.tobytes()
