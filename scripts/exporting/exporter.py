"""One export: checks, the snapshot, the plan, the streams, resume, reconciliation, then the metadata."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import queue
import shutil
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg

from . import metadata
from .errors import ExportError, UsageError
from .fields import arrow_schema, dropped_prefixes, json_text_paths, validate_fields
from .marts import dbt_run_info, find_mart, load_manifest
from .plan import Selection, copy_query, planning_query, versions_query
from .tasks import load_tasks, select_fields
from .where import parse_where, where_sql
from .writers import open_writer, publish, sha256_file, shard_name, temp_path, write_text_atomically

ROOT = Path(__file__).resolve().parents[2]
STATE_DIR = ".export-state"
DATA_DIR = "data"
DEFAULT_SHARD_ROWS = 500_000
DEFAULT_BATCH_ROWS = 4_096
FORMATS = ("parquet", "jsonl")
COMPRESSIONS = ("zstd", "gzip", "none")


@dataclass
class ExportOptions:
    mart: str
    out: Path
    format: str = "parquet"
    compression: str | None = None  # default: zstd inside Parquet, none for JSONL
    splits: list[str] | None = None
    shard_rows: int = DEFAULT_SHARD_ROWS
    batch_rows: int = DEFAULT_BATCH_ROWS
    where: str | None = None
    limit: int | None = None
    task: str | None = None
    tasks_file: Path = ROOT / "export_tasks.yml"
    holdout_after: str | None = None
    resume: bool = False
    overwrite: bool = False
    manifest: Path = ROOT / "target" / "manifest.json"
    schema: str | None = None
    streams: int = 1
    order: str = "table"  # table (physical order, no sort) or key (sorted by the mart's key)
    dsn: str | None = None
    progress: bool | None = None  # None: a tqdm bar on a terminal, plain lines otherwise; False: silent

    def signature(self, schema: str) -> dict:
        """Everything that shapes the exported bytes: a resumed run must match it exactly."""
        return {
            "mart": self.mart,
            "schema": schema,
            "format": self.format,
            "compression": self.compression,
            "splits": self.splits,
            "shard_rows": self.shard_rows,
            "batch_rows": self.batch_rows,
            "where": self.where,
            "limit": self.limit,
            "task": self.task,
            "holdout_after": self.holdout_after,
            "order": self.order,
        }


@dataclass
class Shard:
    name: str
    split: str
    rank: int
    index: int
    rows: int
    lo: str
    hi: str | None
    sha256: str | None = None
    bytes: int | None = None


@dataclass
class Prepared:
    options: ExportOptions
    mart: object
    selection: Selection
    task: object
    schema_name: str
    arrow: object
    dbt: object
    fields: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------------------------- checks


def _check_options(opts: ExportOptions) -> None:
    if opts.format not in FORMATS:
        raise UsageError(f"unknown --format {opts.format!r} (one of: {', '.join(FORMATS)})")
    if opts.compression is None:
        opts.compression = "zstd" if opts.format == "parquet" else "none"
    if opts.compression not in COMPRESSIONS:
        raise UsageError(f"unknown --compression {opts.compression!r} (one of: {', '.join(COMPRESSIONS)})")
    if opts.shard_rows < 1:
        raise UsageError("--shard-rows must be at least 1")
    if opts.batch_rows < 1:
        raise UsageError("--batch-rows must be at least 1")
    if opts.limit is not None and opts.limit < 1:
        raise UsageError("--limit must be at least 1")
    if opts.streams < 1 or opts.streams > 16:
        raise UsageError("--streams must be between 1 and 16")
    if opts.order not in ("table", "key"):
        raise UsageError(f"unknown --order {opts.order!r} (table or key)")
    if opts.resume and opts.overwrite:
        raise UsageError("--resume and --overwrite exclude each other")
    if opts.holdout_after is not None:
        try:
            parsed = dt.datetime.fromisoformat(opts.holdout_after)
        except ValueError as exc:
            raise UsageError(f"bad --holdout-after {opts.holdout_after!r}: expected a date like 2025-06-30") from exc
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        opts.holdout_after = parsed.isoformat()


def prepare(opts: ExportOptions) -> Prepared:
    """Everything that needs no database: the mart's spec, the --where, the task, the Arrow schema."""
    _check_options(opts)
    manifest = load_manifest(Path(opts.manifest))
    mart = find_mart(manifest, opts.mart)
    validate_fields(mart.name, mart.fields, list(mart.timings))
    splits = list(mart.splits)
    if opts.splits:
        unknown = [s for s in opts.splits if s not in mart.splits]
        if unknown:
            raise UsageError(f"unknown split {', '.join(unknown)} (splits of {mart.name}: {', '.join(mart.splits)})")
        splits = [s for s in mart.splits if s in opts.splits]
    if len(splits) > 9:
        raise UsageError(f"{mart.name} declares {len(splits)} splits; the exporter handles at most 9")
    comparisons = parse_where(opts.where, mart.columns) if opts.where else []
    where, where_params = where_sql(comparisons, mart.columns)
    if opts.holdout_after and not (mart.time_column and mart.split_group):
        raise UsageError(f"--holdout-after needs the mart's meta time_column and split_group; {mart.name} lacks them")
    task = None
    kept_fields = dict(mart.fields)
    drop_paths: list[list[str]] = []
    if opts.task:
        task = select_fields(
            load_tasks(Path(opts.tasks_file)), opts.task, mart.name, mart.fields, list(mart.timings)
        )
        kept_fields = {p: s for p, s in mart.fields.items() if p in task.kept}
        drop_paths = dropped_prefixes(mart.fields, task.kept)
    schema_name = opts.schema or mart.schema
    selection = Selection(
        mart=mart,
        schema=schema_name,
        splits=splits,
        where=where,
        where_params=where_params,
        holdout_after=opts.holdout_after,
        drop_paths=drop_paths,
        limit=opts.limit,
        order=opts.order,
        json_text_paths=json_text_paths(kept_fields) if opts.format == "parquet" else [],
    )
    return Prepared(
        options=opts,
        mart=mart,
        selection=selection,
        task=task,
        schema_name=schema_name,
        arrow=arrow_schema(kept_fields),
        dbt=dbt_run_info(Path(opts.manifest), manifest, mart),
        fields=kept_fields,
    )


