"""SQL sentiment scorer vs vaderSentiment, measured in the same run.

Times the compiled `int_comments_sentiment_scored` select (as `create temporary table ... as`, with the model's
pre-hook settings) over every clean comment, and vaderSentiment's polarity_scores() over a sample of the same
comment bodies, interleaved `repeats` times so machine drift hits both alike. Prints comments/s for each and
the ratio of the medians.

    python scripts/bench/sentiment_speed.py --schema dev    # needs a built dev_staging.stg_marketplace__comments
    python scripts/bench/sentiment_speed.py --schema bench --repeats 1

`run(dsn, schema)` returns the figures as a dict (for scripts/bench/run.py).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # scripts/: cli_common, exporting, ...

from cli_common import OneLineArgumentParser, connect  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODEL = "int_comments_sentiment_scored"


def parse_args(argv=None):
    parser = OneLineArgumentParser(
        prog="sentiment_speed.py",
        description="Comments/s of the SQL sentiment scorer vs vaderSentiment, interleaved in the same run.",
        epilog="example: python scripts/bench/sentiment_speed.py --schema dev --repeats 3",
    )
    parser.add_argument("--schema", default="dev", help="dbt schema the project was built in (default dev)")
    parser.add_argument("--dsn", help="libpq connection string (default: the PG* variables)")
    parser.add_argument("--repeats", type=int, default=3, help="timed repeats of each side (default 3)")
    parser.add_argument("--sample", type=int, default=50000, help="comments scored by vaderSentiment per repeat")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.sample < 1:
        parser.error("--sample must be at least 1")
    return args


def compiled_select(schema: str) -> tuple[str, list[str]]:
    """The model's select and its pre-hooks, compiled by dbt for `schema` (into a scratch target path)."""
    from dbt.cli.main import dbtRunner

    target = Path(tempfile.mkdtemp(prefix="bench-sentiment-"))
    previous = os.environ.get("DBT_SCHEMA")
    os.environ["DBT_SCHEMA"] = schema
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # dbt compile prints the compiled select
            result = dbtRunner().invoke(
                [
                    "compile",
                    # the model is incremental: without this, a built schema compiles the select that scores only
                    # the comments of the latest delivery and those not yet scored, not every clean comment
                    "--full-refresh",
                    "--select",
                    MODEL,
                    "--quiet",
                    "--project-dir",
                    str(ROOT),
                    "--profiles-dir",
                    str(ROOT),
                    "--target-path",
                    str(target),
                ]
            )
    finally:
        if previous is None:
            os.environ.pop("DBT_SCHEMA", None)
        else:
            os.environ["DBT_SCHEMA"] = previous
    if not result.success:
        raise SystemExit("sentiment_speed: dbt compile failed")
    manifest = json.loads((target / "manifest.json").read_text())
    shutil.rmtree(target, ignore_errors=True)
    node = next(n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == MODEL)
    return node["compiled_code"], [hook["sql"] for hook in node["config"].get("pre-hook", [])]


def time_sql(conn, select_sql: str, pre_hooks: list[str]) -> tuple[float, int]:
    """Seconds to create the scored table (with the model's pre-hooks in the same transaction), and its rows."""
    with conn.transaction():
        for hook in pre_hooks:
            conn.execute(hook)
        started = time.perf_counter()
        conn.execute(f"create temporary table bench_sentiment_scored on commit drop as {select_sql}")
        seconds = time.perf_counter() - started
        rows = conn.execute("select count(*) from bench_sentiment_scored").fetchone()[0]
    return seconds, rows


def time_vader(analyzer, bodies: list[str | None]) -> float:
    started = time.perf_counter()
    for body in bodies:
        analyzer.polarity_scores(body or "")
    return time.perf_counter() - started


def agreement_with_vader(analyzer, sampled: list[tuple[str | None, float]]) -> dict:
    """How closely the SQL compound follows vaderSentiment's on the sample: Pearson r and the share of same sign."""
    ours = [float(score) for _, score in sampled]
    theirs = [analyzer.polarity_scores(body or "")["compound"] for body, _ in sampled]
    same_sign = sum((a > 0) - (a < 0) == (b > 0) - (b < 0) for a, b in zip(ours, theirs, strict=True))
    return {
        "agreement_r": statistics.correlation(ours, theirs) if len(ours) > 1 else None,
        "agreement_same_sign_share": same_sign / len(ours) if ours else None,
    }


def run(dsn: str | None = None, schema: str = "dev", repeats: int = 3, sample: int = 50000) -> dict:
    """Interleave SQL and vaderSentiment `repeats` times; comments/s of each, and the ratio of the medians."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    select_sql, pre_hooks = compiled_select(schema)
    analyzer = SentimentIntensityAnalyzer()
    sql_rates, vader_rates = [], []
    with connect(dsn, autocommit=True) as conn:
        sampled = conn.execute(
            f"""
            select comments.body, scored.sentiment_compound
            from {schema}_staging.stg_marketplace__comments as comments
            inner join {schema}_intermediate.int_comments_sentiment_scored as scored
                on comments.comment_id = scored.comment_id
            where not comments.has_blocking_issue
            order by comments.comment_id
            limit %s
            """,
            (sample,),
        ).fetchall()
        bodies = [body for body, _ in sampled]
        for _ in range(repeats):
            seconds, rows = time_sql(conn, select_sql, pre_hooks)
            sql_rates.append(rows / seconds)
            vader_rates.append(len(bodies) / time_vader(analyzer, bodies))
    sql_median, vader_median = statistics.median(sql_rates), statistics.median(vader_rates)
    agreement = agreement_with_vader(analyzer, sampled)
    return {
        **agreement,
        "comments": rows,
        "vader_sample": len(bodies),
        "sql_per_s": sql_rates,
        "vader_python_per_s": vader_rates,
        "sql_median_per_s": sql_median,
        "vader_median_per_s": vader_median,
        "speedup": sql_median / vader_median,
    }


def main(argv=None) -> int:
    args = parse_args(argv)
    figures = run(dsn=args.dsn, schema=args.schema, repeats=args.repeats, sample=args.sample)
    print(
        f"SQL scorer:     {', '.join(f'{r:,.0f}' for r in figures['sql_per_s'])} comments/s "
        f"({figures['comments']:,} comments)"
    )
    print(
        f"vaderSentiment: {', '.join(f'{r:,.0f}' for r in figures['vader_python_per_s'])} comments/s "
        f"({figures['vader_sample']:,}-comment sample)"
    )
    print(f"median ratio SQL / vaderSentiment: {figures['speedup']:.2f}x")
    print(f"agreement with vaderSentiment: r = {figures['agreement_r']:.4f}, "
          f"same sign {figures['agreement_same_sign_share']:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
