"""Export speed against psql's own `\\copy` of the package column, measured in the same run.

    python scripts/bench/export_speed.py --schema bench --repeats 3          # against the mart in schema bench
    python scripts/bench/export_speed.py --schema dev --repeats 2 --variants jsonl,parquet

The baseline is what a user would type: `psql -X -c "\\copy (select package from <schema>.<mart>) to '<file>'
with (format csv, quote E'\\x01', delimiter E'\\x02')"`. The baseline and every exporter variant run as their own
process, timed from process start to exit, in each repeat in the order baseline, variant, baseline, variant, ...,
baseline; a variant's ratio is the mean of the two baseline runs beside it divided by its own time (the machine's
speed drifts from minute to minute). Each run's peak memory is its own: a small launcher forks the command and
reads its max RSS from wait4 (a process started straight from this one would report this process's RSS if that
were larger, since Linux carries the high-water mark across exec). `run(...)` is what `make bench`
(scripts/bench/run.py) imports; it returns the figures and a Markdown table.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # scripts/: cli_common, exporting, ...

from cli_common import OneLineArgumentParser  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MART = "listing_image_packages"
# name -> (label, exporter arguments, target as a % of the baseline or None)
VARIANTS = {
    "jsonl": ("JSONL, one stream (`--format jsonl`)", ["--format", "jsonl"], 90),
    "jsonl_2_streams": ("JSONL, `--streams 2`", ["--format", "jsonl", "--streams", "2"], 120),
    "jsonl_zstd": (
        "JSONL zstd, one stream (`--compression zstd`)",
        ["--format", "jsonl", "--compression", "zstd"],
        None,
    ),
    "parquet": ("typed Parquet, one stream (`--format parquet`, zstd)", ["--format", "parquet"], 75),
    "parquet_2_streams": ("typed Parquet, `--streams 2`", ["--format", "parquet", "--streams", "2"], None),
}
PEAK_RSS_TARGET_MB = 300
# Forks the command, waits for it and prints its wall time and its own max RSS (ru_maxrss of wait4 covers the
# process and the children it waited for). Started with `python -S`, so the high-water mark the command
# inherits at exec is the launcher's few MB.
LAUNCHER = """\
import json, os, sys, time
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.dup2(2, 1)
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(json.dumps({"seconds": time.perf_counter() - started, "peak_rss_mb": usage.ru_maxrss / 1024,
                  "exit": os.waitstatus_to_exitcode(status)}))