def _looks_like_export(path: Path) -> bool:
    return any((path / name).exists() for name in ("manifest.json", STATE_DIR, DATA_DIR))


def prepare_output(opts: ExportOptions) -> str:
    """Check and create the output directory before touching the database. Returns 'new', 'resume' or 'done'."""
    out = Path(opts.out)
    for parent in [out, *out.parents]:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"cannot write to {out}: {parent} is not a directory")
            break
    mode = "new"
    if out.exists() and any(out.iterdir()):
        if opts.resume:
            if (out / "manifest.json").exists() and not (out / STATE_DIR).exists():
                return "done"
            if not (out / STATE_DIR / "plan.json").exists():
                raise UsageError(f"{out} holds no interrupted export to resume (no {STATE_DIR}/plan.json)")
            mode = "resume"
        elif opts.overwrite:
            if not _looks_like_export(out):
                raise UsageError(f"{out} is not empty and does not look like an export: refusing to overwrite it")
            try:
                for child in out.iterdir():
                    shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
            except OSError as exc:
                raise UsageError(f"cannot clear {out}: {exc.strerror or exc}") from exc
        else:
            raise UsageError(f"output directory {out} exists and is not empty: pass --overwrite or --resume")
    try:
        (out / STATE_DIR).mkdir(parents=True, exist_ok=True)
        (out / DATA_DIR).mkdir(exist_ok=True)
        probe = out / STATE_DIR / "write-probe"
        with open(probe, "wb") as handle:
            handle.write(b"\0" * 4096)
            handle.flush()
            os.fsync(handle.fileno())
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"cannot write to output directory {out}: {exc.strerror or exc}") from exc
    return mode


# ----------------------------------------------------------------------------------------------- database


def connect(dsn: str | None, **kwargs) -> psycopg.Connection:
    try:
        return psycopg.connect(dsn or "", connect_timeout=int(os.environ.get("PGCONNECT_TIMEOUT", "5")), **kwargs)
    except psycopg.OperationalError as exc:
        where = dsn or "host={} port={} dbname={}".format(
            os.environ.get("PGHOST", "(default)"), os.environ.get("PGPORT", "5432"), os.environ.get("PGDATABASE", "")
        )
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"cannot connect to the database ({where}): {reason}") from exc


def _begin_snapshot(conn: psycopg.Connection, snapshot_id: str | None = None) -> None:
    conn.execute("begin isolation level repeatable read read only")
    if snapshot_id:
        conn.execute(psycopg.sql.SQL("set transaction snapshot {}").format(psycopg.sql.Literal(snapshot_id)))
    # a plain serial plan returns rows in a stable order and keeps the COPY on one backend
    conn.execute("set local max_parallel_workers_per_gather = 0")
    conn.execute("set local synchronize_seqscans = off")


