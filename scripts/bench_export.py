"""Export speed against a plain COPY of the same mart, measured in the same run (the machine's speed drifts).

    python scripts/bench_export.py --schema bench --repeats 3          # against the mart in schema bench
    python scripts/bench_export.py --schema dev --repeats 1 --variants jsonl,parquet

Every figure runs in its own subprocess (so its peak RSS is its own) and the variants are interleaved within
each repeat. `run(...)` is what `make bench` (scripts/bench.py) imports; it returns the figures and a Markdown
table.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cli_common import OneLineArgumentParser  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MART = "listing_image_packages"
# name -> (format, compression, streams); "copy" is the baseline
VARIANTS = {
    "copy": None,
    "jsonl": ("jsonl", "none", 1),
    "jsonl_2_streams": ("jsonl", "none", 2),
    "jsonl_zstd": ("jsonl", "zstd", 1),
    "parquet": ("parquet", "zstd", 1),
    "parquet_2_streams": ("parquet", "zstd", 2),
}
LABELS = {
    "copy": "baseline: plain `COPY (select package::text ...)` to one file, one stream",
    "jsonl": "`export_mart.py --format jsonl --compression none`",
    "jsonl_2_streams": "same, `--streams 2` (row-position ranges, one shared snapshot)",
    "jsonl_zstd": "`--format jsonl --compression zstd`",
    "parquet": "`--format parquet` (typed struct columns, zstd)",
    "parquet_2_streams": "same, `--streams 2`",
}


def default_manifest(schema: str) -> Path:
    for candidate in (ROOT / "target" / schema / "manifest.json", ROOT / "target" / "manifest.json"):
        if candidate.exists():
            return candidate
    return ROOT / "target" / "manifest.json"


def plain_copy(schema: str, manifest: Path, out: Path, dsn: str | None) -> int:
    """The baseline: every package as text, one COPY stream written to one file, no order, no parsing."""
    from exporting.exporter import connect
    from exporting.marts import find_mart, load_manifest
    from exporting.plan import Selection, plain_copy_query

    mart = find_mart(load_manifest(manifest), MART)
    query = plain_copy_query(Selection(mart=mart, schema=schema, splits=list(mart.splits)))
    rows = 0
    with connect(dsn) as conn, conn.cursor() as cur, open(out, "wb") as handle, cur.copy(query) as copy:
        batch: list[bytes] = []
        while data := copy.read():
            batch.append(bytes(data))
            if len(batch) == 16_384:
                handle.write(b"".join(batch))
                rows += len(batch)
                batch = []
        handle.write(b"".join(batch))
        rows += len(batch)
    return rows


def one(variant: str, schema: str, manifest: Path, workdir: Path, dsn: str | None) -> dict:
    """Run one figure in this process; returns seconds, rows and peak RSS."""
    started = time.perf_counter()
    if variant == "copy":
        rows = plain_copy(schema, manifest, workdir / "plain.jsonl", dsn)
    else:
        from exporting.exporter import ExportOptions, run

        fmt, compression, streams = VARIANTS[variant]
        result = run(
            ExportOptions(
                mart=MART,
                out=workdir / variant,
                format=fmt,
                compression=compression,
                streams=streams,
                schema=schema,
                manifest=manifest,
                dsn=dsn,
                overwrite=True,
                progress=False,
            )
        )
        rows = result["total_rows"]
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": rows, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _subprocess(variant: str, schema: str, manifest: Path, workdir: Path, dsn: str | None) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--one",
        variant,
        "--schema",
        schema,
        "--manifest",
        str(manifest),
        "--workdir",
        str(workdir),
    ]
    if dsn:
        cmd += ["--dsn", dsn]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"bench_export: {variant} failed: {done.stderr.strip()[-400:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run(
    schema: str = "bench",
    repeats: int = 3,
    manifest: Path | None = None,
    dsn: str | None = None,
    variants: list[str] | None = None,
    workdir: Path | None = None,
) -> dict:
    """Interleave the variants `repeats` times; return rows/s per variant, ratios to the same repeat's COPY."""
    manifest = Path(manifest or default_manifest(schema))
    names = ["copy", *[v for v in (variants or list(VARIANTS)) if v != "copy"]]
    own_dir = workdir is None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="bench-export-"))
    runs: dict[str, list[dict]] = {name: [] for name in names}
    try:
        for _ in range(repeats):
            for name in names:
                runs[name].append(_subprocess(name, schema, manifest, workdir, dsn))
                for leftover in workdir.iterdir():  # keep the disk free between figures
                    shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
    finally:
        if own_dir:
            shutil.rmtree(workdir, ignore_errors=True)
    rows = runs["copy"][0]["rows"]
    figures = {}
    for name in names:
        per_s = [r["rows"] / r["seconds"] for r in runs[name]]
        ratios = [
            r["rows"] / r["seconds"] / (c["rows"] / c["seconds"]) for r, c in zip(runs[name], runs["copy"], strict=True)
        ]
        figures[name] = {
            "rows_per_s": per_s,
            "seconds": [r["seconds"] for r in runs[name]],
            "ratio_to_copy": ratios,
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs[name]),
        }
    result = {"mart": MART, "schema": schema, "rows": rows, "repeats": repeats, "figures": figures}
    result["markdown"] = markdown(result)
    return result


