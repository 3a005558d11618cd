"""`make bench`: speed measured against baselines taken in the same run, written to BENCHMARKS.md.

The machine's speed drifts from minute to minute, so every figure that matters is a ratio to a baseline
measured right next to it (the write floor for the package build, vaderSentiment for the SQL scorer,
psql's own copy (`\\copy`) of the package column for the export).

    python scripts/bench/run.py --write BENCHMARKS.md            # scale 0.1, three repeats
    python scripts/bench/run.py --scale 0.01 --repeats 1         # a quick look
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # scripts/: cli_common, exporting, ...

from cli_common import OneLineArgumentParser, connect  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BENCH_DATABASE = "contextpack_bench"
QUARANTINE_DATABASE = "contextpack_bench_dq"
SCHEMA = "bench"
# The design the whole-build figure is compared with: main before the point-in-time, real-data and production
# issues (10-12), whose fresh-clone build at scale 0.1 was measured at 113 s when issue 12 was filed.
PREVIOUS_DESIGN = "3dcd581"


def parse_args(argv=None):
    parser = OneLineArgumentParser(
        prog="run.py",
        description="Benchmarks against same-run baselines: generator, dbt build, package build vs the write "
        "floor, SQL sentiment vs vaderSentiment, export vs psql's \\copy, incremental daily build vs a full "
        "rebuild; quarantine counts at scale 0.01.",
        epilog="example: python scripts/bench/run.py --scale 0.1 --repeats 3 --write BENCHMARKS.md",
    )
    parser.add_argument("--scale", type=float, default=0.1, help="marketplace scale for the speed runs (default 0.1)")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats per figure (default 3)")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    parser.add_argument("--write", metavar="PATH", help="write the results as Markdown to PATH")
    parser.add_argument("--skip-export", action="store_true", help="leave out the export benchmark")
    parser.add_argument(
        "--baseline-rev", default=PREVIOUS_DESIGN, metavar="REV",
        help="git revision whose whole `dbt build` is timed beside this checkout's on the same raw tables "
        f"(default {PREVIOUS_DESIGN}, the design before incremental builds and the build speed work; "
        "'none' skips it)",
    )
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        parser.error(f"--scale must be in (0, 1], got {args.scale}")
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    return args


def recreate_database(name: str) -> None:
    with connect(dbname="postgres", autocommit=True) as admin:
        admin.execute(f'drop database if exists "{name}" with (force)')
        admin.execute(f'create database "{name}"')


def run_dbt(args: list[str]) -> dict:
    from dbt.cli.main import dbtRunner

    target = ROOT / "target" / "bench"
    result = dbtRunner().invoke([*args, "--quiet", "--project-dir", str(ROOT), "--profiles-dir", str(ROOT),
                                 "--target-path", str(target)])
    if not result.success:
        raise SystemExit(f"bench: dbt {' '.join(args)} failed")
    return json.loads((target / "run_results.json").read_text())


def model_seconds(run_results: dict) -> dict[str, float]:
    # the node name (a test with arguments has a hash after it)
    return {r["unique_id"].split(".")[2]: r["execution_time"] for r in run_results["results"]}


def timed_sql(conn, sql: str) -> float:
    started = time.perf_counter()
    conn.execute(sql)
    return time.perf_counter() - started


def bench_generator(args, results: dict) -> None:
    import generate_marketplace

    figures = []
    for _ in range(args.repeats):
        outcome = generate_marketplace.generate("", scale=args.scale, seed=args.seed, dirty_rate=0.02)
        figures.append(outcome)
    rows = [f["total_rows"] / f["seconds"] for f in figures]
    with connect(autocommit=True) as conn:
        tables = [r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'raw' and table_name !~ '^_'")]
        floor = []
        for _ in range(args.repeats):
            seconds = 0.0
            for table in tables:
                seconds += timed_sql(conn, f"create temp table copy_floor as select * from raw.{table}")
                conn.execute("drop table copy_floor")
            floor.append(figures[0]["total_rows"] / seconds)
    results["generator"] = {
        "scale": args.scale, "total_rows": figures[0]["total_rows"], "rows": figures[0]["rows"],
        "rows_per_s": rows, "server_copy_floor_rows_per_s": floor,
    }


def bench_build(args, results: dict) -> None:
    run_results = run_dbt(["build"])
    results["build"] = {"elapsed_s": run_results["elapsed_time"], "models": model_seconds(run_results)}
    mart_seconds, floor_seconds = [], []
    with connect(autocommit=True) as conn:
        for _ in range(args.repeats):
            # --full-refresh: the mart is incremental, and a plain run after the build would find nothing to do
            mart_seconds.append(model_seconds(run_dbt(["run", "--select", "listing_image_packages", "--full-refresh"]))[
                "listing_image_packages"])
            floor_seconds.append(timed_sql(
                conn, f"create table {SCHEMA}.write_floor as select * from {SCHEMA}.listing_image_packages"))
            conn.execute(f"drop table {SCHEMA}.write_floor")
        packages = conn.execute(f"select count(*) from {SCHEMA}.listing_image_packages").fetchone()[0]
        workers = conn.execute("show max_parallel_workers_per_gather").fetchone()[0]
    results["package_build"] = {
        "packages": packages, "mart_s": mart_seconds, "write_floor_s": floor_seconds, "workers_per_query": workers,
        "ratios": [m / f for m, f in zip(mart_seconds, floor_seconds, strict=True)],
    }


def bench_price_estimate(args, results: dict) -> None:
    """How well the pre-sale estimate (known at the listing start) predicts the sale price: one row per sold car
    listing of the mart, log estimate against log sale price (target on generated data: R^2 >= 0.6)."""
    with connect(autocommit=True) as conn:
        n, r2, corr2, off_3x, with_estimate, sold = conn.execute(f"""
            with listings as (
                select distinct on (listing_id)
                    (package #>> '{{listing_context,price_estimate}}')::float8 as estimate,
                    (package #>> '{{outcome,sale_price}}')::float8 as sale_price
                from {SCHEMA}.listing_image_packages
                where (package #>> '{{outcome,sold}}')::boolean
                order by listing_id
            ),
            logs as (
                select ln(estimate) as predicted, ln(sale_price) as actual
                from listings where estimate > 0 and sale_price > 0
            )
            select
                count(*),
                1 - sum((actual - predicted) ^ 2) / nullif(sum((actual - (select avg(actual) from logs)) ^ 2), 0),
                corr(predicted, actual) ^ 2,
                avg((abs(actual - predicted) > ln(3))::int),
                (select count(*) from listings where estimate is not null),
                (select count(*) from listings)
            from logs
        """).fetchone()
    results["price_estimate"] = {"listings": n, "r2": r2, "corr2": corr2, "off_3x": off_3x,
                                 "with_estimate": with_estimate, "sold": sold}


def _drop_schemas(prefix: str) -> None:
    with connect(autocommit=True) as conn:
        for (name,) in conn.execute(
                "select nspname from pg_namespace where starts_with(nspname, %s)", [prefix]).fetchall():
            conn.execute(f'drop schema "{name}" cascade')


def disk_bytes_written(diskstats: str | None = None, block_dir: Path = Path("/sys/block")) -> int | None:
    """Bytes written so far to the machine's disks: the sectors-written field of /proc/diskstats (always 512-byte
    units) summed over the block devices backed by hardware (those with a `device` link in /sys/block, so
    partitions, loop, RAM and device-mapper devices do not count a write twice). None where Linux does not say."""
    if diskstats is None:
        try:
            diskstats = Path("/proc/diskstats").read_text()
        except OSError:
            return None
    disks = {entry.name for entry in block_dir.glob("*") if (entry / "device").exists()}
    sectors = [int(fields[9]) for fields in map(str.split, diskstats.splitlines())
               if len(fields) > 9 and fields[2] in disks]
    return 512 * sum(sectors) if sectors else None


def _flush_writes() -> None:
    """PostgreSQL's dirty buffers (a checkpoint), then the operating system's (sync), onto disk. Untimed."""
    import psycopg

    try:
        with connect(autocommit=True) as conn:
            conn.execute("checkpoint")
    except psycopg.Error:  # CHECKPOINT needs a superuser or pg_checkpoint; the OS's flush still helps
        pass
    getattr(os, "sync", lambda: None)()  # Windows has no os.sync


def _timed_build(project: Path, schema: str, target: Path) -> dict:
    """One fresh `dbt build` of `project` into `schema` (dropped first), as its own process; its statuses and the
    bytes written to disk by the time its pages are flushed (a local warehouse; the flush is not timed)."""
    import subprocess

    _drop_schemas(schema)
    # Start each build with no dirty pages left by the one before: a build wrote 9.9-14.9 GB to disk at scale 0.1
    # (its tables, and the pages its first readers dirty by setting hint bits), and on a disk of 150-400 MB/s the
    # next build's writes waited behind them (the listing mart's create: 13-61 s).
    _flush_writes()
    written_before = disk_bytes_written()
    dbt = Path(sys.executable).parent / "dbt"
    started = time.perf_counter()
    done = subprocess.run([str(dbt), "build", "--quiet", "--project-dir", str(project), "--profiles-dir", str(ROOT),
                           "--target-path", str(target)], env={**os.environ, "DBT_SCHEMA": schema},
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    run_results = target / "run_results.json"
    if not run_results.exists():
        raise SystemExit(f"bench: dbt build of {project} wrote no results: {done.stdout[-400:]}{done.stderr[-400:]}")
    statuses = collections.Counter(r["status"] for r in json.loads(run_results.read_text())["results"])
    _flush_writes()
    written_after = disk_bytes_written()
    written = None if written_before is None or written_after is None else written_after - written_before
    return {"seconds": seconds, "exit_code": done.returncode, "statuses": dict(statuses), "bytes_written": written}


def bench_whole_build(args, results: dict) -> None:
    """This checkout's whole `dbt build` against --baseline-rev's, on the same raw tables, each a fresh build in a
    process of its own, interleaved base, current, base, ... so the machine's drift hits both alike."""
    import shutil
    import subprocess
    import tempfile

    if args.baseline_rev == "none":
        return
    workdir = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    checkout = workdir / "project"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(checkout), args.baseline_rev],
                   check=True)
    revision = subprocess.run(["git", "-C", str(checkout), "rev-parse", "--short", "HEAD"], check=True,
                              capture_output=True, text=True).stdout.strip()
    current, baseline = [], []
    try:
        for _ in range(max(args.repeats - 1, 1)):
            baseline.append(_timed_build(checkout, "whole_base", workdir / "target-base"))
            current.append(_timed_build(ROOT, "whole_current", workdir / "target-current"))
        baseline.append(_timed_build(checkout, "whole_base", workdir / "target-base"))
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(checkout)], check=False)
        shutil.rmtree(workdir, ignore_errors=True)
        _drop_schemas("whole_")
    results["whole_build"] = {"revision": revision, "current": current, "baseline": baseline}