def plan_shards(conn, prep: Prepared) -> tuple[list[Shard], dict]:
    opts, selection = prep.options, prep.selection
    query, params = planning_query(selection, opts.shard_rows)
    conn.execute("set local work_mem = '256MB'")
    rows = conn.execute(query, params).fetchall()
    per_split: dict[int, dict] = {}
    for rank, rn, key, n, key_hash, xmin_sum in rows:
        info = per_split.setdefault(rank, {"n": n, "key_hash": str(key_hash), "xmin_sum": str(xmin_sum), "starts": {}})
        info["starts"][rn] = key
    conn.execute("reset work_mem")
    shards: list[Shard] = []
    counts: dict[str, int] = {}
    fingerprint_splits = {}
    for rank, split in enumerate(selection.splits, start=1):
        info = per_split.get(rank)
        if not info:
            counts[split] = 0
            fingerprint_splits[split] = {"rows": 0}
            continue
        total = info["n"]
        fingerprint_splits[split] = {"rows": total, "key_hash": info["key_hash"], "xmin_sum": info["xmin_sum"]}
        count = min(total, opts.limit) if opts.limit else total
        counts[split] = count
        nshards = max(1, math.ceil(count / opts.shard_rows))
        for index in range(nshards):
            first = index * opts.shard_rows + 1
            after = first + opts.shard_rows
            hi = info["starts"].get(after) if after <= count else info["starts"].get(count + 1)
            shards.append(
                Shard(
                    name=shard_name(split, index, nshards, opts.format, opts.compression),
                    split=split,
                    rank=rank,
                    index=index,
                    rows=min(opts.shard_rows, count - index * opts.shard_rows),
                    lo=info["starts"][first],
                    hi=hi,
                )
            )
    ident = conn.execute(
        "select c.oid::bigint, c.relfilenode::bigint from pg_class c where c.oid = to_regclass(%s)",
        [f'"{selection.schema}"."{selection.mart.identifier}"'],
    ).fetchone()
    fingerprint = {"relation_oid": ident[0], "relfilenode": ident[1], "splits": fingerprint_splits}
    return shards, {"counts": counts, "fingerprint": fingerprint}


class VersionSampler:
    """The package's version fields (`package_version`, `rule_versions.*`) from the first package of every batch.

    Reading them from every row would cost a full jsonb scan (10 s at scale 0.1); they are build-wide constants,
    and any second value seen is reported as a list."""

    def __init__(self, fields: dict):
        self.paths = [p for p in fields if p == "package_version" or p.startswith("rule_versions.")]
        self.values: dict[str, set] = {p: set() for p in self.paths}

    def sample(self, data: bytes) -> None:
        if not self.paths:
            return
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


def read_versions(conn, selection: Selection) -> dict:
    built = versions_query(selection)
    if not built:
        return {}
    query, paths = built
    values: dict[str, set] = {p: set() for p in paths}
    for row in conn.execute(query):
        for path, value in zip(paths, row, strict=True):
            values[path].add(value)
    out: dict = {}
    for path, found in values.items():
        found = sorted(v for v in found if v is not None)
        out[path] = found[0] if len(found) == 1 else found
    return out


# ----------------------------------------------------------------------------------------------- progress


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
                total=total,
                initial=done,
                unit=" rows",
                unit_scale=True,
                dynamic_ncols=True,
                desc="export",
                file=sys.stderr,
            )

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
        eta = (self.total - self.done) / rate if rate else float("inf")
        pct = 100 * self.done / self.total if self.total else 100
        print(
            f"export: {self.done:,}/{self.total:,} rows ({pct:.0f}%), {rate:,.0f} rows/s, ETA {eta:.0f}s",
            file=sys.stderr,
            flush=True,
        )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.enabled:
            self._line()


# ----------------------------------------------------------------------------------------------- streams


_DONE = object()


