"""Orchestration: DDL, a generator thread feeding COPY through a bounded queue, the ground-truth tables."""

from __future__ import annotations

import contextlib
import json
import queue
import sys
import threading
import time
from datetime import UTC, datetime

import numpy as np

from . import catalog as C
from . import children as CH
from . import market as M
from . import tables as TB
from . import world as W
from .copytext import BINARY_HEADER, BINARY_TRAILER, fmt_ts, py_table
from .defects import TABLE_KINDS, Ledger

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
    "users": "id bigint, username text, email text, phone text, user_type text, location text, "
    "joined_at timestamptz",
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
    "_injected_defects": "table_name text not null, record_key text not null, defect_kind text not null, "
    "detail text",
    "_owner_archetypes": "owner_id bigint not null, archetype text not null",
    "_technician_profiles": "technician_id bigint not null, skill_level text not null, "
    "documentation_habit text not null",
    "_generator_runs": "scale numeric not null, seed bigint not null, dirty_rate numeric not null, "
    "as_of timestamptz not null, generated_rows jsonb not null",
}
BINARY_TABLES = {"vehicle_images", "comments"}
DEFAULT_AS_OF = "2026-01-31T00:00:00Z"
WRITE_BLOCK = 8 << 20


def parse_as_of(text: str) -> int:
    t = text.strip().replace("Z", "+00:00")
    dt = datetime.fromisoformat(t)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


class Config(W.NS):
    pass


def make_config(scale: float, seed: int, dirty_rate: float, as_of: int) -> Config:
    return Config(
        scale=scale,
        seed=int(seed),
        dirty_rate=float(dirty_rate),
        as_of=int(as_of),
        n_veh=max(60, int(round(287_000 * scale))),
        n_users=max(80, int(round(120_000 * scale))),
        n_tech=max(6, int(round(6_000 * scale))),
        n_svc_target=max(100.0, 1_200_000 * scale),
    )


def build_world(cfg: Config, ledger: Ledger) -> W.NS:
    ctx = W.NS(cfg=cfg)
    ctx.users = W.make_users(cfg)
    ctx.pools = W.Pools(ctx.users)
    ctx.tech = W.make_technicians(cfg, ctx.users)
    ctx.veh, ctx.lst, ctx.own = W.make_vehicles_and_listings(
        cfg, ctx.users, ctx.pools, {"bare_vehicles": TB.plan_bare_vehicles(ledger)}
    )
    veh, own = ctx.veh, ctx.own
    veh.open_seg = np.full(veh.n, -1, dtype=np.int64)
    open_idx = np.nonzero(own.disp == W.OPEN)[0]
    veh.open_seg[own.veh[open_idx]] = open_idx
    ctx.svc = W.make_service(cfg, veh, own, ctx.tech)
    M.enrich_listings(cfg, ctx.users, veh, ctx.lst, own, ctx.svc)
    ctx.titles, ctx.urls, ctx.lots = M.listing_titles(veh, ctx.lst)
    ctx.descriptions = M.listing_descriptions(cfg, ctx.users, veh, ctx.lst)
    ctx.svc_desc = W.service_descriptions(ctx.svc)
    ctx.kinds = TABLE_KINDS
    # comment vocabulary: short vehicle names and colours
    names = sorted(set(veh.short_name))
    pos = {s: i for i, s in enumerate(names)}
    veh.short_idx = np.array([pos[s] for s in veh.short_name], dtype=np.int64)
    cpos = {s: i for i, s in enumerate(C.COLORS)}
    veh.color_idx = np.array([cpos.get(c, 0) if c else 0 for c in veh.colors], dtype=np.int64)
    ctx.cvocab = CH.CommentVocab(names)
    return ctx


