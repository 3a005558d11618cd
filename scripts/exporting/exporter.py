"""One export: checks, the snapshot, the plan, the streams, resume, reconciliation, then the metadata."""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import shutil
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psycopg

from . import metadata
from .errors import ExportError, UsageError
from .fields import arrow_schema, dropped_prefixes, validate_fields
from .marts import dbt_run_info, find_mart, load_manifest
from .plan import (
    Plan,
    RowFilter,
    Selection,
    Shard,
    bucket_starts,
    dropped_rows_query,
    key_planning_query,
    relation_blocks_query,
    table_planning_query,
    versions_query,
)
from .streams import DATA_DIR, STATE_DIR, Progress, stream_before_plan, stream_shards
from .tasks import load_tasks, select_fields
from .where import parse_where, where_sql
from .writers import sha256_file, shard_name, write_text_atomically

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SHARD_ROWS = 500_000
DEFAULT_BATCH_ROWS = 4_096
DEFAULT_ROW_GROUP_ROWS = 16_384
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
    row_group_rows: int = DEFAULT_ROW_GROUP_ROWS
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
            "row_group_rows": self.row_group_rows,
            "where": self.where,
            "limit": self.limit,
            "task": self.task,
            "holdout_after": self.holdout_after,
            "order": self.order,
        }


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
    if opts.row_group_rows < 1:
        raise UsageError("--row-group-rows must be at least 1")
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
            load_tasks(Path(opts.tasks_file)), opts.task, mart.name, mart.fields, list(mart.timings), mart.row_timing
        )
        kept_fields = {p: s for p, s in mart.fields.items() if p in task.kept}
        drop_paths = dropped_prefixes(mart.fields, task.kept)
    row_filter = RowFilter(task.row_timing, task.row_timings_kept) if task and task.row_timing else None
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
        row_filter=row_filter,
        leaf_fields=kept_fields if opts.format == "parquet" else None,
    )
    return Prepared(
        options=opts,
        mart=mart,
        selection=selection,
        task=task,
        schema_name=schema_name,
        arrow=arrow_schema(kept_fields) if opts.format == "parquet" else None,
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
        # UTF8 whatever PGCLIENTENCODING says: the files are UTF-8 (JSON lines, Parquet strings)
        return psycopg.connect(
            dsn or "", connect_timeout=int(os.environ.get("PGCONNECT_TIMEOUT", "5")), client_encoding="UTF8", **kwargs
        )
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


def _snapshot_connection(dsn: str | None, snapshot_id: str) -> psycopg.Connection:
    conn = connect(dsn)
    _begin_snapshot(conn, snapshot_id)
    return conn


def plan_export(conn, prep: Prepared, anchored: bool) -> Plan:
    """Count, fingerprint and anchor every split in the snapshot; cut each split into shards. Without `anchored`
    (table order), every split is read from the start of the relation."""
    opts, selection = prep.options, prep.selection
    ranks = range(1, len(selection.splits) + 1)
    kept = dict.fromkeys(ranks, 0)
    dropped = dict.fromkeys(ranks, 0)
    xmin_sum = dict.fromkeys(ranks, 0)
    anchors: dict[int, list[tuple[int, str]]] = {rank: [] for rank in ranks}
    conn.execute("set local work_mem = '256MB'")
    if selection.order == "key":
        query, params = key_planning_query(selection, opts.shard_rows)
        for rank, rn, pos, n, xmins in conn.execute(query, params):
            kept[rank], xmin_sum[rank] = n, int(xmins)
            anchors[rank].append((rn - 1, pos))
        if selection.row_filter is not None:
            query, params = dropped_rows_query(selection)
            for rank, n in conn.execute(query, params):
                dropped[rank] = n
    else:
        starts = None
        if anchored:
            query, params = relation_blocks_query(selection)
            starts = bucket_starts(conn.execute(query, params).fetchone()[0])
        query, params = table_planning_query(selection, starts)
        for rank, bucket, n, n_dropped, xmins in conn.execute(query, params):
            if n:
                anchors[rank].append((kept[rank], starts[bucket - 1] if starts else "(0,0)"))
            kept[rank] += n
            dropped[rank] += n_dropped
            xmin_sum[rank] += int(xmins)
    conn.execute("reset work_mem")
    shards: list[Shard] = []
    counts: dict[str, int] = {}
    fingerprint_splits = {}
    for rank, split in enumerate(selection.splits, start=1):
        fingerprint_splits[split] = {
            "rows": kept[rank],
            "xmin_sum": str(xmin_sum[rank]),
            "dropped_by_row_filter": dropped[rank],
        }
        count = min(kept[rank], opts.limit) if opts.limit else kept[rank]
        counts[split] = count
        if not count:
            continue
        nshards = math.ceil(count / opts.shard_rows)
        for index in range(nshards):
            first = index * opts.shard_rows
            shards.append(
                Shard(
                    name=shard_name(split, index, nshards, opts.format, opts.compression),
                    split=split,
                    rank=rank,
                    index=index,
                    rows=min(opts.shard_rows, count - first),
                    first=first,
                )
            )
    ident = conn.execute(
        "select c.oid::bigint, c.relfilenode::bigint from pg_class c where c.oid = to_regclass(%s)",
        [f'"{selection.schema}"."{selection.mart.identifier}"'],
    ).fetchone()
    return Plan(
        shards=shards,
        counts=counts,
        dropped={split: dropped[rank] for rank, split in enumerate(selection.splits, start=1)},
        fingerprint={"relation_oid": ident[0], "relfilenode": ident[1], "splits": fingerprint_splits},
        anchors=anchors,
        totals=kept,
    )


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


# ----------------------------------------------------------------------------------------------- run


def _check_relation(conn, prep: Prepared) -> None:
    exists = conn.execute("select to_regclass(%s)", [f'"{prep.schema_name}"."{prep.mart.identifier}"']).fetchone()[0]
    if exists is None:
        raise UsageError(
            f"relation {prep.schema_name}.{prep.mart.identifier} of mart {prep.mart.name} is not in the database: "
            "run `dbt build` for it, or pass --schema"
        )


def _plan(conn, prep: Prepared, mode: str) -> Plan:
    # anchors let a stream start mid-split: needed by several streams, a --limit (to stop early) and a resume
    opts = prep.options
    anchored = opts.streams > 1 or opts.limit is not None or mode == "resume"
    try:
        return plan_export(conn, prep, anchored)
    except (psycopg.errors.InvalidDatetimeFormat, psycopg.errors.DataError) as exc:
        raise UsageError(f"bad --where value: {str(exc).splitlines()[0]}") from exc


def _record_state(out: Path, prep: Prepared, plan: Plan, mode: str, snapshot: dict) -> list[dict]:
    """Write .export-state/plan.json before any shard is published; on --resume first prove the mart is the one
    interrupted, and clear what the interrupted run left half-written. Returns every snapshot the files come from."""
    opts = prep.options
    signature = opts.signature(prep.schema_name)
    state_path = out / STATE_DIR / "plan.json"
    snapshots = [snapshot]
    if mode == "resume":
        state = json.loads(state_path.read_text())
        differ = [k for k in signature if state["signature"].get(k) != signature[k]]
        if differ:
            raise UsageError(
                "--resume with different options than the interrupted export: "
                + ", ".join(f"{k} was {state['signature'].get(k)!r}" for k in differ)
            )
        if state["fingerprint"] != plan.fingerprint:
            raise UsageError(
                f"mart {prep.mart.name} changed since the interrupted export started (row counts, keys or row "
                "versions differ): its files would mix two snapshots; start again with --overwrite"
            )
        snapshots = [*state["snapshots"], snapshot]
        expected_names = {s.name for s in plan.shards}
        for leftover in (out / DATA_DIR).iterdir():
            if leftover.name.endswith(".partial") or leftover.name not in expected_names:
                leftover.unlink()
    write_text_atomically(
        state_path,
        json.dumps(
            {
                "signature": signature,
                "fingerprint": plan.fingerprint,
                "snapshots": snapshots,
                "shards": [asdict(s) for s in plan.shards],
            },
            indent=1,
        ),
    )
    return snapshots


def _pending(out: Path, plan: Plan) -> list[Shard]:
    """The shards still to write; finished ones (a resumed run) get their checksum from the state or the file."""
    pending = []
    for shard in plan.shards:
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
    return pending


def _reconcile(prep: Prepared, plan: Plan) -> None:
    written: dict[str, int] = {}
    for shard in plan.shards:
        written[shard.split] = written.get(shard.split, 0) + shard.rows
    for split, count in plan.counts.items():
        if written.get(split, 0) != count:
            raise ExportError(
                f"{prep.mart.name}: split {split} has {written.get(split, 0)} rows in files, {count} in the mart"
            )


def _stream_while_planning(conn, prep: Prepared, out: Path, mode: str, snapshot: dict, snapshot_id: str):
    """A fresh single-stream export of whole splits needs no plan to start reading: it reads every selected row
    from the start of the relation while the plan (counts, fingerprint) is made on a second connection in the same
    snapshot, and the plan is only waited for to name and publish the first complete shard (1.2 s of server time
    at scale 0.1 off the critical path). Returns the plan, the snapshots and the sampled version fields."""
    opts = prep.options
    planned: dict = {}
    ready = threading.Event()
    progress = Progress(0, opts.progress)
    planner = _snapshot_connection(opts.dsn, snapshot_id)

    def make_plan() -> None:
        try:
            planned["plan"] = _plan(planner, prep, mode)
            progress.set_total(sum(planned["plan"].counts.values()))
        except BaseException as exc:  # noqa: BLE001 - raised in the export's thread
            planned["error"] = exc
        finally:
            ready.set()

    lock = threading.Lock()

    def plan_recorded() -> Plan:
        ready.wait()
        if "error" in planned:
            raise planned["error"]
        with lock:
            if "snapshots" not in planned:
                planned["snapshots"] = _record_state(out, prep, planned["plan"], mode, snapshot)
        return planned["plan"]

    def resolve(shard: Shard, rows: int) -> Shard:
        final = plan_recorded().shard(shard.rank, shard.index)
        if final is None or final.rows != rows:
            counted = final.rows if final else 0
            raise ExportError(
                f"{prep.mart.name}: {shard.split} shard {shard.index} got {rows} rows, the plan {counted}"
            )
        return final

    thread = threading.Thread(target=make_plan, daemon=True)
    thread.start()
    try:
        versions = stream_before_plan(prep, out, conn, resolve, progress)
    except BaseException:
        ready.wait()  # a bad --where value fails the COPY too; the planning query's message is the clearer one
        if isinstance(planned.get("error"), UsageError):
            raise planned["error"] from None
        raise
    finally:
        thread.join()
        planner.close()
    plan = plan_recorded()
    unwritten = [s.name for s in plan.shards if s.sha256 is None]
    if unwritten:
        raise ExportError(f"{prep.mart.name}: the COPY returned fewer rows than the plan counted ({unwritten[0]})")
    return plan, planned["snapshots"], versions


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
        _check_relation(conn, prep)
        snapshot = {"at": snapshot_at.astimezone(dt.UTC).isoformat(), "txid_snapshot": snapshot_txids}
        if mode == "new" and opts.streams == 1 and opts.limit is None and opts.order == "table":
            plan, snapshots, versions = _stream_while_planning(conn, prep, out, mode, snapshot, snapshot_id)
        else:
            plan = _plan(conn, prep, mode)
            snapshots = _record_state(out, prep, plan, mode, snapshot)
            pending = _pending(out, plan)
            versions = stream_shards(
                prep, plan, out, pending, conn, lambda: _snapshot_connection(opts.dsn, snapshot_id)
            )
        _reconcile(prep, plan)
        if not versions:  # nothing was left to stream (a resumed run whose shards were all done)
            versions = read_versions(conn, prep.selection)
        conn.rollback()
    except psycopg.OperationalError as exc:
        raise ExportError(f"database connection lost: {str(exc).strip().splitlines()[-1]}") from exc
    finally:
        conn.close()
    result = metadata.write_all(
        out=out, prep=prep, plan=plan, snapshots=snapshots, versions=versions, elapsed_s=time.monotonic() - started
    )
    shutil.rmtree(out / STATE_DIR)
    return result