class StreamWorker:
    """One COPY over a contiguous run of shards; a second thread parses/compresses and writes the shards."""

    def __init__(
        self, prep: Prepared, out: Path, shards: list[Shard], conn, progress: Progress, abort: threading.Event
    ):
        self.prep, self.out, self.shards, self.conn = prep, out, shards, conn
        self.progress, self.abort = progress, abort
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.error: BaseException | None = None
        self.versions = VersionSampler(prep.fields)

    def segments(self) -> list[tuple[int, str, str | None]]:
        segs: list[list] = []
        for shard in self.shards:
            if segs and segs[-1][0] == shard.rank and segs[-1][2] == shard.lo:
                segs[-1][2] = shard.hi
            else:
                segs.append([shard.rank, shard.lo, shard.hi])
        return [tuple(s) for s in segs]

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
        """Route each COPY line `<rank>\x02<package>` to the current shard of its split, cut by row counts."""
        batch_rows = self.prep.options.batch_rows
        query, params = copy_query(self.prep.selection, self.segments())
        per_rank: dict[int, list[Shard]] = {}
        for shard in self.shards:
            per_rank.setdefault(shard.rank, []).append(shard)
        # per rank: [remaining shards (reversed), current shard, rows left in it, batch]
        state: dict[int, list] = {}
        for rank, shards in per_rank.items():
            pending = list(reversed(shards))
            first = pending.pop()
            state[rank] = [pending, first, first.rows, []]
        with self.conn.cursor() as cur, cur.copy(query, params) as copy:
            while data := copy.read():
                entry = state.get(data[0] - 48)
                if entry is None or entry[1] is None:
                    raise ExportError(f"{self.prep.mart.name}: the COPY returned more rows than the plan counted")
                batch = entry[3]
                batch.append(bytes(data[2:]))
                entry[2] -= 1
                if len(batch) == batch_rows or entry[2] == 0:
                    shard, last = entry[1], entry[2] == 0
                    self._put((shard, b"".join(batch), len(batch), last))
                    entry[3] = []
                    if last:
                        entry[1] = entry[0].pop() if entry[0] else None
                        entry[2] = entry[1].rows if entry[1] else 0
        for entry in state.values():
            if entry[1] is not None:
                shard = entry[1]
                raise ExportError(
                    f"{self.prep.mart.name}: {shard.name} got {shard.rows - entry[2]} rows, "
                    f"the plan counted {shard.rows}"
                )

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
        writers: dict[str, object] = {}  # shard name -> open writer (at most one per split)
        opts = self.prep.options
        try:
            while (item := self.queue.get()) is not _DONE:
                if self.abort.is_set():
                    continue
                shard, data, rows, last = item
                writer = writers.get(shard.name)
                if writer is None:
                    writer = open_writer(temp_path(self.final(shard)), opts.format, opts.compression, self.prep.arrow)
                    writers[shard.name] = writer
                writer.write_batch(data, rows)
                self.versions.sample(data)
                self.progress.add(rows)
                if last:
                    del writers[shard.name]
                    sha = writer.close()
                    if writer.rows != shard.rows:
                        raise ExportError(f"{shard.name}: wrote {writer.rows} rows, the plan counted {shard.rows}")
                    shard.sha256, shard.bytes = sha, writer.raw.size
                    publish(temp_path(self.final(shard)), self.final(shard))
                    write_text_atomically(
                        self.out / STATE_DIR / f"{shard.name}.done", json.dumps({"sha256": sha, "bytes": shard.bytes})
                    )
        except BaseException as exc:  # noqa: BLE001 - reported by the caller
            self.error = self.error or exc
            self.abort.set()
            for writer in writers.values():
                writer.abort()
            while self.queue.get() is not _DONE:
                pass

    def final(self, shard: Shard) -> Path:
        return self.out / DATA_DIR / shard.name


def _partition(shards: list[Shard], streams: int) -> list[list[Shard]]:
    """Contiguous groups of pending shards with about equal rows."""
    total = sum(s.rows for s in shards)
    groups: list[list[Shard]] = []
    target = total / streams if streams else total
    current: list[Shard] = []
    acc = 0
    for shard in shards:
        current.append(shard)
        acc += shard.rows
        if acc >= target * (len(groups) + 1) and len(groups) < streams - 1:
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


# ----------------------------------------------------------------------------------------------- run


