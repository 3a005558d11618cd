"""The streams of one export: a COPY per stream read row by row into per-split batches, a writer thread per
stream that turns the batches into shard files, published atomically with their sha256.

Reading from the database and writing the files overlap (the writer thread); with --streams N each stream has its
own connection in the one exported snapshot, and the pending shards are shared out by rows.
"""

from __future__ import annotations

import itertools
import json
import queue
import select
import sys
import threading
import time
from pathlib import Path

import psycopg
from psycopg import pq

from .errors import ExportError
from .plan import Range, Shard, copy_query
from .writers import open_writer, publish, write_text_atomically

STATE_DIR = ".export-state"
DATA_DIR = "data"
BINARY_COPY_HEADER = b"PGCOPY\n\xff\r\n\x00"  # 11 bytes of signature, then 4 of flags and 4 of header extension


class VersionSampler:
    """The package's version fields (`package_version`, `rule_versions.*`) from the first package of every batch.

    Reading them from every row would cost a full jsonb scan (10 s at scale 0.1); they are build-wide constants,
    and any second value seen is reported as a list."""

    def __init__(self, fields: dict):
        self.paths = [p for p in fields if p == "package_version" or p.startswith("rule_versions.")]
        self.values: dict[str, set] = {p: set() for p in self.paths}

    def sample(self, data: bytes, table=None) -> None:
        """From the first JSON line of a JSONL batch, or the first row of a parsed Parquet batch."""
        if not self.paths:
            return
        if table is not None:
            package = table.slice(0, 1).to_pylist()[0]
        else:
            package = json.loads(data[: data.find(b"\n")])
        for path in self.paths:
            value = package
            for part in path.split("."):
                value = value.get(part) if isinstance(value, dict) else None
            if value is not None:
                self.values[path].add(value)

    @staticmethod
    def merge(samplers: list[VersionSampler]) -> dict:
        merged: dict[str, set] = {}
        for sampler in samplers:
            for path, values in sampler.values.items():
                merged.setdefault(path, set()).update(values)
        return {p: (sorted(v)[0] if len(v) == 1 else sorted(v)) for p, v in merged.items() if v}


