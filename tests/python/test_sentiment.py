"""The SQL sentiment agrees with the Python vaderSentiment package, and its seeds are reproducible."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED_SCRIPT = ROOT / "scripts" / "build_vader_seeds.py"
SEED_DIR = ROOT / "seeds" / "sentiment"
SAMPLE_SIZE = 5000
MIN_PEARSON_R = 0.95
MIN_SIGN_AGREEMENT = 0.95
NEUTRAL_BAND = 0.05  # vaderSentiment's own convention: |compound| < 0.05 reads as neutral


def _sign(compound: float) -> int:
    if abs(compound) < NEUTRAL_BAND:
        return 0
    return 1 if compound > 0 else -1


@pytest.fixture(scope="module")
def scored_sample(built_project, db) -> list[tuple[int, str | None, float, float, float, float]]:
    scored = built_project.relation("int_comments_sentiment_scored")
    comments = built_project.relation("stg_marketplace__comments")
    return db.execute(
        f"""
        select
            scored.comment_id,
            comments.body,
            scored.sentiment_compound,
            scored.sentiment_positive,
            scored.sentiment_neutral,
            scored.sentiment_negative
        from {scored} as scored
        inner join {comments} as comments
            on scored.comment_id = comments.comment_id
        order by scored.comment_id
        limit %s
        """,
        (SAMPLE_SIZE,),
    ).fetchall()


def test_sql_sentiment_agrees_with_vader_sentiment(scored_sample):
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    assert len(scored_sample) >= 100, "too few scored comments in the sample to compare"
    analyzer = SentimentIntensityAnalyzer()
    python_scores = [analyzer.polarity_scores(body or "")["compound"] for _, body, *_ in scored_sample]
    sql_scores = [row[2] for row in scored_sample]

    same_sign = sum(_sign(p) == _sign(s) for p, s in zip(python_scores, sql_scores, strict=True))
    sign_agreement = same_sign / len(sql_scores)
    identical = sum(abs(p - s) < 1e-9 for p, s in zip(python_scores, sql_scores, strict=True))
    if np.std(python_scores) == 0 or np.std(sql_scores) == 0:
        pearson_r = 1.0 if python_scores == sql_scores else 0.0
    else:
        pearson_r = float(np.corrcoef(python_scores, sql_scores)[0, 1])
    print(
        f"\nsentiment agreement on {len(sql_scores)} comments: pearson r = {pearson_r:.5f}, "
        f"same sign = {sign_agreement:.2%}, identical compound = {identical / len(sql_scores):.2%}"
    )
    assert pearson_r >= MIN_PEARSON_R
    assert sign_agreement >= MIN_SIGN_AGREEMENT


def test_sentiment_shares_sum_to_one(scored_sample):
    off = [row[0] for row in scored_sample if abs(row[3] + row[4] + row[5] - 1) > 0.002]
    assert not off, f"positive + neutral + negative is not 1 for comments {off[:10]}"


def test_seed_script_help():
    result = subprocess.run(
        [sys.executable, str(SEED_SCRIPT), "--help"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "--out-dir" in result.stdout


def test_seed_script_rejects_unknown_options():
    result = subprocess.run(
        [sys.executable, str(SEED_SCRIPT), "--no-such-option"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


def test_seeds_regenerate_byte_for_byte(tmp_path):
    result = subprocess.run(
        [sys.executable, str(SEED_SCRIPT), "--out-dir", str(tmp_path), "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    generated = sorted(path.name for path in tmp_path.glob("*.csv"))
    committed = sorted(path.name for path in SEED_DIR.glob("*.csv"))
    assert generated == committed
    for name in committed:
        assert (tmp_path / name).read_bytes() == (SEED_DIR / name).read_bytes(), f"{name} differs"
