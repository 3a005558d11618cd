"""Injected defects: which rows of which table get which defect, and the ledger that records them.

Every defect written into a raw table is also recorded in the ``Ledger`` as a ground-truth row of
``_injected_defects`` (table, record key, defect kind, detail), so tests can check the quarantine against
what was really injected. An entry goes out with the first row that carries it: the ledger keeps each
entry's load time and an extract writes the entries whose rows it writes (``rows_in``). The in-memory
tables note their defects per record first (``TableDefects``); delivery.deliver_rows resolves them once
the table's rows and their load times are known.

Each table gets ``per_kind`` rows of each of its kinds (at least MIN_PER_KIND when the dirty rate is above
zero). Defect choices draw from STREAM_DEFECTS keyed by (table number, part):
part 0 for the in-memory tables' choices, 1 for a streamed table's global plan, 2 for the bare vehicles,
3 for the listings' re-sends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import STREAM_DEFECTS, GeneratorConfig, stream_rng

ORPHAN_BASE = 900_000_000  # ids from here on exist in no table

TABLE_KINDS = {
    "users": ["duplicate_delivery"],
    "technicians": ["duplicate_delivery"],
    "vehicles": [
        "duplicate_delivery",
        "missing_required_value",
        "invalid_year",
        "mileage_out_of_range",
        "mixed_scripts",
        "placeholder_value",
    ],
    "bat_listings": [
        "duplicate_delivery",
        "orphan_reference",
        "missing_required_value",
        "price_not_positive",
        "price_absurd",
        "sale_price_status_mismatch",
        "future_timestamp",
        "epoch_timestamp",
        "ended_before_started",
        "control_characters",
        "zero_width_characters",
        "oversized_text",
        "contains_email",
        "contains_phone",
    ],
    "vehicle_images": [
        "duplicate_delivery",
        "orphan_reference",
        "missing_required_value",
        "future_timestamp",
        "epoch_timestamp",
        "malformed_url",
        "duplicate_image_url",
        "missing_optional_value",
        "unknown_enum_value",
        "unknown_upload_time",
    ],
    "comments": [
        "duplicate_delivery",
        "orphan_reference",
        "missing_required_value",
        "future_timestamp",
        "comment_before_start",
        "control_characters",
        "zero_width_characters",
        "contains_email",
        "contains_phone",
    ],
    "bids": [
        "duplicate_delivery",
        "orphan_reference",
        "missing_required_value",
        "price_not_positive",
        "bid_outside_window",
    ],
    "service_records": ["duplicate_delivery", "orphan_reference"],
    "ownerships": ["duplicate_delivery", "orphan_reference", "missing_optional_value"],
}
TABLE_NUMBER = {table: number for number, table in enumerate(TABLE_KINDS)}
MIN_PER_KIND = 3


@dataclass
class PendingDefect:
    record: int  # 0-based record of an in-memory table
    kind: str
    detail: str
    last_version_only: bool  # carried by the record's last version only (a listing's final price)


class TableDefects:
    """The defects written into one in-memory table, by record, until its rows are delivered."""

    def __init__(self) -> None:
        self.pending: list[PendingDefect] = []

    def add(self, record: int, kind: str, detail: str = "", last_version_only: bool = False) -> None:
        self.pending.append(PendingDefect(int(record), kind, detail, last_version_only))


@dataclass
class StreamedDefectPlan:
    """For a streamed table: the global row numbers (sorted) that carry a defect and the kind of each
    (an index into TABLE_KINDS[table]). Chunks take their slice with ``in_chunk``."""

    rows: np.ndarray
    kinds: np.ndarray

    def in_chunk(self, first_row: int, n_rows: int) -> tuple[np.ndarray, np.ndarray]:
        """(chunk-local rows, kinds) of the defects in global rows first_row .. first_row + n_rows - 1."""
        lo, hi = np.searchsorted(self.rows, first_row), np.searchsorted(self.rows, first_row + n_rows)
        return self.rows[lo:hi] - first_row, self.kinds[lo:hi]


class Ledger:
    """Collects the ground truth of ``_injected_defects``: (table, record_key, defect_kind, detail) rows, each
    with the load time of the row that carries it."""

    def __init__(self, cfg: GeneratorConfig):
        self.cfg = cfg
        self.rows: list[tuple[str, str, str, str, int]] = []

    def add(self, table: str, key: object, kind: str, detail: str, delivered_at: int) -> None:
        self.rows.append((table, str(key), kind, detail, int(delivered_at)))

    def rows_in(self, extract) -> list[tuple[str, str, str, str]]:
        """The entries whose rows ``extract`` (a delivery.Extract) writes, sorted."""
        return sorted(row[:4] for row in self.rows if extract.after < row[4] <= extract.until)

    def per_kind(self, table: str, n_rows: int) -> int:
        """How many rows of ``table`` get each of its defect kinds."""
        rate = self.cfg.dirty_rate
        if rate <= 0 or n_rows <= 0:
            return 0
        return max(MIN_PER_KIND, int(round(rate * n_rows / len(TABLE_KINDS[table]))))

    def rng(self, table: str, part: int = 0) -> np.random.Generator:
        return stream_rng(self.cfg.seed, STREAM_DEFECTS, TABLE_NUMBER[table], part)

    def plan_streamed(self, table: str, n_rows: int) -> StreamedDefectPlan:
        """Spread ``per_kind`` rows of each kind over a streamed table's ``n_rows`` rows, before any chunk
        is made, so a chunk knows its defects without seeing the others."""
        per_kind = self.per_kind(table, n_rows)
        kinds = TABLE_KINDS[table]
        if per_kind == 0:
            return StreamedDefectPlan(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        total = min(n_rows, per_kind * len(kinds))
        rng = self.rng(table, 1)
        rows = np.sort(rng.choice(n_rows, size=total, replace=False).astype(np.int64))
        kind = rng.permutation(np.repeat(np.arange(len(kinds)), per_kind))[:total]
        return StreamedDefectPlan(rows, kind)


def pick_rows(
    rng: np.random.Generator, candidates: np.ndarray, used: np.ndarray, k: int, settled: np.ndarray | None = None
) -> np.ndarray:
    """Up to k distinct rows (sorted) from candidates not yet used, marking them used: one defect a row.

    ``settled`` marks the rows the base extract holds in full (delivery.settled_by): if fewer than
    MIN_PER_KIND of the picks are settled, settled rows are added until that many are, so even a small base
    sample shows every kind (the world runs beyond the base extract, where some picks land).
    """
    available = candidates[~used[candidates]]
    if len(available) == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64)
    chosen = rng.choice(available, size=min(k, len(available)), replace=False)
    if settled is not None:
        short = min(MIN_PER_KIND, len(chosen)) - int(settled[chosen].sum())
        spare = available[settled[available] & ~np.isin(available, chosen)]
        if short > 0 and len(spare):
            chosen = np.concatenate([chosen, rng.choice(spare, size=min(short, len(spare)), replace=False)])
    chosen = np.sort(chosen)
    used[chosen] = True
    return chosen


def shift_to_eligible(rows: np.ndarray, eligible: np.ndarray, taken: np.ndarray) -> list[int]:
    """Move each row forward (else backward) to the nearest eligible, untaken row of the chunk, taking it;
    rows with none left are dropped. Deterministic, so planned defects land where they make sense."""
    out = []
    n = len(eligible)
    for row in rows.tolist():
        j = row
        while j < n and (not eligible[j] or taken[j]):
            j += 1
        if j >= n:
            j = row - 1
            while j >= 0 and (not eligible[j] or taken[j]):
                j -= 1
            if j < 0:
                continue
        taken[j] = True
        out.append(j)
    return out
