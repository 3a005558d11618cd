"""Incremental daily build against a full rebuild, measured in the same run.

In a database of its own: generate the marketplace, seed, then `repeats` times: a full rebuild (`dbt run
--full-refresh`), the next `--append-days` days of deliveries appended by the generator, and the incremental
`dbt run` that loads them. Each incremental run is timed right after the full run beside it, so the ratio of the
two is not skewed by the machine's drift. Then one more `dbt run` with nothing appended: what every daily run pays
whatever the day brings (the design's floor). Prints (and `run(...)` returns) the figures and a Markdown snippet with
the slowest nodes of the incremental run and the floor's node seconds per model folder, which say what still costs
time. Target: incremental <= 10% of full.

    python scripts/bench/incremental_speed.py --scale 0.1 --repeats 2            # the local warehouse (PG* vars)
    python scripts/bench/incremental_speed.py --scale 0.01 --repeats 1 --append-days 3
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # scripts/: cli_common, generate_marketplace, ...

from cli_common import OneLineArgumentParser, connect, environment_set  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
DATABASE = "contextpack_bench_incremental"
SCHEMA = "bench"
TARGET = ROOT / "target" / "bench_incremental"
RAW_TABLES = ["users", "vehicles", "bat_listings", "vehicle_images", "comments", "bids", "technicians",
              "service_records", "ownerships"]
HORIZON_DAYS = 60  # the generator simulates this many days past the base extract (marketplace_gen.common)


def parse_args(argv=None):
    parser = OneLineArgumentParser(
        prog="incremental_speed.py",
        description="Seconds of an incremental dbt run after a daily append vs a full rebuild, interleaved in the "
        f"same run, in a database of its own ({DATABASE}, recreated).",
        epilog="example: python scripts/bench/incremental_speed.py --scale 0.1 --repeats 2 --append-days 1",
    )
    parser.add_argument("--scale", type=float, default=0.1, help="marketplace scale (default 0.1)")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    parser.add_argument("--repeats", type=int, default=2, help="full + incremental pairs (default 2)")
    parser.add_argument("--append-days", type=int, default=1, help="days of deliveries per append (default 1)")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        parser.error(f"--scale must be in (0, 1], got {args.scale}")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.append_days < 1 or args.append_days * args.repeats > HORIZON_DAYS:
        parser.error(f"--append-days times --repeats must be between 1 and {HORIZON_DAYS}")
    return args


def dbt(*args: str) -> dict:
    """One in-process dbt command into the bench schema; its run_results."""
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke([*args, "--quiet", "--project-dir", str(ROOT), "--profiles-dir", str(ROOT),
                                 "--target-path", str(TARGET)])
    if not result.success:
        raise SystemExit(f"incremental_speed: dbt {' '.join(args)} failed: {result.exception}")
    return json.loads((TARGET / "run_results.json").read_text())


def raw_rows(conn) -> int:
    return sum(conn.execute(f"select count(*) from raw.{table}").fetchone()[0] for table in RAW_TABLES)


def node_seconds(run_results: dict) -> dict[str, float]:
    return {r["unique_id"].split(".")[-1]: r["execution_time"] for r in run_results["results"]}


def seconds_per_folder(run_results: dict, manifest: dict) -> dict[str, float]:
    """Node seconds summed per model folder (models/<layer>/<domain>), the largest first."""
    folders: dict[str, float] = {}
    for result in run_results["results"]:
        node = manifest["nodes"].get(result["unique_id"], {})
        folder = str(Path(node.get("original_file_path", "?")).parent)
        folders[folder] = folders.get(folder, 0.0) + result["execution_time"]
    return dict(sorted(folders.items(), key=lambda item: -item[1]))


def run(scale: float = 0.1, seed: int = 7, repeats: int = 2, append_days: int = 1) -> dict:
    """Generate, then `repeats` times: full rebuild, append, incremental run. Seconds are dbt's elapsed time."""
    import generate_marketplace

    with connect(dbname="postgres", autocommit=True) as admin:
        admin.execute(f'drop database if exists "{DATABASE}" with (force)')
        admin.execute(f'create database "{DATABASE}"')
    pairs, slowest, floor_folders = [], {}, {}
    try:
        with environment_set(PGDATABASE=DATABASE, DBT_SCHEMA=SCHEMA, CONTEXTPACK_RAW_SCHEMA="raw"):
            generate_marketplace.generate("", scale=scale, seed=seed, dirty_rate=0.02)
            dbt("seed")
            with connect(autocommit=True) as conn:
                for _ in range(repeats):
                    full = dbt("run", "--full-refresh")
                    before = raw_rows(conn)
                    started = time.perf_counter()
                    generate_marketplace.generate("", scale=scale, seed=seed, dirty_rate=0.02, append_days=append_days)
                    append_s = time.perf_counter() - started
                    appended = raw_rows(conn) - before
                    incremental = dbt("run")
                    slowest = node_seconds(incremental)
                    # the same run again with nothing appended: the cost of a day that brings no rows
                    nothing_new = dbt("run")
                    pairs.append({
                        "full_s": full["elapsed_time"], "incremental_s": incremental["elapsed_time"],
                        "nothing_new_s": nothing_new["elapsed_time"],
                        "appended_rows": appended, "raw_rows_before": before, "append_s": append_s,
                    })
                    floor_folders = seconds_per_folder(
                        nothing_new, json.loads((TARGET / "manifest.json").read_text()))
    finally:
        with connect(dbname="postgres", autocommit=True) as admin:
            admin.execute(f'drop database if exists "{DATABASE}" with (force)')
    figures = {
        "scale": scale, "append_days": append_days, "pairs": pairs,
        "ratios": [p["incremental_s"] / p["full_s"] for p in pairs],
        "floor_ratios": [p["nothing_new_s"] / p["full_s"] for p in pairs],
        "floor_seconds_per_folder": floor_folders,
        "slowest_incremental_nodes": sorted(slowest.items(), key=lambda item: -item[1])[:12],
    }
    figures["markdown"] = markdown(figures)
    return figures


