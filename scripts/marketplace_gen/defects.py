"""Defect planning: which rows of which table get which injected defect (the ground truth)."""

from __future__ import annotations

import numpy as np

from .world import DAY, S_DEFECT, rng_for

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
TABLE_NO = {t: i for i, t in enumerate(TABLE_KINDS)}
MIN_PER_KIND = 3


class Ledger:
    """Collects ground-truth rows (table, record_key, defect_kind, detail)."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, table: str, key, kind: str, detail: str = "") -> None:
        self.rows.append((table, str(key), kind, detail))

    def per_kind(self, table: str, n_rows: int) -> int:
        rate = self.cfg.dirty_rate
        if rate <= 0 or n_rows <= 0:
            return 0
        return max(MIN_PER_KIND, int(round(rate * n_rows / len(TABLE_KINDS[table]))))

    def rng(self, table: str, part: int = 0) -> np.random.Generator:
        return rng_for(self.cfg.seed, S_DEFECT, TABLE_NO[table], part)

    def dup_loaded(self, rng: np.random.Generator, k: int) -> np.ndarray:
        """_loaded_at of re-deliveries: 1 hour .. 3 days after the first delivery."""
        return self.cfg.as_of + 3600 + (rng.random(k) * 3 * DAY).astype(np.int64)

    def plan_global(self, table: str, n_rows: int):
        """Sorted global row indices and their kinds for a streamed table."""
        k = self.per_kind(table, n_rows)
        kinds = TABLE_KINDS[table]
        if k == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        total = min(n_rows, k * len(kinds))
        rng = self.rng(table, 1)
        idx = np.sort(rng.choice(n_rows, size=total, replace=False).astype(np.int64))
        kind = rng.permutation(np.repeat(np.arange(len(kinds)), k))[:total]
        return idx, kind


def pick_rows(rng: np.random.Generator, candidates: np.ndarray, used: np.ndarray, k: int) -> np.ndarray:
    """Up to k distinct rows from candidates not yet used (marks them used)."""
    cand = candidates[~used[candidates]]
    if len(cand) == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64)
    sel = np.sort(rng.choice(cand, size=min(k, len(cand)), replace=False))
    used[sel] = True
    return sel


def shift_to_eligible(rows: np.ndarray, eligible: np.ndarray, taken: np.ndarray) -> list[int]:
    """Move each row forward to the next eligible, untaken row of the chunk (deterministic)."""
    out = []
    for r in rows.tolist():
        j = r
        n = len(eligible)
        while j < n and (not eligible[j] or taken[j]):
            j += 1
        if j >= n:
            j = r - 1
            while j >= 0 and (not eligible[j] or taken[j]):
                j -= 1
            if j < 0:
                continue
        taken[j] = True
        out.append(j)
    return out