def bench_sentiment(args, results: dict) -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    sql_rates = []
    with connect(autocommit=True) as conn:
        scored = f"{SCHEMA}_intermediate.int_comments_sentiment_scored"
        comments = conn.execute(f"select count(*) from {scored}").fetchone()[0]
        bodies = [r[0] for r in conn.execute(
            f"select body from {SCHEMA}_staging.stg_marketplace__comments order by comment_id limit 20000")]
    for _ in range(args.repeats):
        # --full-refresh: the scorer is incremental and would otherwise score only the latest delivery's comments
        seconds = model_seconds(run_dbt(["run", "--select", "int_comments_sentiment_scored", "--full-refresh"]))[
            "int_comments_sentiment_scored"]
        sql_rates.append(comments / seconds)
    analyzer = SentimentIntensityAnalyzer()
    python_rates = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        for body in bodies:
            analyzer.polarity_scores(body or "")
        python_rates.append(len(bodies) / (time.perf_counter() - started))
    results["sentiment"] = {"comments": comments, "sql_per_s": sql_rates, "vader_python_per_s": python_rates}


def bench_quarantine(args, results: dict) -> None:
    import generate_marketplace

    recreate_database(QUARANTINE_DATABASE)
    saved = os.environ.get("PGDATABASE")
    os.environ["PGDATABASE"] = QUARANTINE_DATABASE
    try:
        generate_marketplace.generate("", scale=0.01, seed=args.seed, dirty_rate=0.02)
        # cautious: leave out tests that also read models this selection does not build
        run_dbt(["build", "--select", "+data_quality_summary", "+data_quality_reconciliation",
                 "--indirect-selection", "cautious"])
        with connect(autocommit=True) as conn:
            results["quarantine"] = {
                "summary": conn.execute(
                    f"select table_name, reason, severity, flagged_rows from {SCHEMA}.data_quality_summary "
                    "where flagged_rows > 0 order by table_name, reason").fetchall(),
                "reconciliation": conn.execute(
                    f"select table_name, arrived_rows, clean_rows, blocked_rows, superseded_rows "
                    f"from {SCHEMA}.data_quality_reconciliation order by table_name").fetchall(),
            }
    finally:
        os.environ["PGDATABASE"] = saved or ""


