"""scripts/train_baseline.py on the pytest sample: every task trains, counts and baselines against the warehouse,
determinism, the leakage canary, and bad arguments.

The leakage canary trains price_at_listing_start twice: on the task export, and on a full export with the
sale-derived fields (`outcome.*`, `training_labels.*`: the price/estimate ratio, the price tier) forced back in
as inputs. The leaky model must be dramatically better: its test RMSLE at most LEAK_RMSLE_RATIO times the clean
one's. If the task export leaked the sale price, both would be about as good and the canary would fail; if the
harness could not see a leak, neither would it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import train_baseline
from conftest import ROOT
from exporting import exporter
from exporting.exporter import ExportOptions
from reporting.tasks import baseline_spec, load_task_file, tasks_with_baseline

LEAK_RMSLE_RATIO = 0.5
TASK_FILE = load_task_file(ROOT / "export_tasks.yml")
TASKS = tasks_with_baseline(TASK_FILE)
LISTING_MART = "listing_image_packages"


def export_of(built_project, out: Path, mart: str, task: str | None) -> Path:
    exporter.run(
        ExportOptions(
            mart=mart,
            out=out,
            task=task,
            manifest=built_project.target_path / "manifest.json",
            dsn=built_project.dsn,
            progress=False,
        )
    )
    return out


@pytest.fixture(scope="session")
def task_exports(built_project, tmp_path_factory) -> dict[str, Path]:
    """One Parquet export per task with a baseline (exported once per session)."""
    base = tmp_path_factory.mktemp("task-exports")
    return {
        task: export_of(built_project, base / task, baseline_spec(TASK_FILE, task).marts[0], task) for task in TASKS
    }


@pytest.fixture(scope="session")
def full_listing_export(built_project, tmp_path_factory) -> Path:
    return export_of(built_project, tmp_path_factory.mktemp("full") / "listing", LISTING_MART, None)


def train(built_project, export: Path, *args: str) -> dict:
    code = train_baseline.main(
        [
            str(export),
            "--quiet",
            "--no-report",
            "--dbt-manifest",
            str(built_project.target_path / "manifest.json"),
            *args,
        ]
    )
    assert code == 0
    out = Path(args[args.index("--out") + 1]) if "--out" in args else export
    return json.loads((out / "metrics.json").read_text())


@pytest.fixture(scope="session")
def trained(built_project, task_exports) -> dict[str, dict]:
    return {task: train(built_project, path) for task, path in task_exports.items()}


def test_every_task_with_a_baseline_is_covered():
    assert set(TASKS) >= {
        "price_at_listing_start",
        "price_after_24h",
        "sold_at_listing_start",
        "technician_skill_level",
        "owner_type",
    }


def expected_examples(db, built_project, task: str) -> dict[str, int]:
    """Examples per split straight from the mart: one per listing for listing packages, target known.

    A label the rules could not decide ('unknown', e.g. an owner without measured miles) is no class to learn.
    """
    spec = baseline_spec(TASK_FILE, task)
    mart = spec.marts[0]
    relation = built_project.relation(mart)
    pointer = "{" + ",".join(spec.target.split(".")) + "}"
    unit = (TASK_FILE.get("examples") or {}).get(mart, {}).get("one_row_per")
    counted = f"count(distinct (package ->> '{unit}'))" if unit else "count(*)"
    rows = db.execute(
        f"select split, {counted} from {relation} where package #>> %s <> 'unknown' group by split", [pointer]
    ).fetchall()
    return dict(rows)


@pytest.mark.parametrize("task", TASKS)
def test_trains_on_one_example_per_unit_and_reports_against_baselines(built_project, db, task_exports, trained, task):
    metrics = trained[task]
    spec = baseline_spec(TASK_FILE, task)
    assert metrics["task"] == task and metrics["kind"] == spec.kind
    assert (task_exports[task] / "baseline.md").read_text().startswith(f"# Baseline: {task}")
    expected = expected_examples(db, built_project, task)
    assert {s: n for s, n in metrics["examples"]["per_split"].items() if n} == expected
    assert metrics["test"]["model"]["n"] == expected.get("test", 0)

    manifest = json.loads((task_exports[task] / "manifest.json").read_text())
    kept_inputs = set(manifest["task"]["kept_inputs"])
    for feature in metrics["features"]["used"]:
        # a feature is an exported input (or one key of an exported object of counts), never a target or id
        assert feature in kept_inputs or feature.rsplit(".", 1)[0] in kept_inputs, feature
        assert not feature.startswith(("as_of.", "rule_versions.", "image_context.")), feature
        assert not feature.endswith(("_id", "_key", "_url")) and feature not in ("split", "package_version")
    assert metrics["features"]["used"], "no features"

    test = metrics["test"]
    primary = metrics["primary_metric"]
    assert test["baselines"], "no baseline in the same run"
    if test["model"]["n"] >= 2 and primary != "roc_auc":
        assert math.isfinite(test["model"][primary])
    for entry in test["baselines"].values():
        assert entry["available"] or entry["why"]


def test_listing_tasks_drop_the_image_level_section(trained):
    for task in ("price_at_listing_start", "price_after_24h", "sold_at_listing_start"):
        metrics = trained[task]
        assert metrics["examples"]["one_row_per"] == "listing_id"
        assert metrics["examples"]["package_rows_read"] > 10 * sum(metrics["examples"]["per_split"].values())
        not_used = metrics["features"]["not_used"]
        assert "varies within one listing_id" in not_used["image_context.position"]
        assert "listing_id" in not_used["image_context.width"]  # constant per listing here, still the image's
    assert any(f.startswith("early_signals.") for f in trained["price_after_24h"]["features"]["used"])
    assert not any(f.startswith("early_signals.") for f in trained["price_at_listing_start"]["features"]["used"])


def test_technician_and_owner_tasks_drop_label_evidence(trained, task_exports):
    for task in ("technician_skill_level", "owner_type"):
        manifest = json.loads((task_exports[task] / "manifest.json").read_text())
        dropped = manifest["task"]["dropped"]
        assert any("label_evidence" in why for why in dropped.values())
        assert not set(dropped) & set(trained[task]["features"]["used"])


def test_make_model_median_matches_an_independent_computation(db, built_project, trained):
    """The make x model median baseline, recomputed from the mart in SQL (one row per sold listing)."""
    relation = built_project.relation(LISTING_MART)
    listings = db.execute(
        f"""select distinct on (listing_id) split, package #>> '{{vehicle_context,make}}',
                   package #>> '{{vehicle_context,model}}', (package #>> '{{outcome,sale_price}}')::float8
            from {relation} where package #>> '{{outcome,sale_price}}' is not null order by listing_id"""
    ).fetchall()
    train = [(make, model, math.log(price)) for split, make, model, price in listings if split == "train"]
    by_pair, by_make = {}, {}
    for make, model, value in train:
        by_pair.setdefault((make, model), []).append(value)
        by_make.setdefault(make, []).append(value)
    overall = float(np.median([v for _, _, v in train]))
    errors = []
    for split, make, model, price in listings:
        if split != "test":
            continue
        guess = by_pair.get((make, model)) or by_make.get(make)
        predicted = math.exp(float(np.median(guess)) if guess else overall)
        errors.append((math.log1p(predicted) - math.log1p(price)) ** 2)
    expected = math.sqrt(sum(errors) / len(errors))
    got = trained["price_at_listing_start"]["test"]["baselines"]["group_median"]["metrics"]["rmsle"]
    assert got == pytest.approx(expected, abs=1e-5)


