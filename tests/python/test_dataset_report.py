"""The dataset report export_mart.py writes beside every export: produced, valid PNGs, numbers that agree with
the manifest and with the warehouse (counted there independently), and still produced without a warehouse."""

from __future__ import annotations

import json
import re
from pathlib import Path

import export_mart
import pytest
from matplotlib import image
from reporting import dataset_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def export_with_report(built_project, out: Path, mart: str, *args: str) -> Path:
    code = export_mart.main(
        [
            mart,
            "--out",
            str(out),
            "--manifest",
            str(built_project.target_path / "manifest.json"),
            "--dsn",
            built_project.dsn,
            "--quiet",
            *args,
        ]
    )
    assert code == 0
    return out


@pytest.fixture(scope="module")
def exports(built_project, tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("reported")
    return {
        "listing_full": export_with_report(built_project, base / "listing_full", "listing_image_packages"),
        "listing_task_jsonl": export_with_report(
            built_project,
            base / "listing_task",
            "listing_image_packages",
            "--task",
            "price_at_listing_start",
            "--format",
            "jsonl",
            "--compression",
            "zstd",
        ),
        # the same task in Parquet: the two formats' reports must count alike
        "listing_task_parquet": export_with_report(
            built_project, base / "listing_task_parquet", "listing_image_packages", "--task", "price_at_listing_start"
        ),
        "technicians": export_with_report(
            built_project, base / "technicians", "technician_work_packages", "--task", "technician_skill_level"
        ),
    }


def stats_of(export: Path) -> dict:
    return json.loads((export / "report" / "stats.json").read_text())


@pytest.mark.parametrize("name", ["listing_full", "listing_task_jsonl", "technicians"])
def test_report_is_written_and_every_plot_is_a_valid_png(exports, name):
    export = exports[name]
    html = (export / "report.html").read_text()
    pngs = sorted((export / "report").glob("*.png"))
    assert pngs
    for png in pngs:
        assert png.read_bytes()[:8] == PNG_MAGIC, png
        pixels = image.imread(png)
        assert pixels.ndim == 3 and pixels.shape[0] > 50 and pixels.shape[1] > 50, png
    referenced = set(re.findall(r'<img src="report/([^"]+)"', html))
    assert referenced == {p.name for p in pngs}
    assert "&#10007;" not in html, "a health check failed"


def test_listing_report_numbers_match_the_manifest_and_the_warehouse(exports, db, built_project):
    export = exports["listing_full"]
    manifest = json.loads((export / "manifest.json").read_text())
    stats = stats_of(export)
    assert stats["rows"] == manifest["rows"]
    html = (export / "report.html").read_text()
    for split, count in manifest["rows"].items():
        assert f"<td>{split}</td><td>{count:,}</td><td>{count:,}</td>" in html

    relation = built_project.relation("listing_image_packages")
    listings = dict(db.execute(f"select split, count(distinct listing_id) from {relation} group by split").fetchall())
    assert stats["examples"] == listings
    quality = db.execute(
        f"""select split, package #>> '{{training_labels,listing_quality}}', count(*) from
            (select distinct on (listing_id) split, package from {relation} order by listing_id) as l
            group by 1, 2"""
    ).fetchall()
    counts = stats["labels"]["training_labels.listing_quality"]["counts"]
    assert {(s, v, n) for s, per in counts.items() for v, n in per.items() if n} == set(quality)
    total, mileage_nulls = db.execute(
        f"select count(*), count(*) filter (where package #> '{{vehicle_context,mileage}}' is null"
        f" or package #> '{{vehicle_context,mileage}}' = 'null') from {relation}"
    ).fetchone()
    assert stats["missing_share"]["vehicle_context.mileage"] == pytest.approx(mileage_nulls / total)
    sold = db.execute(
        f"select count(distinct listing_id) from {relation} where package #>> '{{outcome,sold}}' = 'true'"
    ).fetchone()[0]
    assert sum(t["n"] for t in stats["prices"]["by_tier"].values()) == sold
    flagged = db.execute(
        f"select count(*) from {built_project.relation('data_quality_summary')} where flagged_rows > 0"
    ).fetchone()[0]
    assert len(stats["quarantine"]["rows"]) == flagged > 0


def test_jsonl_report_counts_what_the_parquet_one_counts(exports):
    # the same task in both formats (a task export drops the rows of photos added during the auction)
    jsonl, parquet = stats_of(exports["listing_task_jsonl"]), stats_of(exports["listing_task_parquet"])
    assert jsonl["rows"] == parquet["rows"] and jsonl["examples"] == parquet["examples"]
    assert jsonl["missing_share"]["vehicle_context.mileage"] == pytest.approx(
        parquet["missing_share"]["vehicle_context.mileage"]
    )
    assert jsonl["labels"]["outcome.sold"] == parquet["labels"]["outcome.sold"]


def test_an_empty_split_is_reported_not_fatal(exports):
    stats = stats_of(exports["technicians"])
    html = (exports["technicians"] / "report.html").read_text()
    if 0 in stats["rows"].values():
        assert "Empty split(s)" in html
    assert stats["one_row_per"] is None and stats["examples"] is None


def test_no_report_flag_and_no_warehouse(built_project, exports, tmp_path):
    out = export_with_report(built_project, tmp_path / "plain", "owner_profile_packages", "--no-report")
    assert (out / "manifest.json").exists() and not (out / "report.html").exists()
    report = dataset_report.build(out, dsn="host=127.0.0.1 port=1 dbname=x connect_timeout=2")
    assert "Quarantine counts unavailable" in report.read_text()