def bench_export(args, results: dict) -> None:
    from bench import export_speed as bench_export

    # at least two repeats: the export's ratios are medians with min and max
    results["export"] = bench_export.run(schema=SCHEMA, repeats=max(args.repeats, 2))


def bench_incremental(args, results: dict) -> None:
    from bench import incremental_speed

    # A database of its own: the appends would change the raw tables the other steps read. The target is for an
    # append of about 1% of the raw rows; one generated day is about 0.05%, so each append is 20 days (fewer when
    # the repeats would run past the generator's horizon).
    repeats = max(args.repeats, 2)
    append_days = min(20, incremental_speed.HORIZON_DAYS // repeats)
    results["incremental"] = incremental_speed.run(scale=args.scale, seed=args.seed, repeats=repeats,
                                                   append_days=append_days)


def _timed_subprocess(cmd: list[str]) -> dict:
    """Run one command; its own wall time and peak RSS (os.wait4 reports the child's rusage alone)."""
    import subprocess

    started = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    error = child.stderr.read().decode(errors="replace").strip()
    child.stderr.close()
    if child.returncode != 0:
        raise SystemExit(f"bench: {' '.join(cmd[1:3])} failed: {error[-400:]}")
    return {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024}


def bench_trainer(args, results: dict) -> None:
    """scripts/train_baseline.py on a price_at_listing_start export of the bench's mart, and the dataset report of
    that export, each in a subprocess of its own (targets: the trainer reads and fits in < 2 min, < 2 GB)."""
    import shutil
    import tempfile

    task = "price_at_listing_start"
    manifest = ROOT / "target" / "bench" / "manifest.json"
    workdir = Path(tempfile.mkdtemp(prefix="bench-trainer-"))
    export = workdir / task
    try:
        _timed_subprocess([sys.executable, str(ROOT / "scripts" / "export_mart.py"), "listing_image_packages",
                           "--out", str(export), "--task", task, "--manifest", str(manifest), "--schema", SCHEMA,
                           "--quiet", "--no-report"])
        trainer, report = [], []
        for repeat in range(args.repeats):  # interleaved, like every other figure
            out = workdir / f"metrics-{repeat}"
            run = _timed_subprocess([sys.executable, str(ROOT / "scripts" / "train_baseline.py"), str(export),
                                     "--out", str(out), "--quiet", "--dbt-manifest", str(manifest)])
            metrics = json.loads((out / "metrics.json").read_text())
            trainer.append({**run, "read_s": metrics["timings"]["read_s"], "fit_s": metrics["timings"]["fit_s"]})
            report.append(_timed_subprocess([sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); "
                                             "from reporting.dataset_report import build; build(sys.argv[2])",
                                             str(ROOT / "scripts"), str(export)]))
        results["trainer"] = {
            "task": task,
            "package_rows": sum(json.loads((export / "manifest.json").read_text())["rows"].values()),
            "examples": metrics["examples"]["per_split"],
            "features": len(metrics["features"]["used"]),
            "test": metrics["test"]["model"],
            "trainer": trainer,
            "report": report,
        }
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def fmt(values, unit="", digits=0) -> str:
    median = statistics.median(values)
    return f"{median:,.{digits}f}{unit} (min {min(values):,.{digits}f}, max {max(values):,.{digits}f})"