def produce(cfg: Config, ledger: Ledger, out: queue.Queue, stats: dict) -> None:
    """Generator thread: pushes ('begin', table) / bytes / ('end', table) items."""

    def emit(table, chunks):
        out.put(("begin", table))
        rows = 0
        binary = table in BINARY_TABLES
        if binary:
            out.put(BINARY_HEADER)
        for data in chunks:
            if isinstance(data, tuple):
                data, n = data
                rows += n
            elif data:
                rows += data.count(b"\n")
            if data:
                for k in range(0, len(data), WRITE_BLOCK):
                    out.put(data[k : k + WRITE_BLOCK])
        if binary:
            out.put(BINARY_TRAILER)
        stats[table] = rows
        out.put(("end", table))

    t0 = time.perf_counter()
    ctx = build_world(cfg, ledger)
    stats["_world_seconds"] = time.perf_counter() - t0
    emit("users", [TB.users_copy(cfg, ctx, ledger)])
    emit("technicians", [TB.technicians_copy(cfg, ctx, ledger)])
    emit("vehicles", [TB.vehicles_copy(cfg, ctx, ledger)])
    lplan = TB.plan_listing_defects(cfg, ctx, ledger)
    emit("bat_listings", [TB.listings_copy(cfg, ctx, ledger, lplan)])
    emit("ownerships", [TB.ownerships_copy(cfg, ctx, ledger)])
    TB.plan_service_orphans(ctx, ledger)
    emit("service_records", [TB.service_copy(cfg, ctx, ledger)])
    lst = ctx.lst

    def bids():
        counts = lst.n_bids * lst.children
        plan = ledger.plan_global("bids", int(counts.sum()))
        g0 = 0
        for ci, a in enumerate(range(0, lst.n, 2000)):
            b = min(lst.n, a + 2000)
            yield CH.bids_chunk(cfg, ctx, ci, a, b, g0, ledger, plan)
            g0 += int(counts[a:b].sum())

    def comments():
        counts = lst.n_comments * lst.children
        plan = ledger.plan_global("comments", int(counts.sum()))
        g0 = 0
        for ci, a in enumerate(range(0, lst.n, 1000)):
            b = min(lst.n, a + 1000)
            yield CH.comments_chunk(cfg, ctx, ci, a, b, g0, ledger, plan)
            g0 += int(counts[a:b].sum())

    def images():
        CH.plan_image_counts(cfg, ctx)
        parts = CH.image_parts(ctx)
        plan = ledger.plan_global("vehicle_images", sum(p[3] for p in parts))
        g0 = 0
        for ci, (part, a, b, rows) in enumerate(parts):
            yield CH.images_chunk(cfg, ctx, ci, part, a, b, g0, ledger, plan)
            g0 += rows

    emit("bids", bids())
    emit("comments", comments())
    emit("vehicle_images", images())
    truth = sorted(ledger.rows)
    emit(
        "_injected_defects",
        [
            py_table(
                [
                    [t for t, _k, _d, _x in truth],
                    [k for _t, k, _d, _x in truth],
                    [d for _t, _k, d, _x in truth],
                    [x for *_r, x in truth],
                ]
            )
        ],
    )
    emit("_owner_archetypes", [TB.archetype_rows(ctx)])
    emit("_technician_profiles", [TB.technician_profile_rows(ctx)])


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def generate(
    conn_or_dsn,
    scale: float,
    seed: int,
    dirty_rate: float = 0.02,
    schema: str = "raw",
    as_of=DEFAULT_AS_OF,
    progress=None,
) -> dict:
    """Create and fill the raw tables; returns {'rows': {table: n}, 'seconds': s, 'rows_per_second': r}."""
    if isinstance(as_of, datetime):
        as_of_s = int((as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)).timestamp())
    else:
        as_of_s = as_of if isinstance(as_of, int) else parse_as_of(str(as_of))
    cfg = make_config(scale, seed, dirty_rate, as_of_s)
    own_conn = False
    if isinstance(conn_or_dsn, str) or conn_or_dsn is None:
        import psycopg

        conn = psycopg.connect(conn_or_dsn or "")
        own_conn = True
    else:
        conn = conn_or_dsn
    t0 = time.perf_counter()
    stats: dict = {}
    ledger = Ledger(cfg)
    q: queue.Queue = queue.Queue(maxsize=6)
    err: list = []

    def worker():
        try:
            produce(cfg, ledger, q, stats)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the main thread
            err.append(exc)
        finally:
            q.put(None)

    sch = _quote_ident(schema)
    try:
        with conn.transaction(), conn.cursor() as cur:
            cur.execute(f"create schema if not exists {sch}")
            for t, cols in list(DDL.items()) + list(TRUTH_DDL.items()):
                # cascade: dbt's staging views read these tables; the next `dbt build` recreates them.
                cur.execute(f"drop table if exists {sch}.{_quote_ident(t)} cascade")
                extra = ", _loaded_at timestamptz not null" if t in DDL else ""
                cur.execute(f"create table {sch}.{_quote_ident(t)} ({cols}{extra})")
            th = threading.Thread(target=worker, name="contextpack-generator", daemon=True)
            th.start()
            copy = None
            current = None
            try:
                while True:
                    item = q.get()
                    if item is None:
                        break
                    if isinstance(item, tuple):
                        what, table = item
                        if what == "begin":
                            current = table
                            fmt = "format binary, " if table in BINARY_TABLES else ""
                            cm = cur.copy(f"copy {sch}.{_quote_ident(table)} from stdin with ({fmt}freeze)")
                            copy = cm.__enter__()
                            tb = time.perf_counter()
                        else:
                            copy = None
                            cm.__exit__(None, None, None)
                            if progress:
                                progress(table, stats.get(table, 0), time.perf_counter() - tb)
                    else:
                        copy.write(item)
            finally:
                if copy is not None:
                    exc = RuntimeError("generation aborted")
                    with contextlib.suppress(Exception):  # the original error is the one to report
                        cm.__exit__(RuntimeError, exc, None)
                if th.is_alive():
                    while th.is_alive():
                        with contextlib.suppress(queue.Empty):
                            q.get(timeout=0.1)
                th.join()
            if err:
                raise err[0]
            rows = {t: stats.get(t, 0) for t in TABLES}
            rows["_injected_defects"] = stats.get("_injected_defects", 0)
            cur.execute(
                f"insert into {sch}._generator_runs values (%s, %s, %s, %s::timestamptz, %s::jsonb)",
                (scale, seed, dirty_rate, fmt_ts(as_of_s), json.dumps(rows, sort_keys=True)),
            )
    finally:
        if own_conn:
            conn.close()
    del current
    secs = time.perf_counter() - t0
    total = sum(stats.get(t, 0) for t in TABLES)
    return {
        "rows": {t: stats.get(t, 0) for t in TABLES},
        "defects": stats.get("_injected_defects", 0),
        "seconds": secs,
        "rows_per_second": total / secs if secs > 0 else 0.0,
        "total_rows": total,
        "world_seconds": stats.get("_world_seconds", 0.0),
    }


def _stderr_progress(table, rows, secs):
    if sys.stderr.isatty():
        print(f"  {table:<22} {rows:>12,} rows  {secs:6.1f}s", file=sys.stderr)