def _span(values, digits=1, unit="") -> str:
    return (f"{statistics.median(values):,.{digits}f}{unit} (min {min(values):,.{digits}f}, "
            f"max {max(values):,.{digits}f})")


def markdown(figures: dict) -> str:
    pairs = figures["pairs"]
    shares = [100 * p["appended_rows"] / p["raw_rows_before"] for p in pairs]
    lines = [
        f"{len(pairs)} pairs at scale {figures['scale']}, each a full rebuild then an append of "
        f"{figures['append_days']} day(s) ({_span([p['appended_rows'] for p in pairs], 0)} raw rows, "
        f"{_span(shares, 3, '%')} of the raw rows) loaded by an incremental run.",
        "",
        "| figure | value |", "|---|---|",
        f"| full rebuild, `dbt run --full-refresh` (s) | {_span([p['full_s'] for p in pairs])} |",
        f"| incremental `dbt run` after the append (s) | {_span([p['incremental_s'] for p in pairs])} |",
        f"| ratio incremental / full (target <= 0.10) | {_span(figures['ratios'], 3)} |",
        f"| the floor: `dbt run` again, nothing appended (s) | {_span([p['nothing_new_s'] for p in pairs])} |",
        f"| ratio floor / full | {_span(figures['floor_ratios'], 3)} |",
        "",
        "Slowest nodes of the last incremental run in seconds (the models README.md does not list as incremental"
        " under Daily runs are full tables, rebuilt every run):",
        "",
        "| node | seconds |", "|---|---|",
        *[f"| {name} | {seconds:.1f} |" for name, seconds in figures["slowest_incremental_nodes"]],
        "",
        "Node seconds of the last run with nothing appended, per model folder (summed over dbt's threads):",
        "",
        "| folder | seconds |", "|---|---|",
        *[f"| {folder} | {seconds:.1f} |" for folder, seconds in figures["floor_seconds_per_folder"].items()],
    ]
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    import warehouse

    if os.environ.get("CONTEXTPACK_BENCH_USE_ENV") != "1":
        os.environ.update(warehouse.start(quiet=True))
    figures = run(scale=args.scale, seed=args.seed, repeats=args.repeats, append_days=args.append_days)
    print(figures["markdown"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
