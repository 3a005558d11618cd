"""Helpers shared by the streamed child tables (bids, comments, images), which are made chunk by chunk.

A chunk covers a range of parents (listings, service records or vehicles) and all their children; each
child row knows its parent and its position among the parent's children. Rows are numbered globally
(``first_row`` of the chunk + position in the chunk), so ids and the defect plan do not depend on how the
table is chunked as long as the chunk boundaries stay the same.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .defects import Ledger
from .delivery import STREAMED_LOAD_MARGIN, Extract, late_load_times, resend_times
from .people import Users

if TYPE_CHECKING:  # world.py imports comments.py, which imports this module
    from .world import World

_PARENT_STRIDE = np.int64(1) << np.int64(42)  # larger than any value passed to running_max_within
_VALUE_OFFSET = np.int64(1) << np.int64(31)  # makes -1 (and small negatives) sort below real values


class CopyChunk(NamedTuple):
    """COPY data for part of a table and the number of rows in it."""

    data: bytes
    rows: int


def text_chunk(data: bytes) -> CopyChunk:
    """A COPY text chunk: one row per line (newlines inside values are escaped)."""
    return CopyChunk(data, data.count(b"\n"))


class ChildRows(NamedTuple):
    parent: np.ndarray  # chunk-local parent number of each child row
    position: np.ndarray  # 0-based position among the parent's children
    first_of_parent: np.ndarray  # per parent, the chunk row of its first child


def rows_per_parent(counts: np.ndarray) -> ChildRows:
    """Child rows for parents with ``counts`` children each, in parent order."""
    parent = np.repeat(np.arange(len(counts)), counts)
    first_of_parent = np.cumsum(counts) - counts
    position = np.arange(len(parent)) - first_of_parent[parent]
    return ChildRows(parent, position, first_of_parent)


def running_max_within(values: np.ndarray, parent: np.ndarray) -> np.ndarray:
    """Running maximum of ``values`` that restarts at each parent (rows sorted by parent), vectorised by
    offsetting each parent's values above the previous parent's."""
    key = parent.astype(np.int64) * _PARENT_STRIDE + (values.astype(np.int64) + _VALUE_OFFSET)
    return np.maximum.accumulate(key) - parent.astype(np.int64) * _PARENT_STRIDE - _VALUE_OFFSET


def active_users_joined_before(rng: np.random.Generator, users: Users, times: np.ndarray) -> np.ndarray:
    """One user per time (0-based), weighted by activity, among users who had joined by then."""
    joined = np.maximum(np.searchsorted(users.joined_at, times, side="right"), 1)
    cumulative = users.cumulative_activity
    j = np.searchsorted(cumulative, rng.random(len(times)) * cumulative[joined - 1], side="right")
    return np.minimum(j, joined - 1)


def listing_children_load_span(world: World, after_end: int) -> tuple[np.ndarray, np.ndarray]:
    """Per listing, the earliest and latest load time of its comments or bids (made up to ``after_end``
    seconds after the listing's end): no earlier than the listing's first version or its start, no later
    than STREAMED_LOAD_MARGIN after the end (the world's end while it runs)."""
    listings, first = world.listings, world.arrivals.listing_first
    window_end = np.where(listings.end >= 0, listings.end, world.cfg.world_end)
    earliest = np.maximum(first, listings.start)
    latest = np.maximum(first, window_end + after_end) + STREAMED_LOAD_MARGIN
    return earliest, latest


def chunk_load_times(rng: np.random.Generator, event: np.ndarray, not_before: np.ndarray) -> np.ndarray:
    """Load times of a chunk's rows: the batch after their event (a few arrive late), never before the
    rows they reference (``not_before``)."""
    return np.maximum(late_load_times(rng, event), not_before)


def written_rows(
    table: str,
    loaded: np.ndarray,
    resent: np.ndarray,
    keys,
    rng: np.random.Generator,
    ledger: Ledger,
    extract: Extract,
) -> tuple[np.ndarray, np.ndarray]:
    """(chunk row of each row ``extract`` writes, its load time): the chunk's rows, then an exact re-send of
    each row in ``resent`` one to three batches later (each recorded as a duplicate_delivery under
    ``keys[row]``)."""
    resent_loaded = resend_times(rng, loaded[resent])
    for row, at in zip(resent.tolist(), resent_loaded.tolist(), strict=True):
        ledger.add(table, keys[row], "duplicate_delivery", "re-sent with a later _loaded_at", at)
    rows = np.concatenate([np.arange(len(loaded)), resent])
    loaded = np.concatenate([loaded, resent_loaded])
    kept = extract.holds(loaded)
    return rows[kept], loaded[kept]


def deliver_chunk(
    table: str,
    columns: dict[str, np.ndarray],
    loaded: np.ndarray,
    resent: np.ndarray,
    keys,
    rng: np.random.Generator,
    ledger: Ledger,
    extract: Extract,
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``written_rows`` applied to a chunk's columns: the columns and load times of the rows written."""
    rows, loaded = written_rows(table, loaded, resent, keys, rng, ledger, extract)
    return {name: column[rows] for name, column in columns.items()}, loaded
