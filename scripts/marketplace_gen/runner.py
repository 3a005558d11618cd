"""Orchestration: DDL, a producer thread feeding COPY through a bounded queue, the ground-truth tables.

The producer thread builds the world (world.py) and then each table's COPY data (``table_contents``);
the calling thread writes the data to PostgreSQL as it arrives, so generating and loading overlap. All of
it happens in one transaction, and a failed run leaves the previous data in place.

A base run creates the tables and fills them with ``COPY ... (freeze)``: what arrived by ``--as-of``. An
append (``append_days``) rebuilds the same world from the base run's parameters in ``_generator_runs`` and
adds to the existing tables every version that arrives in the days after the last run's extract; a row
of ``_generator_runs`` records each run and its window. Appends reach at most HORIZON_DAYS past the base.
"""

from __future__ import annotations

import contextlib
import json
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import NamedTuple, TypedDict

from .bids import bid_chunks
from .chunks import CopyChunk, text_chunk
from .comments import comment_chunks
from .common import DAY, HORIZON_DAYS, GeneratorConfig
from .copytext import BINARY_HEADER, BINARY_TRAILER, fmt_ts, py_table
from .defects import Ledger
from .delivery import DeliveredRows, Extract
from .images import image_chunks
from .listing_table import listings_copy, plan_listing_defects
from .tables import (
    ownerships_copy,
    plan_bare_vehicles,
    plan_service_orphans,
    service_copy,
    technicians_copy,
    users_copy,
    vehicles_copy,
)
from .truth import (
    listing_vehicle_truth_rows,
    lot_truth_rows,
    owner_archetype_rows,
    technician_profile_rows,
    vehicle_truth_rows,
)
from .world import World, build_world

TABLES = [
    "users",
    "technicians",
    "vehicles",
    "bat_listings",
    "ownerships",
    "service_records",
    "bids",
    "comments",
    "vehicle_images",
]

DDL = {
    "users": "id bigint, username text, email text, phone text, user_type text, location text, joined_at timestamptz",
    "vehicles": "id bigint, vin text, year integer, make text, model text, trim text, color text, "
    "interior_color text, mileage integer, transmission text, engine text, body_style text, "
    "drivetrain text, condition_rating numeric(3,1), current_owner_id bigint, created_at timestamptz, "
    "updated_at timestamptz",
    "bat_listings": "id bigint, vehicle_id bigint, seller_id bigint, lot_number text, url text, title text, "
    "description text, seller_type text, location text, started_at timestamptz, "
    "ended_at timestamptz, status text, high_bid numeric(12,2), sale_price numeric(12,2), "
    "no_reserve boolean, view_count integer, watcher_count integer, comment_count integer, "
    "bid_count integer",
    "vehicle_images": "id uuid, vehicle_id bigint, listing_id bigint, work_order_id bigint, "
    "uploader_id bigint, "
    "image_url text, category text, position integer, width integer, height integer, "
    "taken_at timestamptz, uploaded_at timestamptz",
    "comments": "id bigint, listing_id bigint, user_id bigint, parent_id bigint, body text, "
    "posted_at timestamptz, likes integer",
    "bids": "id bigint, listing_id bigint, bidder_id bigint, amount numeric(12,2), placed_at timestamptz",
    "technicians": "id bigint, user_id bigint, shop_name text, certifications text, started_at date",
    "service_records": "id bigint, vehicle_id bigint, technician_id bigint, performed_at date, "
    "mileage_at_service integer, category text, description text, labor_hours numeric(6,2), "
    "parts_cost numeric(12,2), total_cost numeric(12,2)",
    "ownerships": "id bigint, vehicle_id bigint, owner_id bigint, acquired_at date, disposed_at date, "
    "acquisition_price numeric(12,2), disposal_price numeric(12,2), acquired_via text",
}
TRUTH_DDL = {
    "_injected_defects": "table_name text not null, record_key text not null, defect_kind text not null, detail text",
    "_owner_archetypes": "owner_id bigint not null, archetype text not null",
    "_technician_profiles": "technician_id bigint not null, skill_level text not null, "
    "documentation_habit text not null",
    "_lot_truth": "vehicle_id bigint not null, lot_category text not null, family text not null",
    "_vehicle_truth": "vehicle_id bigint not null, canonical_make text not null, canonical_model text not null, "
    "generation text",
    "_listing_vehicle_truth": "listing_id bigint not null, vehicle_id bigint not null, state_updated_at timestamptz, "
    "mileage integer, color text, condition_rating numeric(3,1)",
    "_generator_runs": "scale numeric not null, seed bigint not null, dirty_rate numeric not null, "
    "as_of timestamptz not null, generated_rows jsonb not null, mode text not null, loaded_after timestamptz",
}
BINARY_TABLES = {"vehicle_images", "comments"}  # the two biggest: binary COPY parses faster
DEFAULT_AS_OF = "2026-01-31T00:00:00Z"
WRITE_BLOCK = 8 << 20  # bytes per queue item: bounds the memory held between producer and COPY
QUEUE_ITEMS = 6

