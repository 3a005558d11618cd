"""Helpers shared by the streamed child tables (bids, comments, images), which are made chunk by chunk.

A chunk covers a range of parents (listings, service records or vehicles) and all their children; each
child row knows its parent and its position among the parent's children. Rows are numbered globally
(``first_row`` of the chunk + position in the chunk), so ids and the defect plan do not depend on how the
table is chunked as long as the chunk boundaries stay the same.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .people import Users

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


def with_redeliveries(arrays: dict[str, np.ndarray], redelivered: np.ndarray) -> dict[str, np.ndarray]:
    """Each column followed by copies of its ``redelivered`` rows."""
    n = len(next(iter(arrays.values())))
    rows = np.concatenate([np.arange(n), redelivered])
    return {name: column[rows] for name, column in arrays.items()}


def loaded_at(as_of: int, n_first_deliveries: int, redelivery_times: np.ndarray) -> np.ndarray:
    """``_loaded_at`` of a chunk: the extract time, then the re-deliveries' later times."""
    loaded = np.full(n_first_deliveries + len(redelivery_times), as_of, dtype=np.int64)
    loaded[n_first_deliveries:] = redelivery_times
    return loaded