def render(results: dict, args) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `make bench` (`scripts/bench/run.py`) on {results['when']}: {results['machine']}.",
        "Medians of the repeats with min and max; every speed figure has its baseline from the same run, because",
        "this machine's speed drifts by up to 1.6x from minute to minute. Re-run `make bench` to refresh.",
        "",
    ]
    gen = results.get("generator")
    if gen:
        lines += [
            f"## Generator (scale {gen['scale']}, {gen['total_rows']:,} rows, {args.repeats} runs)",
            "",
            "| figure | rows/s |", "|---|---|",
            f"| `generate_marketplace.py` end to end (Python + COPY) | {fmt(gen['rows_per_s'])} |",
            f"| baseline: server copying the same rows table to table | {fmt(gen['server_copy_floor_rows_per_s'])} |",
            "", "Target: 200k rows/s or better at scale 0.1.", "",
            "| table | rows |", "|---|---|", *[f"| {t} | {n:,} |" for t, n in gen["rows"].items()], "",
        ]
    build = results.get("build")
    if build:
        slowest = sorted(build["models"].items(), key=lambda item: -item[1])[:10]
        lines += [f"## dbt build (scale {args.scale}): {build['elapsed_s']:.1f} s in all", "",
                  "| slowest nodes | seconds |", "|---|---|", *[f"| {n} | {s:.1f} |" for n, s in slowest], ""]
    pkg = results.get("package_build")
    if pkg:
        lines += [
            f"## Listing image package vs the write floor ({pkg['packages']:,} packages)", "",
            "| figure | seconds |", "|---|---|",
            f"| `listing_image_packages` model (dbt run, execution time) | {fmt(pkg['mart_s'], digits=1)} |",
            f"| write floor: `create table as select *` from the mart | {fmt(pkg['write_floor_s'], digits=1)} |",
            f"| ratio mart / floor (target <= 1.3) | {fmt(pkg['ratios'], digits=2)} |", "",
            f"Server: max_parallel_workers_per_gather = {pkg.get('workers_per_query', '?')} on {os.cpu_count()} cores. "
            "PostgreSQL 15 writes a CREATE TABLE AS from the leader process only, while the jsonb assembly "
            "runs in the worker and, between writes, in the leader; on 2 cores the mart is bound by the sum of "
            "the two (see the header of models/marts/listing_images/listing_image_packages.sql).", "",
        ]
    est = results.get("price_estimate")
    if est:
        lines += [
            f"## Pre-sale price estimate ({est['listings']:,} sold car listings with an estimate, of {est['sold']:,})",
            "",
            "| figure | value |", "|---|---|",
            f"| R^2 of log sale price, the log estimate as the prediction (target >= 0.6) | {est['r2']:.3f} |",
            f"| squared correlation of log estimate and log sale price | {est['corr2']:.3f} |",
            f"| share of estimates off by more than 3x | {est['off_3x']:.1%} |", "",
            "Comparables: earlier sales of the same canonical make and model in a widening year band, cars only, "
            "credibility-weighted with the next wider step "
            "(models/intermediate/listings/int_listings_price_estimated.sql); then adjusted for market drift and "
            "the mileage gap as learned from the sales of the year before the start "
            "(int_listings_price_adjusted.sql).", "",
        ]
    whole = results.get("whole_build")
    if whole:
        def statuses(runs):
            counts = collections.Counter()
            for run in runs:
                counts.update(run["statuses"])
            return ", ".join(f"{k} {v // len(runs)}" for k, v in sorted(counts.items()))

        cur = [r["seconds"] for r in whole["current"]]
        base = [r["seconds"] for r in whole["baseline"]]
        # each current run against the mean of the baseline runs beside it
        ratios = [c / ((base[i] + base[i + 1]) / 2) for i, c in enumerate(cur)]
        def gigabytes_written(runs):
            written = [run.get("bytes_written") for run in runs]
            return "unknown" if None in written else fmt([b / 1e9 for b in written], digits=1)

        lines += [
            f"## Whole `dbt build` against the previous design ({whole['revision']}), scale {args.scale}", "",
            "| build (fresh schema, own process) | seconds | GB written to disk | node statuses per run |",
            "|---|---|---|---|",
            f"| this checkout | {fmt(cur, digits=1)} | {gigabytes_written(whole['current'])} "
            f"| {statuses(whole['current'])} |",
            f"| {whole['revision']} on the same raw tables | {fmt(base, digits=1)} "
            f"| {gigabytes_written(whole['baseline'])} | {statuses(whole['baseline'])} |",
            f"| ratio (target <= 0.5) | {fmt(ratios, digits=2)} | | |", "",
            "The two designs do different work (the current one keeps vehicle, user and technician histories, "
            "classes lots, and tests more); the ratio is what a user of the previous design gains or pays. "
            "Each build starts after a checkpoint and a `sync`; the bytes written count until its pages are on disk "
            "(all the machine's disks, so they mean something for a local warehouse only). Where the disk cannot keep "
            "up, the writes decide the seconds.", "",
        ]
    sent = results.get("sentiment")
    if sent:
        speedups = [s / p for s, p in zip(sent["sql_per_s"], sent["vader_python_per_s"], strict=True)]
        lines += [
            f"## Sentiment ({sent['comments']:,} comments)", "",
            "| figure | comments/s |", "|---|---|",
            f"| SQL VADER-style scorer (`int_comments_sentiment_scored`) | {fmt(sent['sql_per_s'])} |",
            f"| baseline: `vaderSentiment` in one Python process | {fmt(sent['vader_python_per_s'])} |",
            f"| speed-up (target >= 5x) | {fmt(speedups, 'x', 1)} |", "",
        ]
    inc = results.get("incremental")
    if inc:
        lines += ["## Incremental daily build", "", inc["markdown"], ""]
    exp = results.get("export")
    if exp:
        lines += ["## Export", "", exp.get("markdown", "```\n" + json.dumps(exp, indent=2) + "\n```"), ""]
    tr = results.get("trainer")
    if tr:
        seconds = {key: [r[key] for r in tr["trainer"]] for key in ("seconds", "read_s", "fit_s", "peak_rss_mb")}
        report = {key: [r[key] for r in tr["report"]] for key in ("seconds", "peak_rss_mb")}
        lines += [
            f"## Baseline trainer and dataset report ({tr['task']}: {tr['package_rows']:,} package rows, "
            f"{sum(tr['examples'].values()):,} listings, {tr['features']} features)", "",
            "| figure | seconds | peak RSS MB |", "|---|---|---|",
            f"| `train_baseline.py` end to end (subprocess) | {fmt(seconds['seconds'], digits=1)} "
            f"| {fmt(seconds['peak_rss_mb'])} |",
            f"| of which reading the export | {fmt(seconds['read_s'], digits=1)} | |",
            f"| of which fitting (3 settings, early stopping) | {fmt(seconds['fit_s'], digits=1)} | |",
            f"| dataset report (`reporting.dataset_report.build`) | {fmt(report['seconds'], digits=1)}"
            f" | {fmt(report['peak_rss_mb'])} |", "",
            "Targets: the trainer reads a scale-0.1 task export and fits within 2 minutes, peak memory under 2 GB. "
            f"Test split: RMSLE {tr['test'].get('rmsle') or float('nan'):.3f}, R^2 on log price "
            f"{tr['test'].get('r2_log') or float('nan'):.3f} ({tr['test']['n']:,} sold listings).", "",
        ]
    dq = results.get("quarantine")
    if dq:
        lines += ["## Quarantine at scale 0.01 (dirty rate 0.02)", "",
                  "| table | arrived | clean | blocked | superseded |", "|---|---|---|---|---|",
                  *[f"| {t} | {a:,} | {c:,} | {b:,} | {s:,} |" for t, a, c, b, s in dq["reconciliation"]], "",
                  "| table | reason | severity | rows |", "|---|---|---|---|",
                  *[f"| {t} | {r} | {s} | {n:,} |" for t, r, s, n in dq["summary"]], ""]
    return "\n".join(lines)