ProgressCallback = Callable[[str, int, float], None]  # (table, rows, seconds)


class TableStart(NamedTuple):
    table: str


class TableEnd(NamedTuple):
    table: str


# The producer's queue carries TableStart, the table's COPY bytes, TableEnd, ..., and None when it stops.
QueueItem = TableStart | TableEnd | bytes | None


class AppendRefused(ValueError):
    """An append that does not fit the base run (other parameters, no base run, past the horizon)."""


class GenerationResult(TypedDict):
    rows: dict[str, int]  # per raw table, re-deliveries included
    defects: int  # rows of _injected_defects
    seconds: float
    rows_per_second: float
    total_rows: int
    world_seconds: float  # building the in-memory world, inside ``seconds``


def parse_as_of(text: str) -> int:
    """An ISO timestamp (UTC if no zone is given) as Unix seconds."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def as_of_seconds(as_of: str | int | datetime) -> int:
    if isinstance(as_of, datetime):
        return int((as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)).timestamp())
    return as_of if isinstance(as_of, int) else parse_as_of(str(as_of))


def table_contents(world: World, ledger: Ledger, extract: Extract) -> Iterator[tuple[str, Iterable[CopyChunk]]]:
    """Every table's COPY data for ``extract``, in load order: the one list of what the generator writes.

    In-memory tables are formatted whole, one row per delivered version (delivery.deliver_rows adds the
    ``_loaded_at``, re-sends and the extract's choice of rows); streamed tables yield chunks
    (chunks.written_rows). Each injected defect is recorded in the ledger with the load time of its row;
    the ledger becomes ``_injected_defects`` once every raw table is done, and the ground truth goes out with
    the rows it describes (truth.py). Defect plans that children depend on (blocked listings get no children,
    orphaned service records no work photos) are made before those children.
    """
    delivered: dict[str, DeliveredRows] = {}
    yield "users", [text_chunk(users_copy(world, ledger, extract, delivered))]
    yield "technicians", [text_chunk(technicians_copy(world, ledger, extract, delivered))]
    yield "vehicles", [text_chunk(vehicles_copy(world, ledger, extract, delivered))]
    listing_defects = plan_listing_defects(world, ledger)
    yield "bat_listings", [text_chunk(listings_copy(world, ledger, listing_defects, extract, delivered))]
    yield "ownerships", [text_chunk(ownerships_copy(world, ledger, extract, delivered))]
    service_defects = plan_service_orphans(world, ledger)
    yield "service_records", [text_chunk(service_copy(world, ledger, service_defects, extract, delivered))]
    yield "bids", bid_chunks(world, ledger, extract)
    yield "comments", comment_chunks(world, ledger, extract)
    yield "vehicle_images", image_chunks(world, ledger, service_defects, extract)
    yield "_injected_defects", [text_chunk(injected_defect_rows(ledger, extract))]
    yield "_owner_archetypes", [text_chunk(owner_archetype_rows(world, delivered, extract))]
    yield "_technician_profiles", [text_chunk(technician_profile_rows(world, delivered, extract))]
    yield "_lot_truth", [text_chunk(lot_truth_rows(world, delivered, extract))]
    yield "_vehicle_truth", [text_chunk(vehicle_truth_rows(world, delivered, extract))]
    yield "_listing_vehicle_truth", [text_chunk(listing_vehicle_truth_rows(world, delivered, extract))]


def injected_defect_rows(ledger: Ledger, extract: Extract) -> bytes:
    truth = ledger.rows_in(extract)
    return py_table([[row[column] for row in truth] for column in range(4)])


def produce(
    cfg: GeneratorConfig, ledger: Ledger, extract: Extract, out: queue.Queue[QueueItem], stats: dict
) -> None:
    """The producer thread: builds the world, then puts each table's items for ``extract`` on ``out``;
    counts rows in ``stats`` (table -> rows, plus ``_world_seconds``)."""
    started = time.perf_counter()
    world = build_world(cfg, plan_bare_vehicles(ledger))
    stats["_world_seconds"] = time.perf_counter() - started
    for table, chunks in table_contents(world, ledger, extract):
        out.put(TableStart(table))
        rows = 0
        binary = table in BINARY_TABLES
        if binary:
            out.put(BINARY_HEADER)
        for chunk in chunks:
            rows += chunk.rows
            for offset in range(0, len(chunk.data), WRITE_BLOCK):
                out.put(chunk.data[offset : offset + WRITE_BLOCK])
        if binary:
            out.put(BINARY_TRAILER)
        stats[table] = rows
        out.put(TableEnd(table))


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def generate(
    conn_or_dsn,
    scale: float,
    seed: int,
    dirty_rate: float = 0.02,
    schema: str = "raw",
    as_of: str | int | datetime = DEFAULT_AS_OF,
    progress: ProgressCallback | None = None,
    append_days: int | None = None,
) -> GenerationResult:
    """Create and fill the raw and ground-truth tables in ``schema`` in one transaction, or with
    ``append_days`` add the next days' deliveries to them (``as_of`` is then the base run's, read from
    ``_generator_runs``; AppendRefused if the parameters differ from the base run's).

    ``conn_or_dsn`` is an open psycopg connection (left open) or a libpq connection string (None or ""
    for the PG* environment variables; the connection is closed at the end).
    """
    started = time.perf_counter()
    stats: dict = {}
    schema_sql = _quote_ident(schema)
    with contextlib.ExitStack() as stack:
        if isinstance(conn_or_dsn, str) or conn_or_dsn is None:
            import psycopg

            conn = psycopg.connect(conn_or_dsn or "")
            stack.callback(conn.close)
        else:
            conn = conn_or_dsn
        with conn.transaction(), conn.cursor() as cur:
            if append_days is None:
                as_of_s = as_of_seconds(as_of)
                extract = Extract.base(as_of_s)
                _create_tables(cur, schema_sql)
            else:
                as_of_s, extract = _append_window(cur, schema, schema_sql, scale, seed, dirty_rate, append_days)
            cfg = GeneratorConfig.for_scale(scale, seed, dirty_rate, as_of_s)
            ledger = Ledger(cfg)
            _load(cur, schema_sql, cfg, ledger, extract, stats, progress, fresh_tables=append_days is None)
            # A loader's last step: fresh statistics. A build started before autovacuum has analyzed the tables
            # planned per-row rescans of unanalyzed parents (stg_marketplace__bat_listings: 903 s at scale 0.4,
            # 9.2 s after ANALYZE).
            for table in TABLES:
                cur.execute(f"analyze {schema_sql}.{_quote_ident(table)}")
            rows = {t: stats.get(t, 0) for t in TABLES}
            rows["_injected_defects"] = stats.get("_injected_defects", 0)
            cur.execute(
                f"insert into {schema_sql}._generator_runs values "
                "(%s, %s, %s, %s::timestamptz, %s::jsonb, %s, %s::timestamptz)",
                (
                    scale,
                    seed,
                    dirty_rate,
                    fmt_ts(extract.until),
                    json.dumps(rows, sort_keys=True),
                    "base" if append_days is None else "append",
                    None if append_days is None else fmt_ts(extract.after),
                ),
            )
    seconds = time.perf_counter() - started
    total = sum(stats.get(t, 0) for t in TABLES)
    return GenerationResult(
        rows={t: stats.get(t, 0) for t in TABLES},
        defects=stats.get("_injected_defects", 0),
        seconds=seconds,
        rows_per_second=total / seconds if seconds > 0 else 0.0,
        total_rows=total,
        world_seconds=stats.get("_world_seconds", 0.0),
    )


def _append_window(
    cur, schema: str, schema_sql: str, scale: float, seed: int, dirty_rate: float, days: int
) -> tuple[int, Extract]:
    """(the base run's extract time, the append's window) from ``_generator_runs``, or AppendRefused."""
    if days < 1:
        raise AppendRefused(f"--append-days must be a whole number of days >= 1, got {days}")
    cur.execute("select to_regclass(%s) is not null", (f"{schema_sql}._generator_runs",))
    if not cur.fetchone()[0]:
        raise AppendRefused(f"schema {schema!r} has no generated data to append to: run without --append-days first")
    cur.execute(
        f"select scale, seed, dirty_rate, extract(epoch from as_of)::bigint from {schema_sql}._generator_runs "
        "where mode = 'base'"
    )
    base = cur.fetchall()
    if len(base) != 1:
        raise AppendRefused(f"schema {schema!r} has {len(base)} base runs in _generator_runs; expected one")
    base_scale, base_seed, base_dirty_rate, base_as_of = base[0]
    given = (float(scale), int(seed), float(dirty_rate))
    recorded = (float(base_scale), int(base_seed), float(base_dirty_rate))
    if given != recorded:
        raise AppendRefused(
            f"the base run in {schema!r} was made with --scale {recorded[0]:g} --seed {recorded[1]} "
            f"--dirty-rate {recorded[2]:g}; an append must use the same (got --scale {given[0]:g} "
            f"--seed {given[1]} --dirty-rate {given[2]:g})"
        )
    cur.execute(f"select extract(epoch from max(as_of))::bigint from {schema_sql}._generator_runs")
    last = int(cur.fetchone()[0])
    extract = Extract.append(last, days)
    horizon = int(base_as_of) + HORIZON_DAYS * DAY
    if extract.until > horizon:
        left = (horizon - last) // DAY
        raise AppendRefused(
            f"--append-days {days} would reach {fmt_ts(extract.until)[:10]}, past the simulated horizon "
            f"{fmt_ts(horizon)[:10]} ({HORIZON_DAYS} days after the base extract); at most {left} more days"
        )
    return int(base_as_of), extract


def _create_tables(cur, schema_sql: str) -> None:
    cur.execute(f"create schema if not exists {schema_sql}")
    for table, columns in list(DDL.items()) + list(TRUTH_DDL.items()):
        # cascade: a view over a raw table (dbt models someone materialized as views) would block the drop;
        # the next `dbt build` recreates them.
        cur.execute(f"drop table if exists {schema_sql}.{_quote_ident(table)} cascade")
        loaded_at = ", _loaded_at timestamptz not null" if table in DDL else ""
        cur.execute(f"create table {schema_sql}.{_quote_ident(table)} ({columns}{loaded_at})")


class _ProducerStopped(Exception):
    """The producer ended in the middle of a table (its own error is the one to report)."""


def _load(
    cur,
    schema_sql: str,
    cfg: GeneratorConfig,
    ledger: Ledger,
    extract: Extract,
    stats: dict,
    progress: ProgressCallback | None,
    fresh_tables: bool,
) -> None:
    """Run the producer thread and COPY what it queues (FREEZE into ``fresh_tables``, made by this
    transaction); re-raises the producer's error, if any."""
    items: queue.Queue[QueueItem] = queue.Queue(maxsize=QUEUE_ITEMS)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            produce(cfg, ledger, extract, items, stats)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            errors.append(exc)
        finally:
            items.put(None)

    thread = threading.Thread(target=work, name="contextpack-generator", daemon=True)
    thread.start()
    try:
        _copy_items(cur, schema_sql, items, stats, progress, fresh_tables)
    except _ProducerStopped:
        pass  # errors[0] is raised below
    finally:
        # unblock a producer still putting items (if COPY failed), then wait for it
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                items.get(timeout=0.1)
        thread.join()
    if errors:
        raise errors[0]


def _copy_items(
    cur,
    schema_sql: str,
    items: queue.Queue[QueueItem],
    stats: dict,
    progress: ProgressCallback | None,
    fresh_tables: bool,
) -> None:
    """Consume the queue: each TableStart .. TableEnd run of bytes goes into one COPY FROM STDIN (with
    FREEZE when this transaction created the tables)."""
    while (item := items.get()) is not None:
        assert isinstance(item, TableStart), item
        table = item.table
        options = ", ".join(
            option
            for option, wanted in (("format binary", table in BINARY_TABLES), ("freeze", fresh_tables))
            if wanted
        )
        with_options = f" with ({options})" if options else ""
        started = time.perf_counter()
        with cur.copy(f"copy {schema_sql}.{_quote_ident(table)} from stdin{with_options}") as copy:
            while isinstance(item := items.get(), bytes):
                copy.write(item)
            if item is None:
                raise _ProducerStopped  # aborts this COPY
        if progress:
            progress(table, stats.get(table, 0), time.perf_counter() - started)


def print_progress(table: str, rows: int, seconds: float) -> None:
    """A ProgressCallback for terminals: one line per table on stderr."""
    if sys.stderr.isatty():
        print(f"  {table:<22} {rows:>12,} rows  {seconds:6.1f}s", file=sys.stderr)
