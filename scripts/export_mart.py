"""Stream a package mart into training files that ML tools load directly (Parquet or JSONL shards per split).

    python scripts/export_mart.py listing_image_packages --out exports/listing_v1 --format parquet

The logic lives in scripts/exporting/; this file is the command line.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli_common import OneLineArgumentParser, fail  # noqa: E402
from exporting.errors import ExportError, UsageError  # noqa: E402
from exporting.exporter import (  # noqa: E402
    COMPRESSIONS,
    DEFAULT_BATCH_ROWS,
    DEFAULT_ROW_GROUP_ROWS,
    DEFAULT_SHARD_ROWS,
    FORMATS,
    ROOT,
    ExportOptions,
    run,
)

DESCRIPTION = """\
Export one package mart (a dbt model with meta.package_mart: true, found in the dbt manifest) into shards per
split: data/<split>-00000-of-000NN.parquet (typed, nested struct columns) or .jsonl[.zst|.gz] (one package per
line, exactly the jsonb text), plus manifest.json (counts, sha256 per shard, dbt run, snapshot, versions),
croissant.json (MLCommons Croissant) and README.md (dataset card). Everything is read in one repeatable-read
snapshot in a deterministic order (the relation's physical order, or --order key); files appear atomically,
manifest.json last. After an interruption, --resume finishes the job with byte-identical files, or refuses
if the mart changed meanwhile.
Connection: the usual PG* variables (or --dsn)."""

EPILOG = """\
examples:
  python scripts/export_mart.py listing_image_packages --out exports/listing_v1 --format parquet
  python scripts/export_mart.py listing_image_packages --out exports/l1 --format jsonl --compression zstd \\
      --splits train,validation --where "listing_ended_at >= '2024-01-01' and vehicle_id in (101, 102)"
  python scripts/export_mart.py listing_image_packages --out exports/p24 --task price_after_24h \\
      --holdout-after 2025-06-30
  python scripts/export_mart.py listing_image_packages --out exports/listing_v1 --resume

--where grammar: column op value [and column op value ...], op one of = != < <= > >= in; `in` takes a list
  in parentheses; values are bare words or quoted strings, passed as query parameters and cast to the column's
  type; columns are the mart's plain (non-package) columns.
--task: tasks in export_tasks.yml keep the fields known at the prediction time (by their timing tags) plus the
  task's targets (outcome, labels); if the mart's meta names a row_timing key, rows whose row timing is later
  than the task's are dropped too; the manifest lists what was dropped (fields, and rows per split).
--streams N: N COPY streams, each on its own connection in the one exported snapshot; the files are the same
  bytes whatever N.
--holdout-after DATE: rows whose time_column (mart meta) is after DATE become the test split; every split_group
  (mart meta) seen there leaves train and validation; earlier test rows are left out.
exit codes: 0 done, 1 the export failed (e.g. counts do not reconcile), 2 bad arguments or environment
  (unknown mart/split/task, bad --where, output exists, unwritable output, unreachable database, mart changed
  before --resume)."""


def parse_args(argv=None) -> ExportOptions:
    parser = OneLineArgumentParser(
        prog="export_mart.py",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=__import__("argparse").RawDescriptionHelpFormatter,
    )
    parser.add_argument("mart", help="package mart name, e.g. listing_image_packages")
    parser.add_argument("--out", required=True, type=Path, help="output directory, e.g. exports/listing_v1")
    parser.add_argument("--format", default="parquet", choices=FORMATS, help="parquet (default) or jsonl")
    parser.add_argument(
        "--compression",
        choices=COMPRESSIONS,
        help="zstd|gzip|none: the Parquet codec (default zstd) or the JSONL file compression (default none)",
    )
    parser.add_argument("--splits", help="comma-separated splits to export (default: all), e.g. train,validation")
    parser.add_argument(
        "--shard-rows",
        type=int,
        default=DEFAULT_SHARD_ROWS,
        help=f"rows per shard file (default {DEFAULT_SHARD_ROWS:,})",
    )
    parser.add_argument(
        "--batch-rows",
        type=int,
        default=DEFAULT_BATCH_ROWS,
        help=f"rows passed at a time from the database reader to the file writer (default {DEFAULT_BATCH_ROWS:,})",
    )
    parser.add_argument(
        "--row-group-rows",
        type=int,
        default=DEFAULT_ROW_GROUP_ROWS,
        help=f"rows per Parquet row group (default {DEFAULT_ROW_GROUP_ROWS:,})",
    )
    parser.add_argument("--where", help="filter on the mart's plain columns, e.g. \"listing_ended_at >= '2024-01-01'\"")
    parser.add_argument("--limit", type=int, help="at most N rows per split (the first in key order)")
    parser.add_argument("--task", help="keep only fields known at this task's prediction time (export_tasks.yml)")
    parser.add_argument(
        "--tasks-file",
        type=Path,
        default=ROOT / "export_tasks.yml",
        help="task file (default: export_tasks.yml at the repository root)",
    )
    parser.add_argument(
        "--holdout-after",
        metavar="DATE",
        help="time holdout: rows ending after DATE form the test "
        "split, their groups leave train/validation, e.g. 2025-06-30",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true", help="finish an interrupted export in --out")
    mode.add_argument("--overwrite", action="store_true", help="replace an existing export in --out")
    parser.add_argument(
        "--manifest",
        type=Path,
        default=ROOT / "target" / "manifest.json",
        help="dbt manifest (default target/manifest.json; make it with `dbt parse` or `dbt build`)",
    )
    parser.add_argument("--schema", help="database schema holding the mart (default: the manifest's)")
    parser.add_argument(
        "--streams", type=int, default=1, help="parallel COPY streams over key ranges, sharing one snapshot (default 1)"
    )
    parser.add_argument(
        "--order",
        choices=("table", "key"),
        default="table",
        help="row order within a split: table (physical order, no sort; default) or key (sorted by "
        "the mart's key; PostgreSQL sorts the packages, about half the speed at scale)",
    )
    parser.add_argument("--dsn", help="libpq connection string (default: the PG* variables)")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.add_argument("--no-report", action="store_true", help="skip the dataset report (report.html, report/)")
    args = parser.parse_args(argv)
    splits = None
    if args.splits is not None:
        splits = [s.strip() for s in args.splits.split(",") if s.strip()]
        if not splits:
            parser.error("--splits needs at least one split name")
    options = ExportOptions(
        mart=args.mart,
        out=args.out,
        format=args.format,
        compression=args.compression,
        splits=splits,
        shard_rows=args.shard_rows,
        batch_rows=args.batch_rows,
        row_group_rows=args.row_group_rows,
        where=args.where,
        limit=args.limit,
        task=args.task,
        tasks_file=args.tasks_file,
        holdout_after=args.holdout_after,
        resume=args.resume,
        overwrite=args.overwrite,
        manifest=args.manifest,
        schema=args.schema,
        streams=args.streams,
        order=args.order,
        dsn=args.dsn,
        progress=False if args.quiet else None,
    )
    options.report = not args.no_report  # read by main(); the exporter itself knows nothing of the report
    return options


def main(argv=None) -> int:
    options = parse_args(argv)
    try:
        result = run(options)
    except UsageError as exc:
        fail(str(exc))
    except ExportError as exc:
        print(f"export_mart.py: export failed: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        fail(f"cannot write the export to {options.out}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        print("export_mart.py: interrupted; finish with --resume", file=sys.stderr)
        return 130
    rows = ", ".join(f"{split} {count:,}" for split, count in result["rows"].items())
    print(f"exported {result['total_rows']:,} packages of {result['mart']} to {options.out} ({rows})")
    if getattr(options, "report", True):
        from reporting.dataset_report import write_after_export

        return write_after_export(options.out, options.dsn)
    return 0


if __name__ == "__main__":
    sys.exit(main())
