"""When rows reach the warehouse: daily load batches, versions, re-sends, late rows, and extracts.

Every row is a version of a record (a user, a listing, a comment ...) delivered at ``_loaded_at``: the first
daily load batch (06:00 UTC) at least an hour after the version's event, so a row arrives 1 to 25 hours after
it happened and never before. A row never arrives before the rows it references (a listing before its
vehicle, a comment before its listing): its load time is at least theirs. A few streamed rows arrive late
(1-5 days), and a re-send (the duplicate_delivery defect) repeats the then-current version a few batches
later, unchanged.

An ``Extract`` is what one run writes: the rows whose ``_loaded_at`` falls in (after, until]. A base run's
extract holds, for tables that are history by nature (vehicles, users, technicians), every version that
arrived by then, and for the others only each record's latest version (with its re-sends); an append
holds every version that arrives in its window. Ground truth and defect records go out with the rows they
describe (``first_arrival``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .common import DAY, OPEN
from .copytext import fmt_ts_list, py_table
from .defects import Ledger, TableDefects

BATCH_TIME_OF_DAY = 6 * 3600  # the daily load runs at 06:00 UTC
MIN_LAG = 3600  # a version is in the next batch that starts at least this long after it happened
LATE_SHARE = 0.005  # streamed rows (comments, bids, images) that arrive 1-5 days late
# how much later than its event a streamed row can arrive: a late row (5 days) re-sent (3), the batches
# between (2), and what a defect moves (a bid placed up to 2 days after the end)
STREAMED_LOAD_MARGIN = 14 * DAY
NEVER = np.iinfo(np.int64).max  # the load time of a row that is not delivered
HISTORY_TABLES = ("users", "technicians", "vehicles")


def batch_time(event) -> np.ndarray:
    """The load time of versions that happened at ``event``: the first 06:00 UTC at least an hour later."""
    shifted = np.asarray(event, dtype=np.int64) + MIN_LAG - BATCH_TIME_OF_DAY
    return -(-shifted // DAY) * DAY + BATCH_TIME_OF_DAY


def resend_times(rng: np.random.Generator, loaded: np.ndarray) -> np.ndarray:
    """Load times of re-sends of rows loaded at ``loaded``: one to three daily batches later."""
    return loaded + DAY * rng.integers(1, 4, len(loaded))


def late_load_times(rng: np.random.Generator, event: np.ndarray) -> np.ndarray:
    """Load times of streamed rows: the next batch, or for LATE_SHARE of them one 1-5 days after that."""
    late = rng.random(len(event)) < LATE_SHARE
    delay = np.where(late, DAY + (rng.random(len(event)) * 4 * DAY).astype(np.int64), 0)
    return batch_time(event + delay)


@dataclass(frozen=True)
class Extract:
    """The rows one run writes: loaded in (after, until]; for a base run only the latest version of each
    record of a table that is not history."""

    after: int
    until: int
    latest_only: bool

    @classmethod
    def base(cls, as_of: int) -> Extract:
        return cls(after=OPEN, until=as_of, latest_only=True)

    @classmethod
    def append(cls, last: int, days: int) -> Extract:
        return cls(after=last, until=last + days * DAY, latest_only=False)

    def holds(self, loaded: np.ndarray) -> np.ndarray:
        """Rows loaded in the window (before the latest-version rule)."""
        return (loaded > self.after) & (loaded <= self.until)

    def may_hold(self, earliest: int, latest: int) -> bool:
        """Whether rows loaded between ``earliest`` and ``latest`` can be in the window: a streamed chunk
        outside it is not generated at all (what makes an append fast)."""
        return latest > self.after and earliest <= self.until

    def keeps(self, table: str, record: np.ndarray, version: np.ndarray, loaded: np.ndarray) -> np.ndarray:
        """The rows of ``table`` this extract writes: in the window, and in a base run of a table that is not
        history only rows of each record's latest version that arrived (re-sends of it included)."""
        in_window = self.holds(loaded)
        if not self.latest_only or table in HISTORY_TABLES or len(record) == 0:
            return in_window
        arrived = loaded <= self.until
        latest = np.full(int(record.max()) + 1, -1, dtype=np.int64)
        np.maximum.at(latest, record[arrived], version[arrived])
        return in_window & (version == latest[record])

    def first_arrivals(self, group: np.ndarray, n_groups: int, loaded: np.ndarray, kept: np.ndarray) -> np.ndarray:
        """Per group (a record, or the rows carrying one defect), whether this extract is the one its first
        row arrives in: the earliest row of the group is in the window and some row of it is kept."""
        earliest = np.full(n_groups, NEVER, dtype=np.int64)
        np.minimum.at(earliest, group, loaded)
        some_kept = np.zeros(n_groups, dtype=bool)
        some_kept[group[kept]] = True
        return (earliest > self.after) & (earliest <= self.until) & some_kept


def settled_by(as_of: int, *loaded_by_version: np.ndarray) -> np.ndarray:
    """Records whose every version, and a re-send of the last one (up to three batches later), arrives by
    ``as_of``: the rows where a base extract surely shows a defect (defects.pick_rows)."""
    stacked = np.vstack(loaded_by_version)
    last = np.where(stacked == NEVER, np.iinfo(np.int64).min, stacked).max(axis=0)
    return last + 3 * DAY <= as_of