class Progress:
    def __init__(self, total: int, enabled: bool | None, done: int = 0):
        self.total, self.done, self.lock = total, done, threading.Lock()
        self.enabled = enabled is not False
        self.bar = None
        self.started = time.monotonic()
        self.last_line = self.started
        if self.enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(
                total=total or None,  # None until the plan has counted the rows: no percentage, no ETA
                initial=done,
                unit=" rows",
                unit_scale=True,
                dynamic_ncols=True,
                desc="export",
                file=sys.stderr,
            )

    def set_total(self, total: int) -> None:
        with self.lock:
            self.total = total
            if self.bar is not None:
                self.bar.total = total
                self.bar.refresh()

    def add(self, rows: int) -> None:
        with self.lock:
            self.done += rows
            if self.bar is not None:
                self.bar.update(rows)
            elif self.enabled and time.monotonic() - self.last_line >= 10:
                self.last_line = time.monotonic()
                self._line()

    def _line(self) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        if not self.total:  # a stream that starts before its plan: the total is still being counted
            line = f"export: {self.done:,} rows, {rate:,.0f} rows/s (counting the rows to go)"
        else:
            eta = max(self.total - self.done, 0) / rate if rate else float("inf")
            pct = min(100 * self.done / self.total, 100)
            line = f"export: {self.done:,}/{self.total:,} rows ({pct:.0f}%), {rate:,.0f} rows/s, ETA {eta:.0f}s"
        print(line, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.enabled and self.done:
            self._line()


# ----------------------------------------------------------------------------------------------- streams


_DONE = object()


def _start_copy_out(conn: psycopg.Connection, query, params) -> pq.abc.PGconn:
    """Send `COPY ... TO STDOUT` and wait until the server starts it.

    The rows are then read with libpq's own calls (psycopg's pq layer): psycopg's Copy.read() costs about 0.7 us
    more per row, 1.2 s of CPU for 1.8M rows, on a machine where the client's CPU competes with the server's."""
    pgconn = conn.pgconn
    pgconn.send_query(psycopg.ClientCursor(conn).mogrify(query, params).encode(conn.info.encoding))
    while pgconn.flush():
        select.select([], [pgconn.socket], [])
    result = _next_result(pgconn)
    if result is None or result.status != pq.ExecStatus.COPY_OUT:
        raise _query_error(result, pgconn)
    return pgconn


def _skip_binary_header(data: memoryview) -> memoryview:
    if bytes(data[:11]) != BINARY_COPY_HEADER:
        raise ExportError("the binary COPY did not start with PostgreSQL's COPY signature")
    return data[19 + int.from_bytes(data[15:19], "big") :]


def _finish_copy_out(pgconn: pq.abc.PGconn) -> None:
    result = _next_result(pgconn)
    if result is None or result.status != pq.ExecStatus.COMMAND_OK:
        raise _query_error(result, pgconn)
    while _next_result(pgconn) is not None:
        pass


def _next_result(pgconn: pq.abc.PGconn):
    while pgconn.is_busy():
        select.select([pgconn.socket], [], [])
        pgconn.consume_input()
    return pgconn.get_result()


def _query_error(result, pgconn) -> Exception:
    message = result.error_message if result is not None else pgconn.error_message
    text = message.decode(errors="replace").strip()
    if "populate_composite" in text:  # jsonb_to_record in plan.Selection.leaf_select (Parquet)
        text = f"a package is not a JSON object, so it has no fields to write to Parquet ({text})"
    return ExportError(f"the COPY failed: {text}")


class _TooMany:
    """The batch of a split whose rows are all read: one more row stops the export."""

    def __init__(self, mart: str):
        self.mart = mart

    def __iadd__(self, other):
        raise ExportError(f"{self.mart}: the COPY returned more rows than the plan counted")


class _Route:
    """Where one stream sends the rows of one split: its steps in read order, each a shard (rows go into batches of
    batch_rows from the shard's start) or None (rows that belong to another stream's shard, dropped)."""

    __slots__ = ("buf", "count", "shard", "left", "batch", "steps", "batch_rows", "put", "too_many")

    def __init__(self, steps, batch_rows: int, put, mart: str = ""):
        self.steps = iter(steps)
        self.batch_rows, self.put, self.too_many = batch_rows, put, _TooMany(mart)
        self.shard, self.left, self.batch, self.count = None, 0, 0, 0
        self.buf: bytearray | _TooMany = bytearray()
        self.turn()

    def turn(self) -> None:
        """The current batch is full, its shard complete, or the rows to skip skipped: on to the next."""
        if self.shard is not None:
            self.left -= self.batch
            self.put((self.shard, self.buf, self.batch, not self.left))
            if self.left:
                self.buf = bytearray()
                self.batch = self.count = min(self.left, self.batch_rows)
                return
        self.buf = bytearray()
        step = next(self.steps, None)
        if step is None:
            self.shard, self.count, self.buf = None, -1, self.too_many
            return
        self.shard, rows = step
        if self.shard is None:
            self.count = rows
        else:
            self.left = rows
            self.batch = self.count = min(rows, self.batch_rows)

    def rows_left(self) -> int:
        return (
            (self.count if self.count > 0 else 0)
            + (self.left - self.batch if self.shard else 0)
            + sum(rows for _, rows in self.steps)
        )

    def finish(self) -> None:
        """The COPY ended (a stream read without a plan): the split's last shard ends with the rows it got."""
        got = self.batch - self.count
        if self.shard is not None and (got or self.left < self.shard.rows):
            self.put((self.shard, self.buf, got, True))


class StreamWorker:
    """One COPY over some position ranges; a second thread parses/compresses and writes the shards, so reading from
    the database and writing the files overlap.

    `steps` gives per split rank what to do with the rows read (see Plan.ranges). A stream read before the plan is
    known (`resolve` given) has open-ended steps, shard after shard of shard_rows; `resolve(shard, rows)` then
    waits for the plan and returns the plan's shard (its file name) once a shard is complete."""

    def __init__(self, prep, out: Path, conn, ranges: list, steps: dict, progress: Progress, abort, resolve=None):
        self.prep, self.out, self.conn, self.ranges, self.steps = prep, out, conn, ranges, steps
        self.progress, self.abort = progress, abort
        self.resolve = resolve or _checked
        self.planned = resolve is None
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.versions = VersionSampler(prep.fields)

    def run(self) -> None:
        writer_thread = threading.Thread(target=self._write_loop, daemon=True)
        writer_thread.start()
        try:
            self._read_loop()
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            self.error = self.error or exc
            self.abort.set()
        finally:
            self.queue.put(_DONE)
            writer_thread.join()

    def _read_loop(self) -> None:
        """Route each COPY row to the current shard of its split (or past it: rows of a neighbouring shard that
        share the first or last bucket), by the row counts of the plan.

        This loop runs once per row (1.8M times at scale 0.1), so it only appends the row's bytes to its split's
        batch and counts down; everything else happens in _Route.turn, once per batch."""
        query, params = copy_query(self.prep.selection, self.ranges)
        jsonl = self.prep.selection.leaf_fields is None
        # JSONL rows are binary: int16 field count, int32 length, int16 rank, int32 length, the package text.
        # Parquet rows are CSV lines: "<rank digit>,<leaf>,...\n".
        # (a binary COPY ends with a 2-byte trailer, int16 -1; its first row follows a 19-byte header)
        rank_at, rank_base, payload_at, trailer = (7, 0, 12, 2) if jsonl else (0, 48, 2, 0)
        batch_rows, mart = self.prep.options.batch_rows, self.prep.mart.name
        routes = [_Route(self.steps.get(rank, []), batch_rows, self._put, mart) for rank in range(10)]
        pgconn = _start_copy_out(self.conn, query, params)
        get, consume, fd = pgconn.get_copy_data, pgconn.consume_input, pgconn.socket
        header = jsonl
        while True:
            size, data = get(1)  # a row already received, else 0 (wait for more) or -1 (the end)
            if size > trailer:
                if header:
                    data, header = _skip_binary_header(data), False
                    if len(data) <= trailer:
                        continue
                route = routes[data[rank_at] - rank_base]
                route.buf += data[payload_at:]
                if jsonl:
                    route.buf += b"\n"
                route.count -= 1
                if not route.count:
                    route.turn()
            elif size == 0:
                select.select([fd], [], [])
                consume()
            elif size < 0:
                break
        _finish_copy_out(pgconn)
        if not self.planned:
            for route in routes:
                route.finish()
            return
        left = sum(route.rows_left() for route in routes)
        if left:
            raise ExportError(f"{self.prep.mart.name}: the COPY returned {left} rows fewer than the plan counted")

    def _put(self, item) -> None:
        while True:
            if self.abort.is_set():
                raise ExportError("aborted")
            try:
                self.queue.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def _write_loop(self) -> None:
        writers: dict[tuple, object] = {}  # (rank, shard index) -> open writer (at most one per split)
        opts = self.prep.options
        try:
            while (item := self.queue.get()) is not _DONE:
                if self.abort.is_set():
                    continue
                shard, data, rows, last = item
                key = (shard.rank, shard.index)
                writer = writers.get(key)
                if writer is None:
                    writer = open_writer(
                        self.temp(shard),
                        opts.format,
                        opts.compression,
                        self.prep.arrow,
                        self.prep.fields,
                        opts.row_group_rows,
                    )
                    writers[key] = writer
                if rows:
                    table = writer.write_batch(data, rows)
                    self.versions.sample(data, table)
                    self.progress.add(rows)
                if last:
                    del writers[key]
                    final = self.resolve(shard, writer.rows)
                    final.sha256, final.bytes = writer.close(), writer.raw.size
                    publish(self.temp(shard), self.out / DATA_DIR / final.name)
                    write_text_atomically(
                        self.out / STATE_DIR / f"{final.name}.done",
                        json.dumps({"sha256": final.sha256, "bytes": final.bytes}),
                    )
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            self.error = self.error or exc
            self.abort.set()
            for writer in writers.values():
                writer.abort()
            while self.queue.get() is not _DONE:
                pass

    def temp(self, shard) -> Path:
        return self.out / DATA_DIR / f".{shard.split}-{shard.index:05d}.partial"


def _checked(shard, rows: int):
    if rows != shard.rows:
        raise ExportError(f"{shard.name}: wrote {rows} rows, the plan counted {shard.rows}")
    return shard


def partition(shards: list, streams: int) -> list[list]:
    """Pending shards into at most `streams` groups of about equal rows: largest first, each to the lightest group.

    A group need not be contiguous (a stream reads each of its splits' ranges), so a small split's single shard
    can balance a big split's shards: 0.93M/0.87M rows instead of 1.0M/0.8M for the listing mart at scale 0.1."""
    groups: list[list] = [[] for _ in range(min(streams, len(shards)))]
    loads = [0] * len(groups)
    for shard in sorted(shards, key=lambda s: (-s.rows, s.rank, s.index)):
        lightest = loads.index(min(loads))
        groups[lightest].append(shard)
        loads[lightest] += shard.rows
    return [sorted(group, key=lambda s: (s.rank, s.index)) for group in groups if group]


def stream_shards(prep, plan, out: Path, pending: list, conn, open_connection) -> dict:
    """Write the pending shards with up to --streams COPY streams, each on its own connection in the one snapshot
    (the first stream reuses `conn`, the others come from `open_connection()`). Returns the version fields sampled
    from the packages."""
    opts = prep.options
    progress = Progress(
        sum(plan.counts.values()), opts.progress, done=sum(s.rows for s in plan.shards if s not in pending)
    )
    abort = threading.Event()
    workers, conns = [], []
    try:
        for index, group in enumerate(partition(pending, opts.streams) if pending else []):
            if index == 0:
                worker_conn = conn
            else:
                worker_conn = open_connection()
                conns.append(worker_conn)
            ranges, steps = plan.ranges(group)
            workers.append(StreamWorker(prep, out, worker_conn, ranges, steps, progress, abort))
        _run_workers(workers)
    finally:
        progress.close()
        for extra in conns:
            extra.close()
    return VersionSampler.merge([w.versions for w in workers])


def stream_before_plan(prep, out: Path, conn, resolve, progress: Progress) -> dict:
    """One stream over every selected row, from the start of the relation, while the plan is still being made:
    shard after shard of shard_rows rows per split, each named and published through `resolve` when complete."""
    shard_rows = prep.options.shard_rows
    ranks = range(1, len(prep.selection.splits) + 1)
    ranges = [Range(rank=rank, first=0, end=0, lo="(0,0)", hi=None) for rank in ranks]

    def shards(rank: int):
        split = prep.selection.splits[rank - 1]
        for index in itertools.count():
            yield (
                Shard(name="", split=split, rank=rank, index=index, rows=shard_rows, first=index * shard_rows),
                shard_rows,
            )

    worker = StreamWorker(
        prep, out, conn, ranges, {rank: shards(rank) for rank in ranks}, progress, threading.Event(), resolve
    )
    try:
        _run_workers([worker])
    finally:
        progress.close()
    return VersionSampler.merge([worker.versions])


def _run_workers(workers: list[StreamWorker]) -> None:
    """The first worker runs in this thread, the others in their own; the first real error is raised."""
    threads = [threading.Thread(target=w.run, daemon=True) for w in workers[1:]]
    for thread in threads:
        thread.start()
    if workers:
        workers[0].run()
    for thread in threads:
        thread.join()
    errors = [w.error for w in workers if w.error is not None]
    if errors:
        real = [e for e in errors if not (isinstance(e, ExportError) and str(e) == "aborted")]
        raise (real or errors)[0]