# Figures `make bench` cannot take itself (instruction counts need the server stopped for a single-user
# backend under valgrind) live below this line in BENCHMARKS.md, written by hand with how they were
# measured; a rewrite keeps them.
KEPT_SECTION_MARKER = "<!-- measured by hand: kept by make bench -->"


def write_report(path: Path, report: str) -> None:
    kept = ""
    if path.exists():
        previous = path.read_text()
        if KEPT_SECTION_MARKER in previous:
            kept = KEPT_SECTION_MARKER + previous.split(KEPT_SECTION_MARKER, 1)[1]
    path.write_text(report + "\n" + (kept if kept.endswith("\n") or not kept else kept + "\n"))


def main(argv=None) -> int:
    args = parse_args(argv)
    import warehouse

    if os.environ.get("CONTEXTPACK_BENCH_USE_ENV") != "1":
        os.environ.update(warehouse.start(quiet=True))
    recreate_database(BENCH_DATABASE)
    os.environ.update(PGDATABASE=BENCH_DATABASE, DBT_SCHEMA=SCHEMA, CONTEXTPACK_RAW_SCHEMA="raw")
    results = {
        "when": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}",
    }
    steps = [("generator", bench_generator), ("dbt build and package build", bench_build),
             ("price estimate quality", bench_price_estimate), ("sentiment", bench_sentiment)]
    if not args.skip_export:
        steps.append(("export", bench_export))
    steps.append(("baseline trainer and dataset report", bench_trainer))
    steps.append(("incremental daily build", bench_incremental))
    steps.append(("quarantine at scale 0.01", bench_quarantine))
    # last: the longest step (several whole builds), so the report has every other figure first
    steps.append(("whole build against the previous design", bench_whole_build))
    for name, step in steps:
        print(f"bench: {name} ...", flush=True)
        started = time.perf_counter()
        step(args, results)
        print(f"bench: {name} done in {time.perf_counter() - started:.0f}s", flush=True)
        # Written after every step, so a failure late in the run keeps what was measured.
        if args.write:
            write_report(Path(args.write), render(results, args))
    print(render(results, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