def two_version_load_times(
    first_event: np.ndarray, second_event: np.ndarray, has_second: np.ndarray, not_before: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Load times of records with a first version (a listing when it starts, an ownership when it begins)
    and maybe a second (when it ends), none before ``not_before`` (what they reference). A first version
    that would arrive no earlier than the second is never delivered (NEVER): a backfill sends the record
    as it is by then."""
    first = np.maximum(batch_time(first_event), not_before)
    second = np.where(has_second, np.maximum(batch_time(second_event), not_before), NEVER)
    first = np.where(has_second & (first >= second), NEVER, first)
    return first, second


@dataclass
class VersionRows:
    """A table's rows before re-sends: COPY text columns, one row per delivered version, grouped by record
    in version order; ``record`` and ``version`` number them (0-based), ``loaded`` is each row's load time."""

    columns: list[list]
    record: np.ndarray
    version: np.ndarray
    loaded: np.ndarray

    def take(self, rows: np.ndarray) -> VersionRows:
        rows = np.asarray(rows, dtype=np.int64)
        picked = rows.tolist()
        return VersionRows(
            [[column[i] for i in picked] for column in self.columns],
            self.record[rows],
            self.version[rows],
            self.loaded[rows],
        )

    def extend(self, other: VersionRows) -> None:
        for column, more in zip(self.columns, other.columns, strict=True):
            column.extend(more)
        self.record = np.concatenate([self.record, other.record])
        self.version = np.concatenate([self.version, other.version])
        self.loaded = np.concatenate([self.loaded, other.loaded])


def version_index(loaded_by_version: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(record, version, loaded) of the delivered versions of records 0 .. n - 1, whose k-th version loads
    at ``loaded_by_version[k]`` (NEVER: not delivered), grouped by record in version order."""
    n = len(loaded_by_version[0])
    record = np.tile(np.arange(n, dtype=np.int64), len(loaded_by_version))
    version = np.repeat(np.arange(len(loaded_by_version), dtype=np.int64), n)
    loaded = np.concatenate(loaded_by_version).astype(np.int64)
    delivered = loaded != NEVER
    record, version, loaded = record[delivered], version[delivered], loaded[delivered]
    order = np.lexsort((version, record))
    return record[order], version[order], loaded[order]


def pick(column: list, rows: np.ndarray) -> list:
    """``column`` (a per-record list) repeated for each row's record."""
    return [column[i] for i in rows.tolist()]


def deliver_rows(
    table: str,
    rows: VersionRows,
    keys: np.ndarray,
    defects: TableDefects,
    resent: np.ndarray,
    rng: np.random.Generator,
    ledger: Ledger,
    extract: Extract,
) -> tuple[bytes, VersionRows, np.ndarray]:
    """COPY text (with ``_loaded_at``) of the rows of an in-memory table that ``extract`` writes.

    ``rows`` gains a re-send of the last version of each record in ``resent``; each defect goes to
    the ledger with the first row carrying it (every version of its record, or the last one), each re-send as
    a duplicate_delivery. Returns the COPY text, every row (re-sends included) and which rows were written.
    """
    n_versions = len(rows.record)
    every = rows  # extended in place: the caller hands its rows over
    every.extend(_resend_rows(rows, resent, rng))
    kept = extract.keeps(table, every.record, every.version, every.loaded)
    _record_defects(table, every, kept, keys, defects, ledger, extract)
    for j in np.nonzero(kept[n_versions:])[0].tolist():
        row = n_versions + j
        ledger.add(table, keys[every.record[row]], "duplicate_delivery", "re-sent with a later _loaded_at",
                   every.loaded[row])  # fmt: skip
    if kept.all():
        return py_table(every.columns + [fmt_ts_list(every.loaded)]), every, kept
    written = every.take(np.nonzero(kept)[0])
    return py_table(written.columns + [fmt_ts_list(written.loaded)]), every, kept


def _resend_rows(rows: VersionRows, resent: np.ndarray, rng: np.random.Generator) -> VersionRows:
    """Exact re-sends: for each record in ``resent`` (that has rows), a copy of its last version one to three
    batches after that version arrived, loaded then."""
    resent = np.asarray(resent, dtype=np.int64)
    last = np.searchsorted(rows.record, resent, side="right") - 1
    has_rows = (last >= 0) & (rows.record[np.maximum(last, 0)] == resent)
    last = last[has_rows]
    copies = rows.take(last)
    copies.loaded = resend_times(rng, rows.loaded[last])
    return copies


def _record_defects(
    table: str,
    rows: VersionRows,
    kept: np.ndarray,
    keys: np.ndarray,
    defects: TableDefects,
    ledger: Ledger,
    extract: Extract,
) -> None:
    """Ledger entries for the noted defects this extract first writes a carrier of."""
    if not defects.pending:
        return
    n_records = int(rows.record.max()) + 1 if len(rows.record) else 0
    last_version = np.full(n_records, -1, dtype=np.int64)
    np.maximum.at(last_version, rows.record, rows.version)
    on_last = rows.version == last_version[rows.record]
    every_version = extract.first_arrivals(rows.record, n_records, rows.loaded, kept)
    last_only = extract.first_arrivals(rows.record[on_last], n_records, rows.loaded[on_last], kept[on_last])
    first_loaded = np.full(n_records, NEVER, dtype=np.int64)
    np.minimum.at(first_loaded, rows.record, rows.loaded)
    last_loaded = np.full(n_records, NEVER, dtype=np.int64)
    np.minimum.at(last_loaded, rows.record[on_last], rows.loaded[on_last])
    for defect in defects.pending:
        written = (last_only if defect.last_version_only else every_version)[defect.record]
        if written:
            at = (last_loaded if defect.last_version_only else first_loaded)[defect.record]
            ledger.add(table, keys[defect.record], defect.kind, defect.detail, at)


class DeliveredRows(NamedTuple):
    """An in-memory table's rows (re-sends included) and which of them an extract wrote: what the ground
    truth tables go out with."""

    rows: VersionRows
    kept: np.ndarray