def test_price_estimate_baseline_says_why_it_is_missing(trained, task_exports):
    manifest = json.loads((task_exports["price_at_listing_start"] / "manifest.json").read_text())
    estimate = trained["price_at_listing_start"]["test"]["baselines"]["estimate"]
    if "listing_context.price_estimate" in manifest["fields"]:
        assert estimate["available"] and estimate["metrics"]["n"] > 0
    else:
        assert not estimate["available"] and "listing_context.price_estimate" in estimate["why"]


def test_a_spec_saying_feature_false_is_honoured(built_project, task_exports, tmp_path):
    """A field spec may say `feature: false` (kept in the export, never an input): the trainer reads the specs
    from the dbt manifest and leaves such a field out, whatever its name."""
    manifest = json.loads((built_project.target_path / "manifest.json").read_text())
    node = next(
        n for n in manifest["nodes"].values() if n.get("name") == LISTING_MART and n["resource_type"] == "model"
    )
    column = node["columns"]["package"]
    for holder in (column.get("meta") or {}, (column.get("config") or {}).get("meta") or {}):
        if "package_fields" in holder:
            holder["package_fields"]["vehicle_context.color"]["feature"] = False
    edited = tmp_path / "manifest.json"
    edited.write_text(json.dumps(manifest))
    export = task_exports["price_at_listing_start"]
    code = train_baseline.main(
        [str(export), "--quiet", "--no-report", "--dbt-manifest", str(edited), "--out", str(tmp_path / "out")]
    )
    assert code == 0
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert "vehicle_context.color" not in metrics["features"]["used"]
    assert metrics["features"]["not_used"]["vehicle_context.color"] == "its spec says feature: false"