def run(opts: ExportOptions) -> dict:
    """Export one mart; return the manifest written (or the existing one when --resume finds it complete)."""
    prep = prepare(opts)
    out = Path(opts.out)
    mode = prepare_output(opts)
    if mode == "done":
        return json.loads((out / "manifest.json").read_text())
    started = time.monotonic()
    conn = connect(opts.dsn)
    try:
        _begin_snapshot(conn)
        snapshot_id, snapshot_at, snapshot_txids = conn.execute(
            "select pg_export_snapshot(), clock_timestamp(), pg_current_snapshot()::text"
        ).fetchone()
        exists = conn.execute("select to_regclass(%s)", [f'"{prep.schema_name}"."{prep.mart.identifier}"']).fetchone()[
            0
        ]
        if exists is None:
            raise UsageError(
                f"relation {prep.schema_name}.{prep.mart.identifier} of mart {prep.mart.name} is not in the database: "
                "run `dbt build` for it, or pass --schema"
            )
        try:
            shards, planned = plan_shards(conn, prep)
        except psycopg.errors.InvalidDatetimeFormat as exc:
            raise UsageError(f"bad --where value: {str(exc).splitlines()[0]}") from exc
        except psycopg.errors.DataError as exc:
            raise UsageError(f"bad --where value: {str(exc).splitlines()[0]}") from exc
        signature = opts.signature(prep.schema_name)
        state_path = out / STATE_DIR / "plan.json"
        snapshot = {"at": snapshot_at.astimezone(dt.UTC).isoformat(), "txid_snapshot": snapshot_txids}
        if mode == "resume":
            state = json.loads(state_path.read_text())
            differ = [k for k in signature if state["signature"].get(k) != signature[k]]
            if differ:
                raise UsageError(
                    "--resume with different options than the interrupted export: "
                    + ", ".join(f"{k} was {state['signature'].get(k)!r}" for k in differ)
                )
            if state["fingerprint"] != planned["fingerprint"]:
                raise UsageError(
                    f"mart {prep.mart.name} changed since the interrupted export started (row counts, keys or row "
                    "versions differ): its files would mix two snapshots; start again with --overwrite"
                )
            snapshots = [*state["snapshots"], snapshot]
        else:
            snapshots = [snapshot]
        for stale in (out / DATA_DIR).glob(".*.partial"):
            stale.unlink()
        expected_names = {s.name for s in shards}
        for leftover in (out / DATA_DIR).iterdir():
            if leftover.name not in expected_names:
                leftover.unlink()
        write_text_atomically(
            state_path,
            json.dumps(
                {
                    "signature": signature,
                    "fingerprint": planned["fingerprint"],
                    "snapshots": snapshots,
                    "shards": [asdict(s) for s in shards],
                },
                indent=1,
            ),
        )
        pending = []
        for shard in shards:
            final = out / DATA_DIR / shard.name
            done = out / STATE_DIR / f"{shard.name}.done"
            if final.exists():
                if done.exists():
                    record = json.loads(done.read_text())
                    shard.sha256, shard.bytes = record["sha256"], record["bytes"]
                else:
                    shard.sha256, shard.bytes = sha256_file(final), final.stat().st_size
            else:
                pending.append(shard)
        progress = Progress(
            sum(planned["counts"].values()), opts.progress, done=sum(s.rows for s in shards if s not in pending)
        )
        abort = threading.Event()
        groups = _partition(pending, opts.streams) if pending else []
        workers, conns = [], []
        try:
            for index, group in enumerate(groups):
                if index == 0:
                    worker_conn = conn
                else:
                    worker_conn = connect(opts.dsn)
                    conns.append(worker_conn)
                    _begin_snapshot(worker_conn, snapshot_id)
                workers.append(StreamWorker(prep, out, group, worker_conn, progress, abort))
            threads = [threading.Thread(target=w.run, daemon=True) for w in workers[1:]]
            for thread in threads:
                thread.start()
            if workers:
                workers[0].run()
            for thread in threads:
                thread.join()
        finally:
            progress.close()
            for extra in conns:
                extra.close()
        errors = [w.error for w in workers if w.error is not None]
        if errors:
            real = [e for e in errors if not (isinstance(e, ExportError) and str(e) == "aborted")]
            raise (real or errors)[0]
        written: dict[str, int] = {}
        for shard in shards:
            written[shard.split] = written.get(shard.split, 0) + shard.rows
        for split, count in planned["counts"].items():
            if written.get(split, 0) != count:
                raise ExportError(
                    f"{prep.mart.name}: split {split} has {written.get(split, 0)} rows in files, {count} in the mart"
                )
        versions = VersionSampler.merge([w.versions for w in workers])
        if not versions:  # nothing was left to stream (a resumed run whose shards were all done)
            versions = read_versions(conn, prep.selection)
        conn.rollback()
    except psycopg.OperationalError as exc:
        raise ExportError(f"database connection lost: {str(exc).strip().splitlines()[-1]}") from exc
    finally:
        conn.close()
    elapsed = time.monotonic() - started
    result = metadata.write_all(
        out=out,
        prep=prep,
        shards=shards,
        counts=planned["counts"],
        fingerprint=planned["fingerprint"],
        snapshots=snapshots,
        versions=versions,
        elapsed_s=elapsed,
    )
    shutil.rmtree(out / STATE_DIR)
    return result