"""


def default_manifest(schema: str) -> Path:
    for candidate in (ROOT / "target" / schema / "manifest.json", ROOT / "target" / "manifest.json"):
        if candidate.exists():
            return candidate
    return ROOT / "target" / "manifest.json"


def baseline_command(schema: str, mart, out: Path) -> list[str]:
    psql = shutil.which("psql")
    if psql is None:
        raise SystemExit("export_speed: psql is not on PATH (it is the baseline); install postgresql-client")
    copy = (
        f"\\copy (select {mart.package_column} from {schema}.{mart.identifier}) to '{out}' "
        "with (format csv, quote E'\\x01', delimiter E'\\x02')"
    )
    return [psql, "-X", "-c", copy]


def export_command(variant: str, schema: str, manifest: Path, out: Path) -> list[str]:
    return [
        sys.executable,
        str(ROOT / "scripts" / "export_mart.py"),
        MART,
        "--out",
        str(out),
        *VARIANTS[variant][1],
        "--schema",
        schema,
        "--manifest",
        str(manifest),
        "--overwrite",
        "--quiet",
        "--no-report",  # the export alone: the dataset report reads the files again afterwards
    ]


def measure(command: list[str], name: str) -> dict:
    done = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, *command], capture_output=True, text=True, check=False)
    lines = done.stdout.strip().splitlines()
    figures = json.loads(lines[-1]) if lines else {"exit": done.returncode}
    if done.returncode != 0 or figures["exit"] != 0:
        raise SystemExit(f"export_speed: {name} failed: {done.stderr.strip()[-400:]}")
    return figures


def _clear(workdir: Path) -> None:
    for leftover in workdir.iterdir():  # keep the disk free between runs (an export is ~3 GB at scale 0.1)
        shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()


def run(
    schema: str = "bench",
    repeats: int = 3,
    manifest: Path | None = None,
    variants: list[str] | None = None,
    workdir: Path | None = None,
) -> dict:
    """Baseline and variants interleaved, `repeats` times; figures per variant against the baseline beside it."""
    from exporting.exporter import connect
    from exporting.marts import find_mart, load_manifest

    manifest = Path(manifest or default_manifest(schema))
    mart = find_mart(load_manifest(manifest), MART)
    names = [v for v in (variants or list(VARIANTS)) if v in VARIANTS]
    own_dir = workdir is None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="bench-export-"))
    workdir.mkdir(parents=True, exist_ok=True)
    baseline: list[list[dict]] = []  # per repeat: len(names) + 1 runs
    runs: dict[str, list[dict]] = {name: [] for name in names}
    try:
        with connect(None) as conn:
            rows = conn.execute(f'select count(*) from "{schema}"."{mart.identifier}"').fetchone()[0]
        for _ in range(repeats):
            ring = []
            for name in [*names, None]:
                ring.append(measure(baseline_command(schema, mart, workdir / "psql.csv"), "psql \\copy"))
                _clear(workdir)
                if name is not None:
                    runs[name].append(measure(export_command(name, schema, manifest, workdir / name), name))
                    _clear(workdir)
            baseline.append(ring)
    finally:
        if own_dir:
            shutil.rmtree(workdir, ignore_errors=True)
    figures = {
        "psql_copy": {
            "seconds": [r["seconds"] for ring in baseline for r in ring],
            "peak_rss_mb": max(r["peak_rss_mb"] for ring in baseline for r in ring),
        }
    }
    for i, name in enumerate(names):
        beside = [(ring[i]["seconds"] + ring[i + 1]["seconds"]) / 2 for ring in baseline]
        seconds = [r["seconds"] for r in runs[name]]
        figures[name] = {
            "seconds": seconds,
            "baseline_seconds": beside,
            "pct_of_psql_copy": [100 * b / s for b, s in zip(beside, seconds, strict=True)],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs[name]),
        }
    result = {"mart": MART, "schema": schema, "rows": rows, "repeats": repeats, "figures": figures}
    result["markdown"] = markdown(result)
    return result


def markdown(result: dict) -> str:
    def med(values, digits=0):
        return f"{statistics.median(values):,.{digits}f} ({min(values):,.{digits}f}-{max(values):,.{digits}f})"

    rows = result["rows"]
    figures = result["figures"]
    base = figures["psql_copy"]
    lines = [
        f"{rows:,} packages of `{result['mart']}`; medians of {result['repeats']} repeats (min-max). Baseline: "
        f"`psql -X -c \"\\copy (select package from {result['schema']}.{result['mart']}) to '<file>' with (format "
        "csv, quote E'\\x01', delimiter E'\\x02')\"`. Every run is its own process, timed from start to exit; in "
        "each repeat the baseline runs before and after every variant, and a variant's % is the mean of those "
        "two baseline times over its own. Peak RSS: each run's own max RSS (process and children, via wait4), "
        "the largest over the repeats.",
        "",
        f"| figure | seconds | rows/s | % of psql `\\copy` (targets: JSONL >= 90, JSONL `--streams 2` >= 120, "
        f"Parquet >= 75) | peak RSS MB (target < {PEAK_RSS_TARGET_MB}) | target met |",
        "|---|---|---|---|---|---|",
        f"| baseline: psql `\\copy` of the package column to one file | {med(base['seconds'], 1)} | "
        f"{med([rows / s for s in base['seconds']])} | 100 | {base['peak_rss_mb']:.0f} | |",
    ]
    for name, (label, _, target) in VARIANTS.items():
        fig = figures.get(name)
        if not fig:
            continue
        pct = fig["pct_of_psql_copy"]
        met = []
        if target is not None:
            met.append(f">= {target}%: {'yes' if statistics.median(pct) >= target else 'no'}")
        met.append(f"< {PEAK_RSS_TARGET_MB} MB: {'yes' if fig['peak_rss_mb'] < PEAK_RSS_TARGET_MB else 'no'}")
        lines.append(
            f"| {label} | {med(fig['seconds'], 1)} | {med([rows / s for s in fig['seconds']])} | {med(pct)} | "
            f"{fig['peak_rss_mb']:.0f} | {'; '.join(met)} |"
        )
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = OneLineArgumentParser(
        prog="export_speed.py",
        description="Export speed (JSONL, typed Parquet, 1 or 2 streams) against psql's own \\copy of the package "
        "column, interleaved in the same run; each run's own peak memory.",
        epilog="example: python scripts/bench/export_speed.py --schema bench --repeats 3",
    )
    parser.add_argument("--schema", default="bench", help="schema holding the mart (default bench)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats (default 3)")
    parser.add_argument("--manifest", type=Path, help="dbt manifest (default target/<schema>/ or target/)")
    parser.add_argument("--variants", help=f"comma-separated subset of {','.join(VARIANTS)} (the baseline always runs)")
    parser.add_argument("--workdir", type=Path, help="directory for the files (default: a temporary directory)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of Markdown")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    variants = None
    if args.variants:
        variants = [v.strip() for v in args.variants.split(",") if v.strip()]
        unknown = [v for v in variants if v not in VARIANTS]
        if unknown:
            parser.error(f"unknown variant {', '.join(unknown)}")
    result = run(
        schema=args.schema, repeats=args.repeats, manifest=args.manifest, variants=variants, workdir=args.workdir
    )
    print(json.dumps(result, indent=2) if args.json else result["markdown"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
