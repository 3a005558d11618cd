"""Run the whole job on sample data: warehouse, generator, `dbt build`, a look at what was built.

    python scripts/demo.py                      # local throwaway warehouse, scale 0.001
    python scripts/demo.py --warehouse env      # the server named by your PG* variables
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from cli_common import OneLineArgumentParser, connect, fail

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_PACKAGES = 3
# Technician and owner packages run to tens of kilobytes each: the demo shows their counts only.
SAMPLED_MART = "listing_image_packages"


def parse_args(argv: list[str] | None = None):
    parser = OneLineArgumentParser(
        prog="demo.py",
        description="Generate a sample marketplace, build every model with dbt and show what was built.",
        epilog="example: python scripts/demo.py --scale 0.001 --seed 42",
    )
    parser.add_argument("--warehouse", choices=["local", "env"], default="local",
                        help="local: start the throwaway warehouse (default); env: use PG* variables")
    parser.add_argument("--scale", type=float, default=0.001, help="marketplace size, 1.0 = production (default 0.001)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed (default 42)")
    parser.add_argument("--dirty-rate", type=float, default=0.02, help="share of dirty rows (default 0.02)")
    parser.add_argument("--export-dir", type=Path, default=ROOT / "exports" / "demo",
                        help="where the demo export goes (default exports/demo)")
    parser.add_argument("--schema", default=os.environ.get("DBT_SCHEMA", "contextpack"),
                        help="dbt target schema (default $DBT_SCHEMA or contextpack)")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 10:
        parser.error(f"--scale must be in (0, 10], got {args.scale}")
    return args


def run_dbt_build() -> None:
    """A full-refresh build: the demo has just replaced the raw tables, so the incremental models of an earlier build
    in the same schema (another scale or seed, a `make build`) must not add to what they hold."""
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(
        ["build", "--full-refresh", "--quiet", "--project-dir", str(ROOT), "--profiles-dir", str(ROOT)]
    )
    if not result.success:
        fail("dbt build failed; the messages above say which model or test")


def show_summary(conn, schema: str) -> None:
    print("\nWhat arrived and what is clean (data_quality_reconciliation):")
    rows = conn.execute(
        f"select table_name, arrived_rows, clean_rows, blocked_rows, superseded_rows "
        f"from {schema}.data_quality_reconciliation order by table_name"
    ).fetchall()
    print(f"  {'table':<16}{'arrived':>10}{'clean':>10}{'blocked':>10}{'superseded':>12}")
    for table_name, arrived, clean, blocked, superseded in rows:
        print(f"  {table_name:<16}{arrived:>10}{clean:>10}{blocked:>10}{superseded:>12}")
    print("\nMost frequent quarantine reasons (data_quality_summary):")
    for table_name, reason, severity, flagged in conn.execute(
        f"select table_name, reason, severity, flagged_rows from {schema}.data_quality_summary "
        f"where flagged_rows > 0 order by flagged_rows desc limit 8"
    ):
        print(f"  {table_name:<16}{reason:<30}{severity:<10}{flagged:>8}")
    marts = conn.execute(
        "select table_name from information_schema.tables where table_schema = %s "
        "and table_name like '%%packages' order by table_name",
        (schema,),
    ).fetchall()
    for (mart,) in marts:
        count = conn.execute(f"select count(*) from {schema}.{mart}").fetchone()[0]
        if mart != SAMPLED_MART:
            print(f"\n{mart}: {count:,} packages")
            continue
        print(f"\n{mart}: {count:,} packages. {SAMPLE_PACKAGES} samples:")
        for (package,) in conn.execute(
            f"select package from {schema}.{mart} order by md5(package::text) limit {SAMPLE_PACKAGES}"
        ):
            print(json.dumps(package, indent=2, ensure_ascii=False))


def export_packages(out_dir: Path) -> None:
    """The ML engineer's step: the listing packages as typed Parquet shards with their metadata."""
    import export_mart

    print(f"\nExporting listing_image_packages to {out_dir} ...")
    code = export_mart.main(["listing_image_packages", "--out", str(out_dir), "--format", "parquet",
                             "--overwrite", "--manifest", str(ROOT / "target" / "manifest.json")])
    if code:
        fail(f"the export failed (exit code {code})")


def export_and_train(export_dir: Path, task: str = "price_at_listing_start") -> Path:
    """The next step: a task export (only the fields known at the prediction time) and its baseline model."""
    import export_mart
    import train_baseline

    out = export_dir.with_name(f"{export_dir.name}_{task}")
    manifest = str(ROOT / "target" / "manifest.json")
    print(f"\nExporting listing_image_packages for task {task} to {out} and training its baseline ...")
    code = export_mart.main(["listing_image_packages", "--out", str(out), "--task", task, "--overwrite", "--quiet",
                             "--manifest", manifest])
    if code:
        fail(f"the task export failed (exit code {code})")
    train_baseline.main([str(out), "--quiet", "--dbt-manifest", manifest])
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    if args.warehouse == "local":
        import warehouse

        os.environ.update(warehouse.start())
    os.environ["DBT_SCHEMA"] = args.schema
    import generate_marketplace

    with connect() as conn:
        conn.execute("select 1")
    print(f"Generating the marketplace at scale {args.scale} (seed {args.seed}, dirty rate {args.dirty_rate}) ...")
    generate_marketplace.generate("", scale=args.scale, seed=args.seed,
                                  dirty_rate=args.dirty_rate)
    print("Running dbt build ...")
    run_dbt_build()
    with connect(autocommit=True) as conn:
        show_summary(conn, args.schema)
    export_packages(args.export_dir)
    task_dir = export_and_train(args.export_dir)
    print(f"\nDataset report of the export: {args.export_dir / 'report.html'}")
    print(f"Baseline model and its report: {task_dir / 'baseline.md'}, {task_dir / 'report.html'}")
    print(f"\nDone in {time.monotonic() - started:.1f}s. Query the marts with psql after "
          "`eval \"$(python scripts/warehouse.py env)\"`.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
