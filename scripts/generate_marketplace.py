#!/usr/bin/env python
"""Generate the synthetic collector-car marketplace (the nine raw source tables) into PostgreSQL, or append
the next days' deliveries to what an earlier run generated.

Example:
    python scripts/generate_marketplace.py --scale 0.01 --seed 42 --dirty-rate 0.02
    python scripts/generate_marketplace.py --scale 0.01 --seed 42 --dirty-rate 0.02 --append-days 1
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cli_common import OneLineArgumentParser, connect, fail  # noqa: E402
from marketplace_gen.common import HORIZON_DAYS  # noqa: E402
from marketplace_gen.runner import (  # noqa: E402
    DEFAULT_AS_OF,
    TABLES,
    AppendRefused,
    generate,
    parse_as_of,
    print_progress,
)

__all__ = ["generate", "main"]

EPILOG = f"""\
examples:
  python scripts/generate_marketplace.py --scale 0.001 --seed 1 --dirty-rate 0.02      # demo, a few seconds
  python scripts/generate_marketplace.py --scale 0.1 --seed 42 --dsn 'host=localhost dbname=wh'
  PGHOST=localhost PGDATABASE=wh python scripts/generate_marketplace.py --scale 1 --seed 7 --dirty-rate 0
  python scripts/generate_marketplace.py --scale 0.1 --seed 42 --append-days 1     # the next day's rows

Scale 1.0 is the production marketplace: 287K vehicles, 130K listings, ~25.5M images, ~10.8M comments.
The same (scale, seed, dirty-rate, as-of) always produces byte-identical rows, and so do the same appends:
appending 2 days at once gives the same tables as appending 1 day twice. An append continues from the
last run recorded in _generator_runs, with the base run's --scale, --seed and --dirty-rate, up to
{HORIZON_DAYS} days after the base run's --as-of.
"""


def build_parser() -> OneLineArgumentParser:
    parser = OneLineArgumentParser(
        prog="generate_marketplace.py",
        description="Drop, recreate and fill (with --append-days: add to) the marketplace's raw tables "
        "(users, vehicles, bat_listings, vehicle_images, comments, bids, technicians, service_records, "
        "ownerships) plus the ground-truth tables _injected_defects, _owner_archetypes, _technician_profiles, "
        "_lot_truth, _vehicle_truth, _listing_vehicle_truth and _generator_runs, using COPY. Every row is a version "
        "delivered at its _loaded_at (the daily load after it happened); the tables hold what arrived by "
        "--as-of.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--scale",
        type=float,
        required=True,
        help="size relative to production, 0 < S <= 10 (1.0 = 287K vehicles; e.g. 0.001 for a demo)",
    )
    parser.add_argument("--seed", type=int, required=True, help="random seed, e.g. 42; same seed -> same rows")
    parser.add_argument(
        "--dirty-rate",
        type=float,
        default=0.02,
        help="share of rows given an injected defect, 0 .. 0.5 (default 0.02; e.g. 0 for clean data)",
    )
    parser.add_argument(
        "--schema",
        default=os.environ.get("CONTEXTPACK_RAW_SCHEMA", "raw"),
        help="target schema (default: env CONTEXTPACK_RAW_SCHEMA, else 'raw'), e.g. raw",
    )
    parser.add_argument(
        "--dsn",
        default=None,
        help="libpq connection string, e.g. 'host=localhost port=5432 dbname=wh'; "
        "default: the PG* environment variables",
    )
    parser.add_argument(
        "--append-days",
        type=int,
        default=None,
        help=f"instead of regenerating, append the rows that arrive in the N days after the last run's extract "
        f"(same --scale, --seed and --dirty-rate as the base run; at most {HORIZON_DAYS} days past it), e.g. 1",
    )
    parser.add_argument(
        "--as-of",
        default=None,
        help=f"extract time of a base run: the tables hold the rows loaded by then (every version for users, "
        f"vehicles and technicians, the latest one for the others) (default {DEFAULT_AS_OF}), "
        f"e.g. 2025-06-30T00:00:00Z",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not (args.scale > 0 and args.scale <= 10):
        fail(f"--scale must be > 0 and <= 10, got {args.scale:g}")
    if not (0 <= args.dirty_rate <= 0.5):
        fail(f"--dirty-rate must be between 0 and 0.5, got {args.dirty_rate:g}")
    if args.seed < 0 or args.seed >= 2**63:
        fail(f"--seed must be a non-negative integer below 2**63, got {args.seed}")
    if not args.schema or len(args.schema) > 63:
        fail("--schema must be a non-empty name of at most 63 characters")
    if args.append_days is not None and args.append_days < 1:
        fail(f"--append-days must be at least 1, got {args.append_days}")
    if args.append_days is not None and args.as_of is not None:
        fail("--as-of is for a base run: an append continues from the last run recorded in _generator_runs")
    try:
        as_of = parse_as_of(args.as_of or DEFAULT_AS_OF)
    except ValueError:
        fail(f"--as-of is not an ISO timestamp: {args.as_of!r} (e.g. 2026-01-31T00:00:00Z)")
    conn = connect(args.dsn)
    try:
        result = generate(
            conn,
            args.scale,
            args.seed,
            args.dirty_rate,
            schema=args.schema,
            as_of=as_of,
            progress=None if args.quiet else print_progress,
            append_days=args.append_days,
        )
    except AppendRefused as exc:
        fail(str(exc))
    except Exception as exc:  # noqa: BLE001 - one line for the user, not a traceback
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        fail(f"generation failed: {type(exc).__name__}: {message}")
    finally:
        conn.close()
    if not args.quiet:
        seconds = result["seconds"]
        what = "generated" if args.append_days is None else f"appended {args.append_days} day(s) to"
        print(f"{what} schema {args.schema!r}: scale {args.scale:g}, seed {args.seed}, dirty-rate {args.dirty_rate:g}")
        for table in TABLES:
            print(f"  {table:<16} {result['rows'][table]:>12,}")
        print(f"  {'defects':<16} {result['defects']:>12,}  (in {args.schema}._injected_defects)")
        print(f"  total {result['total_rows']:,} rows in {seconds:.1f}s = {result['rows_per_second']:,.0f} rows/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
