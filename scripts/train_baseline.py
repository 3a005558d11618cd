"""Train a task's baseline model on an export and write metrics.json and baseline.md beside it.

    python scripts/export_mart.py listing_image_packages --out exports/p0 --task price_at_listing_start
    python scripts/train_baseline.py exports/p0

The logic lives in scripts/reporting/baseline.py; this file is the command line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli_common import OneLineArgumentParser, fail  # noqa: E402
from reporting.baseline import ROOT, TrainOptions, TrainUsageError, format_metric, metric_rows, run  # noqa: E402
from reporting.exports import ExportReadError  # noqa: E402

DESCRIPTION = """\
Train the baseline model of a prediction task (export_tasks.yml, its `baseline:` block) on an export made by
scripts/export_mart.py --task NAME: scikit-learn's HistGradientBoosting regressor or classifier, categorical
fields through the model's own categorical support, fit on the export's train split, early stopping and the
choice among a few settings on its validation split, metrics on its test split (overall and per quarter of the
mart's time field, or per year when quarters would be too thin) against simple baselines from the same run. Reads
only the fields it uses; listing packages
(one row per image) become one example per listing. Writes metrics.json and baseline.md into the export (or
--out) and refreshes the export's report.html. Deterministic for a seed."""

EPILOG = """\
tasks with a baseline: price_at_listing_start, price_after_24h (regression on log sale price: RMSLE, R^2,
  MAE, median abs. % error vs the package's pre-sale estimate and a make x model median), sold_at_listing_start
  (ROC AUC and log loss vs the base rate), technician_skill_level and owner_type (macro F1 vs the majority class).
examples:
  python scripts/export_mart.py listing_image_packages --out exports/p0 --task price_at_listing_start
  python scripts/train_baseline.py exports/p0
  python scripts/export_mart.py technician_work_packages --out exports/tech --task technician_skill_level
  python scripts/train_baseline.py exports/tech --seed 7
leakage experiments (a full export, the trainer drops late fields by their timing tags, then forces some back):
  python scripts/train_baseline.py exports/full --task price_at_listing_start --force-input outcome.* \\
      --out exports/full/leaky
exit codes: 0 done, 2 bad arguments, not an export, or an export that does not fit the task."""


def parse_args(argv=None) -> TrainOptions:
    parser = OneLineArgumentParser(
        prog="train_baseline.py",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("export", type=Path, help="an export directory (holding manifest.json)")
    parser.add_argument("--task", help="the task to train (default: the task the export was made for)")
    parser.add_argument("--out", type=Path, help="where metrics.json and baseline.md go (default: the export)")
    parser.add_argument("--seed", type=int, default=42, help="random seed of the model (default 42)")
    parser.add_argument(
        "--tasks-file",
        type=Path,
        default=ROOT / "export_tasks.yml",
        help="task file (default: export_tasks.yml at the repository root)",
    )
    parser.add_argument(
        "--dbt-manifest",
        type=Path,
        default=ROOT / "target" / "manifest.json",
        help="dbt manifest with the mart's field specs (default target/manifest.json; needed for an export made "
        "without --task, optional otherwise)",
    )
    parser.add_argument(
        "--force-input",
        action="append",
        default=[],
        metavar="FIELD",
        help="treat FIELD (or section.*) as an input although the task drops it: for leakage experiments only",
    )
    parser.add_argument("--no-report", action="store_true", help="do not refresh the export's report.html")
    parser.add_argument("--quiet", action="store_true", help="print only the result")
    args = parser.parse_args(argv)
    if not args.export.is_dir():
        parser.error(f"export directory {args.export} does not exist")
    return TrainOptions(
        export=args.export,
        task=args.task,
        out=args.out,
        tasks_file=args.tasks_file,
        dbt_manifest=args.dbt_manifest,
        force_inputs=args.force_input,
        seed=args.seed,
        report=not args.no_report,
        progress=not args.quiet,
    )


def summary(metrics: dict) -> str:
    names, rows = metric_rows(metrics)
    primary = metrics["primary_metric"]
    shown = [primary] + [n for n in names if n != primary][:2]
    if not metrics["test"]["model"]["n"]:
        return f"{metrics['task']}: the export has no test examples, so there are no test metrics"
    lines = [f"{metrics['task']}: test split, " + ", ".join(shown)]
    for label, values, note in rows:
        text = ", ".join(f"{n} {format_metric(n, values.get(n))}" for n in shown) if values else note
        lines.append(f"  {label}: {text}")
    return "\n".join(lines)


def main(argv=None) -> int:
    options = parse_args(argv)
    try:
        metrics = run(options)
    except (TrainUsageError, ExportReadError) as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot write the results to {options.out or options.export}: {exc.strerror or exc}")
    out = Path(options.out or options.export)
    print(summary(metrics))
    print(f"wrote {out / 'metrics.json'} and {out / 'baseline.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