def markdown(result: dict) -> str:
    def med(values, digits=0):
        return f"{statistics.median(values):,.{digits}f} ({min(values):,.{digits}f}-{max(values):,.{digits}f})"

    lines = [
        f"{result['rows']:,} packages of `{result['mart']}`; medians of {result['repeats']} interleaved runs "
        "(min-max); every ratio is against the plain COPY of the same repeat. Targets: JSONL >= 90% of COPY, "
        "typed Parquet >= 50%, peak memory < 300 MB.",
        "",
        "| figure | rows/s | % of plain COPY | peak RSS MB |",
        "|---|---|---|---|",
    ]
    for name, fig in result["figures"].items():
        pct = [100 * r for r in fig["ratio_to_copy"]]
        lines.append(f"| {LABELS[name]} | {med(fig['rows_per_s'])} | {med(pct)} | {fig['peak_rss_mb']:.0f} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = OneLineArgumentParser(
        prog="bench_export.py",
        description="Export speed (JSONL, typed Parquet, 1 or 2 streams) against a plain single-stream COPY of "
        "the same mart, interleaved in the same run; peak memory per figure.",
        epilog="example: python scripts/bench_export.py --schema bench --repeats 3",
    )
    parser.add_argument("--schema", default="bench", help="schema holding the mart (default bench)")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats (default 3)")
    parser.add_argument("--manifest", type=Path, help="dbt manifest (default target/<schema>/ or target/)")
    parser.add_argument("--variants", help=f"comma-separated subset of {','.join(VARIANTS)} (copy always runs)")
    parser.add_argument("--dsn", help="libpq connection string (default: the PG* variables)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON instead of Markdown")
    parser.add_argument("--one", choices=list(VARIANTS), help=argparse_hidden())
    parser.add_argument("--workdir", type=Path, help=argparse_hidden())
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    manifest = args.manifest or default_manifest(args.schema)
    if args.one:
        print(json.dumps(one(args.one, args.schema, manifest, args.workdir, args.dsn)))
        return 0
    variants = None
    if args.variants:
        variants = [v.strip() for v in args.variants.split(",") if v.strip()]
        unknown = [v for v in variants if v not in VARIANTS]
        if unknown:
            parser.error(f"unknown variant {', '.join(unknown)}")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    result = run(schema=args.schema, repeats=args.repeats, manifest=manifest, dsn=args.dsn, variants=variants)
    print(json.dumps(result, indent=2) if args.json else result["markdown"])
    return 0


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS


if __name__ == "__main__":
    sys.exit(main())