def test_same_seed_same_metrics(built_project, task_exports, tmp_path):
    runs = [
        train(built_project, task_exports["price_after_24h"], "--out", str(tmp_path / str(i)), "--seed", "7")
        for i in range(2)
    ]
    for run in runs:
        del run["timings"], run["written_at"]
    assert runs[0] == runs[1]


def test_leakage_canary(built_project, task_exports, full_listing_export, trained, tmp_path):
    clean = trained["price_at_listing_start"]
    # A full export trained with the task's own timing filter sees exactly what the task export holds.
    filtered = train(
        built_project, full_listing_export, "--task", "price_at_listing_start", "--out", str(tmp_path / "filtered")
    )
    assert filtered["features"]["used"] == clean["features"]["used"]
    assert filtered["test"] == clean["test"]
    leaky = train(
        built_project,
        full_listing_export,
        "--task",
        "price_at_listing_start",
        "--out",
        str(tmp_path / "leaky"),
        "--force-input",
        "outcome.*",
        "--force-input",
        "training_labels.*",
    )
    assert "outcome.price_vs_estimate" in leaky["forced_inputs"]
    assert "outcome.price_vs_estimate" in leaky["features"]["used"]
    assert "outcome.sale_price" not in leaky["features"]["used"]  # the target never becomes an input
    clean_rmsle, leaky_rmsle = clean["test"]["model"]["rmsle"], leaky["test"]["model"]["rmsle"]
    assert leaky_rmsle <= LEAK_RMSLE_RATIO * clean_rmsle, (clean_rmsle, leaky_rmsle)
    assert "LEAKY RUN" in (tmp_path / "leaky" / "baseline.md").read_text()


def test_metrics_reach_the_report(task_exports, trained):
    from reporting import dataset_report

    export = task_exports["owner_type"]
    report = dataset_report.refresh(export)
    text = report.read_text()
    assert "Baseline model: owner_type" in text
    assert (export / "report" / "baseline_metrics.png").exists()


# ------------------------------------------------------------------------------------------------ bad arguments


def run_main(argv: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        train_baseline.main(argv)
    return exc.value.code, capsys.readouterr().err


def test_help(capsys):
    code, _ = run_main(["--help"], capsys)
    assert code == 0


def test_bad_arguments_exit_2_with_one_line(built_project, task_exports, full_listing_export, tmp_path, capsys):
    manifest = str(built_project.target_path / "manifest.json")
    price = str(task_exports["price_at_listing_start"])
    (tmp_path / "empty").mkdir()
    cases = [
        ([str(tmp_path / "nope")], "does not exist"),
        ([str(tmp_path / "empty")], "no manifest.json"),
        ([price, "--task", "owner_type"], "exported for task 'price_at_listing_start'"),
        ([price, "--seed", "x"], "invalid int value"),
        ([price, "--force-input", "no_such.field"], "matches no field"),
        ([str(full_listing_export)], "without --task"),
        ([str(full_listing_export), "--task", "nope"], "unknown task"),
        ([str(full_listing_export), "--task", "owner_type"], "owner_profile_packages"),
        (
            [str(full_listing_export), "--task", "price_at_listing_start", "--dbt-manifest", str(tmp_path / "x.json")],
            "--dbt-manifest",
        ),
    ]
    for argv, message in cases:
        if "--dbt-manifest" not in argv:
            argv = [*argv, "--dbt-manifest", manifest]
        code, err = run_main([*argv, "--quiet", "--no-report"], capsys)
        assert code == 2, (argv, err)
        assert message in err and len(err.strip().splitlines()) == 1, (argv, err)
