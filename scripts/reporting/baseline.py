"""A task's baseline model on an export: train on `train`, choose on `validation`, report on `test`.

The model is scikit-learn's HistGradientBoosting (regressor or classifier) in a Pipeline whose
OrdinalEncoder feeds the strings to the model's own categorical support; the export's validation split drives
early stopping (Pipeline `transform_input`) and the choice among a few settings. Metrics are those of the test
split, overall and per quarter (or year, when quarters are too thin) of the mart's time field, against simple
baselines computed in the same run.
Everything is deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import resource
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import features as feat
from .exports import Export
from .tasks import BaselineSpec, baseline_spec, example_unit, load_task_file, matches

ROOT = Path(__file__).resolve().parents[2]
METRICS_FILE = "metrics.json"
MARKDOWN_FILE = "baseline.md"
TRAIN, VALIDATION, TEST = "train", "validation", "test"
# A few settings, chosen by the validation loss; each stops early on the validation split.
SETTINGS = (
    {"learning_rate": 0.1, "max_leaf_nodes": 15},
    {"learning_rate": 0.1, "max_leaf_nodes": 31},
    {"learning_rate": 0.05, "max_leaf_nodes": 31, "l2_regularization": 1.0},
)
MAX_ITER = 500
MAX_ITER_WITHOUT_VALIDATION = 100
MIN_EXAMPLES_PER_SLICE = 30
PRIMARY = {"regression": "rmsle", "binary": "roc_auc", "multiclass": "macro_f1"}
UNKNOWN_LABEL = "unknown"  # the label a rule gives when its inputs were unknown


class TrainUsageError(Exception):
    """Bad options or an export that does not fit the task: one line, exit code 2."""


@dataclass
class TrainOptions:
    export: Path
    task: str | None = None
    out: Path | None = None  # default: the export directory
    tasks_file: Path = ROOT / "export_tasks.yml"
    dbt_manifest: Path | None = ROOT / "target" / "manifest.json"
    force_inputs: list[str] = field(default_factory=list)
    seed: int = 42
    report: bool = True
    progress: bool = True


def _say(opts: TrainOptions, message: str) -> None:
    if opts.progress:
        print(f"train_baseline: {message}", flush=True)


# ---------------------------------------------------------------------------------------------- what to read


@dataclass
class Plan:
    spec: BaselineSpec
    allowed_inputs: list[str]  # known at the prediction time (or forced), before the feature rules
    forced: list[str]
    specs: dict[str, dict]
    specs_source: str
    unit: str | None
    slice_field: str | None
    leakage_filter: str


def _dbt_mart(path: Path | None, mart: str):
    """The mart as the dbt manifest describes it (full field specs and timings), or None when unavailable."""
    if not path or not Path(path).exists():
        return None
    from exporting.errors import UsageError
    from exporting.marts import find_mart, load_manifest

    try:
        return find_mart(load_manifest(Path(path)), mart)
    except UsageError:
        return None


def plan(export: Export, opts: TrainOptions) -> Plan:
    from .tasks import TaskSpecError

    try:
        data = load_task_file(opts.tasks_file)
        export_task = (export.task or {}).get("name")
        task_name = opts.task or export_task
        if not task_name:
            raise TrainUsageError(
                f"{export.path} was exported without --task: pass --task NAME (and the fields known after the "
                "prediction time are dropped by their timing tags, read from the dbt manifest)"
            )
        if export_task and opts.task and opts.task != export_task:
            raise TrainUsageError(
                f"{export.path} was exported for task {export_task!r}, not {opts.task!r}: export it with --task "
                f"{opts.task}"
            )
        spec = baseline_spec(data, task_name, export.mart)
    except TaskSpecError as exc:
        raise TrainUsageError(str(exc)) from exc
    if export.mart not in spec.marts:
        raise TrainUsageError(
            f"task {spec.task!r} is declared for {', '.join(spec.marts)}; {export.path} holds {export.mart}"
        )
    fields = export.fields
    if spec.target not in fields:
        raise TrainUsageError(f"the export has no target field {spec.target} (task {spec.task})")
    specs = export.field_metadata()
    dbt_mart = _dbt_mart(opts.dbt_manifest, export.mart)
    specs_source = "the export's Parquet field metadata" if specs else "none (JSONL export)"
    if dbt_mart is not None:
        for path, spec_ in dbt_mart.fields.items():
            specs[path] = {**specs.get(path, {}), **spec_}
        specs_source = f"the dbt manifest {opts.dbt_manifest}"
    if export.task:
        allowed = [p for p in export.task["kept_inputs"] if p in fields]
        leakage_filter = f"the export's task filter ({export.task['name']})"
    else:
        if dbt_mart is None:
            raise TrainUsageError(
                f"{export.path} was exported without --task, so the trainer must drop the fields known after the "
                f"prediction time itself: pass --dbt-manifest PATH (the manifest of the build that was exported)"
            )
        from exporting.errors import UsageError
        from exporting.tasks import load_tasks, select_fields

        try:
            selection = select_fields(
                load_tasks(Path(opts.tasks_file)), spec.task, export.mart, dbt_mart.fields, list(dbt_mart.timings)
            )
        except UsageError as exc:
            raise TrainUsageError(str(exc)) from exc
        allowed = [p for p in selection.kept_inputs if p in fields]
        leakage_filter = f"timing tags from the dbt manifest, as export_mart.py --task {spec.task} would"
    forced: list[str] = []
    for pattern in opts.force_inputs:
        hits = [p for p in fields if matches(p, pattern) and p != spec.target]
        if not hits:
            raise TrainUsageError(f"--force-input {pattern} matches no field of the export (besides the target)")
        forced += [p for p in hits if p not in allowed and p not in forced]
    unit = example_unit(data, export.mart)
    if unit and unit not in fields:
        raise TrainUsageError(
            f"{export.mart} examples are one per {unit} (export_tasks.yml `examples:`), but the export has no {unit}"
        )
    return Plan(
        spec=spec,
        allowed_inputs=allowed,
        forced=forced,
        specs=specs,
        specs_source=specs_source,
        unit=unit,
        slice_field=export.time_field(),
        leakage_filter=leakage_filter,
    )


# ---------------------------------------------------------------------------------------------- the model


def _estimator(kind: str, settings: dict, categorical: list[str], seed: int, early: bool):
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    cls = HistGradientBoostingRegressor if kind == "regression" else HistGradientBoostingClassifier
    return cls(
        **settings,
        max_iter=MAX_ITER if early else MAX_ITER_WITHOUT_VALIDATION,
        early_stopping=early,
        n_iter_no_change=20,
        categorical_features=categorical or None,
        random_state=seed,
    )


def _pipeline(kind: str, settings: dict, categorical: list[str], seed: int, early: bool):
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OrdinalEncoder

    # max_categories keeps a long tail (hundreds of models) within the model's 255 categorical bins: the rarest
    # share one code; unseen categories become missing.
    encoder = ColumnTransformer(
        [
            (
                "categorical",
                OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan, max_categories=255),
                categorical,
            )
        ],
        remainder="passthrough",
        verbose_feature_names_out=False,
    ).set_output(transform="pandas")
    model = _estimator(kind, settings, categorical, seed, early)
    if early:
        model.set_fit_request(X_val=True, y_val=True)
    return Pipeline([("encode", encoder), ("model", model)], transform_input=["X_val"] if early else None)


def _loss(kind: str, pipeline, x: pd.DataFrame, y: pd.Series) -> float:
    from sklearn.metrics import log_loss, mean_squared_error

    if kind == "regression":
        return float(mean_squared_error(y, pipeline.predict(x)))
    return float(log_loss(y, pipeline.predict_proba(x), labels=pipeline.classes_))


@dataclass
class Fitted:
    pipeline: object | None
    settings: dict | None
    iterations: int | None
    validation_loss: float | None
    candidates: list[dict]
    note: str | None = None


def fit_model(kind: str, x_train, y_train, x_val, y_val, categorical: list[str], seed: int) -> Fitted:
    import sklearn

    if kind != "regression" and y_train.nunique() < 2:
        return Fitted(None, None, None, None, [], note="not trained: the training split holds one class")
    if kind != "regression" and len(y_val):
        known = y_val.isin(set(y_train))
        x_val, y_val = x_val[known], y_val[known]  # a class the model never saw cannot score its loss
    early = len(y_val) > 0
    candidates, best = [], None
    with sklearn.config_context(enable_metadata_routing=True):
        for settings in SETTINGS if early else SETTINGS[:1]:
            pipeline = _pipeline(kind, settings, categorical, seed, early)
            if early:
                pipeline.fit(x_train, y_train, X_val=x_val, y_val=y_val)
            else:
                pipeline.fit(x_train, y_train)
            loss = _loss(kind, pipeline, x_val, y_val) if early else None
            candidate = {"settings": settings, "iterations": int(pipeline[-1].n_iter_), "validation_loss": loss}
            candidates.append(candidate)
            if best is None or (loss is not None and loss < best[1]["validation_loss"]):
                best = (pipeline, candidate)
    pipeline, chosen = best
    return Fitted(
        pipeline,
        chosen["settings"],
        chosen["iterations"],
        chosen["validation_loss"],
        candidates,
        note=None if early else "no validation rows: no early stopping, default settings",
    )


# ---------------------------------------------------------------------------------------------- metrics


def _finite(value) -> float | None:
    return None if value is None or not math.isfinite(value) else round(float(value), 6)


def regression_metrics(y_true_log: np.ndarray, y_pred_log: np.ndarray) -> dict:
    """On the log of a price: RMSLE, R^2 of the log, and on the price itself MAE and median absolute % error."""
    from sklearn.metrics import r2_score

    n = len(y_true_log)
    if n == 0:
        return {"n": 0}
    true, pred = np.exp(y_true_log), np.exp(y_pred_log)
    return {
        "n": n,
        "rmsle": _finite(np.sqrt(np.mean((np.log1p(pred) - np.log1p(true)) ** 2))),
        "r2_log": _finite(r2_score(y_true_log, y_pred_log)) if n >= 2 else None,
        "mae": _finite(np.mean(np.abs(pred - true))),
        "median_ape": _finite(np.median(np.abs(pred - true) / np.abs(true))),
    }


def plain_regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    from sklearn.metrics import r2_score

    n = len(y_true)
    if n == 0:
        return {"n": 0}
    nonzero = y_true != 0
    return {
        "n": n,
        "rmse": _finite(np.sqrt(np.mean((y_pred - y_true) ** 2))),
        "r2": _finite(r2_score(y_true, y_pred)) if n >= 2 else None,
        "mae": _finite(np.mean(np.abs(y_pred - y_true))),
        "median_ape": _finite(np.median(np.abs(y_pred - y_true)[nonzero] / np.abs(y_true[nonzero])))
        if nonzero.any()
        else None,
    }


def binary_metrics(y_true: np.ndarray, p_true: np.ndarray) -> dict:
    from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

    n = len(y_true)
    if n == 0:
        return {"n": 0}
    p = np.clip(p_true, 1e-6, 1 - 1e-6)
    return {
        "n": n,
        "positive_share": _finite(np.mean(y_true)),
        "roc_auc": _finite(roc_auc_score(y_true, p)) if len(set(y_true.tolist())) == 2 else None,
        "log_loss": _finite(log_loss(y_true, p, labels=[0, 1])),
        "brier": _finite(brier_score_loss(y_true, p)),
    }


def multiclass_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    n = len(y_true)
    if n == 0:
        return {"n": 0}
    labels = sorted(set(y_true.tolist()) | set(y_pred.tolist()))
    return {
        "n": n,
        "macro_f1": _finite(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)),
        "accuracy": _finite(accuracy_score(y_true, y_pred)),
    }


def metrics_for(kind: str, log_target: bool, y_true, prediction) -> dict:
    y_true, prediction = np.asarray(y_true), np.asarray(prediction)
    if kind == "regression":
        return (regression_metrics if log_target else plain_regression_metrics)(y_true, prediction)
    if kind == "binary":
        return binary_metrics(y_true.astype(int), prediction.astype(float))
    return multiclass_metrics(y_true.astype(str), prediction.astype(str))


# ---------------------------------------------------------------------------------------------- baselines


@dataclass
class Baseline:
    name: str
    label: str
    available: bool
    why: str | None = None
    predictions: pd.Series | None = None  # indexed like the evaluated frame; NaN where it has no prediction
    details: dict = field(default_factory=dict)


def baselines_for(
    spec: BaselineSpec, frame: pd.DataFrame, y: pd.Series, train: pd.Series, fields: list[str]
) -> list[Baseline]:
    out: list[Baseline] = []
    if spec.kind == "regression":
        if spec.estimate:
            label = f"the package's own pre-sale estimate ({spec.estimate})"
            if spec.estimate in frame.columns:
                estimate = pd.to_numeric(frame[spec.estimate], errors="coerce")
                estimate = estimate.where(estimate > 0)
                prediction = np.log(estimate) if spec.log_target else estimate
                out.append(Baseline("estimate", label, True, predictions=prediction))
            else:
                why = f"the export has no {spec.estimate}" + (
                    " (outcome.price_vs_estimate is an after-the-end ratio, not an input)"
                    if "outcome.price_vs_estimate" in fields
                    else ""
                )
                out.append(Baseline("estimate", label, False, why=why))
        groups = [g for g in spec.group_median if g in frame.columns]
        if groups:
            prediction, used = _group_median(frame, y, train, groups)
            out.append(
                Baseline(
                    "group_median",
                    f"median of {' x '.join(groups)} in the training split",
                    True,
                    predictions=prediction,
                    details={"prediction_from": used},
                )
            )
        elif spec.group_median:
            out.append(
                Baseline("group_median", f"median of {' x '.join(spec.group_median)}", False, why="fields not exported")
            )
    elif spec.kind == "binary":
        rate = float(y[train].mean())
        out.append(
            Baseline(
                "base_rate",
                f"the training split's base rate ({rate:.3f})",
                True,
                predictions=pd.Series(rate, index=frame.index),
            )
        )
    else:
        majority = y[train].value_counts().sort_index().idxmax()
        out.append(
            Baseline(
                "majority_class",
                f"the training split's majority class ({majority})",
                True,
                predictions=pd.Series(majority, index=frame.index),
            )
        )
    return out


def _group_median(frame, y, train, groups) -> tuple[pd.Series, dict]:
    """Median target per group of the training split; a row whose group never sold there falls back to its
    coarser group (make alone), then to the overall median."""
    prediction = pd.Series(np.nan, index=frame.index)
    used: dict[str, int] = {}
    keys = frame[groups].astype(object).where(frame[groups].notna(), "(missing)")
    for depth in range(len(groups), 0, -1):
        columns = groups[:depth]
        medians = y[train].groupby([keys.loc[train, c] for c in columns]).median()
        todo = prediction.isna()
        if not todo.any():
            break
        index = pd.MultiIndex.from_frame(keys.loc[todo, columns]) if depth > 1 else keys.loc[todo, columns[0]]
        found = pd.Series(medians.reindex(index).to_numpy(), index=prediction.index[todo])
        prediction[todo] = found
        used[" x ".join(columns)] = int(found.notna().sum())
    todo = prediction.isna()
    prediction[todo] = float(y[train].median())
    used["overall median"] = int(todo.sum())
    return prediction, used


# ---------------------------------------------------------------------------------------------- one run


def slice_labels(values: pd.Series) -> tuple[pd.Series, str]:
    """Quarter of each time value ("2025Q1"), or its year when quarters would hold fewer than
    MIN_EXAMPLES_PER_SLICE test examples on average (a metric of three examples shows noise, not drift)."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        values = pd.to_datetime(values, utc=True, errors="coerce")
    years = values.dt.year.astype("Int64").astype(str)
    quarters = years + "Q" + values.dt.quarter.astype("Int64").astype(str)
    present = values.notna()
    if present.sum() >= MIN_EXAMPLES_PER_SLICE * max(quarters[present].nunique(), 1):
        return quarters.where(present, "(no date)"), "quarter"
    return years.where(present, "(no date)"), "year"


def _evaluate(spec, rows: pd.Index, y: pd.Series, model_prediction: pd.Series, baselines: list[Baseline]) -> dict:
    result = {"model": metrics_for(spec.kind, spec.log_target, y[rows], model_prediction[rows])}
    out = {}
    for baseline in baselines:
        entry: dict = {"label": baseline.label, "available": baseline.available}
        if not baseline.available:
            entry["why"] = baseline.why
        else:
            prediction = baseline.predictions[rows]
            covered = rows[prediction.notna().to_numpy()]
            entry["metrics"] = metrics_for(spec.kind, spec.log_target, y[covered], prediction[covered])
            if len(covered) < len(rows):
                entry["coverage"] = f"{len(covered)} of {len(rows)} examples"
                entry["model_on_same_rows"] = metrics_for(
                    spec.kind, spec.log_target, y[covered], model_prediction[covered]
                )
            if baseline.details:
                entry.update(baseline.details)
        out[baseline.name] = entry
    result["baselines"] = out
    return result


def run(opts: TrainOptions) -> dict:
    started = time.perf_counter()
    export = Export(opts.export)
    p = plan(export, opts)
    spec = p.spec
    exclude = {spec.target} | {
        f for f in export.fields if any(matches(f, pat) for pat in spec.target_patterns) and f not in p.forced
    }
    candidates, not_used = feat.candidate_inputs(p.allowed_inputs + p.forced, p.specs, export.manifest, exclude)
    extra = [c for c in (spec.estimate, *spec.group_median, p.slice_field) if c and c in export.fields]
    columns = list(dict.fromkeys([*candidates, spec.target, *extra]))
    total_rows = sum(export.manifest["rows"].values())
    _say(opts, f"reading {len(columns)} fields of {export.path} ({export.format}, {total_rows:,} package rows)")
    frame, varying, rows_read = feat.read_examples(export, columns, p.unit, candidates)
    # A section with one field that varies within an example describes the row (the image), not the example:
    # all of it goes, so a field that happens to be constant in this data (image size) does not stay behind.
    row_sections = {path.split(".")[0] for path in varying}
    for path in candidates:
        if path.split(".")[0] in row_sections:
            not_used[path] = (
                f"varies within one {p.unit} (describes a row, not the example)"
                if path in varying
                else f"in section {path.split('.')[0]}, whose fields vary within one {p.unit}"
            )
    inputs = [c for c in candidates if c not in not_used]
    read_s = time.perf_counter() - started

    target = frame[spec.target]
    if spec.kind == "regression":
        target = pd.to_numeric(target, errors="coerce")
        if spec.log_target:
            target = target.where(target > 0)
    else:
        # A rule's `unknown` label says its inputs were unknown: no example, not a class to learn.
        target = target.where(target.astype(str).str.lower() != UNKNOWN_LABEL)
    missing_target = target.isna()
    without_target = frame.loc[missing_target, "split"].value_counts().to_dict()
    frame, target = frame[~missing_target], target[~missing_target]
    if spec.kind == "regression":
        y = np.log(target.astype(float)) if spec.log_target else target.astype(float)
    elif spec.kind == "binary":
        y = target.map(lambda v: int(bool(v)) if not isinstance(v, str) else int(v.lower() == "true"))
    else:
        y = target.astype(str)
    split = frame["split"]
    train, val, test = (split == TRAIN), (split == VALIDATION), (split == TEST)
    if not train.any():
        raise TrainUsageError(f"the export's train split holds no example with a {spec.target}")

    x, categorical, json_dropped = feat.model_frame(frame, inputs)
    not_used.update(json_dropped)
    x, categorical, uninformative = feat.drop_uninformative(x, train, categorical)
    not_used.update(uninformative)
    if x.shape[1] == 0:
        raise TrainUsageError(f"no input feature is left for task {spec.task} (see the fields' specs)")
    _say(
        opts,
        f"{len(frame):,} examples (train {int(train.sum()):,}, validation {int(val.sum()):,}, "
        f"test {int(test.sum()):,}), {x.shape[1]} features ({len(categorical)} categorical); fitting",
    )

    fit_started = time.perf_counter()
    fitted = fit_model(spec.kind, x[train], y[train], x[val], y[val], categorical, opts.seed)
    fit_s = time.perf_counter() - fit_started
    baselines = baselines_for(spec, frame, y, train, export.fields)
    prediction = _predict(spec, fitted, x, y, train, baselines)

    test_rows, val_rows = frame.index[test.to_numpy()], frame.index[val.to_numpy()]
    slices, period = [], None
    if p.slice_field and len(test_rows):
        labels, period = slice_labels(frame.loc[test_rows, p.slice_field])
        for label in sorted(labels.unique()):
            rows = test_rows[(labels == label).to_numpy()]
            slices.append({"slice": label, **_evaluate(spec, rows, y, prediction, baselines)})
    metrics = {
        "task": spec.task,
        "kind": spec.kind,
        "mart": export.mart,
        "export": str(export.path),
        "export_task": (export.task or {}).get("name"),
        "leakage_filter": p.leakage_filter,
        "forced_inputs": p.forced,
        "target": {"field": spec.target, "log": spec.log_target, "examples_without_target": without_target},
        "examples": {
            "one_row_per": p.unit,
            "package_rows_read": rows_read,
            "per_split": {s: int((split == s).sum()) for s in export.splits},
        },
        "features": {
            "used": list(x.columns),
            "categorical": categorical,
            "not_used": dict(sorted(not_used.items())),
            "field_specs_from": p.specs_source,
        },
        "model": {
            "estimator": "HistGradientBoostingRegressor"
            if spec.kind == "regression"
            else "HistGradientBoostingClassifier",
            "library": f"scikit-learn {_sklearn_version()}",
            "seed": opts.seed,
            "settings": fitted.settings,
            "iterations": fitted.iterations,
            "validation_loss": _finite(fitted.validation_loss),
            "candidates": fitted.candidates,
            "note": fitted.note,
        },
        "primary_metric": PRIMARY[spec.kind],
        "validation": {"model": metrics_for(spec.kind, spec.log_target, y[val_rows], prediction[val_rows])},
        "test": _evaluate(spec, test_rows, y, prediction, baselines),
        "slices": {"field": p.slice_field, "period": period, "split": TEST, "rows": slices},
        "reference": spec.reference,
        "timings": {
            "read_s": round(read_s, 3),
            "fit_s": round(fit_s, 3),
            "total_s": round(time.perf_counter() - started, 3),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        },
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    out = Path(opts.out or export.path)
    out.mkdir(parents=True, exist_ok=True)
    _write_atomically(out / METRICS_FILE, json.dumps(metrics, indent=2) + "\n")
    _write_atomically(out / MARKDOWN_FILE, markdown(metrics))
    if opts.report and out.resolve() == export.path.resolve():
        from .dataset_report import refresh

        refresh(export.path)
    return metrics


def _predict(spec, fitted: Fitted, x, y, train, baselines) -> pd.Series:
    if fitted.pipeline is None:  # one class in training: the model is the majority class
        constant = y[train].value_counts().idxmax()
        return pd.Series(float(constant) if spec.kind == "binary" else constant, index=x.index)
    if spec.kind == "binary":
        proba = fitted.pipeline.predict_proba(x)
        positive = list(fitted.pipeline.classes_).index(1)
        return pd.Series(proba[:, positive], index=x.index)
    return pd.Series(fitted.pipeline.predict(x), index=x.index)


def _sklearn_version() -> str:
    import sklearn

    return sklearn.__version__


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text)
    os.replace(tmp, path)


# ---------------------------------------------------------------------------------------------- Markdown

METRIC_NAMES = {
    "rmsle": "RMSLE",
    "r2_log": "R^2 (log price)",
    "mae": "MAE (USD)",
    "median_ape": "median abs. % error",
    "rmse": "RMSE",
    "r2": "R^2",
    "roc_auc": "ROC AUC",
    "log_loss": "log loss",
    "brier": "Brier score",
    "positive_share": "positive share",
    "macro_f1": "macro F1",
    "accuracy": "accuracy",
}


def format_metric(name: str, value) -> str:
    if value is None:
        return "n/a"
    if name == "mae":
        return f"{value:,.0f}"
    if name == "median_ape":
        return f"{100 * value:.1f}%"
    return f"{value:.3f}"


def metric_rows(metrics: dict) -> tuple[list[str], list[tuple[str, dict | None, str]]]:
    """The metric names of the kind and (label, metrics or None, note) per row: the model, then each baseline."""
    test = metrics["test"]
    names = [k for k in METRIC_NAMES if k in test["model"]]
    rows = [("model (" + metrics["model"]["estimator"] + ")", test["model"], metrics["model"].get("note") or "")]
    for entry in test["baselines"].values():
        if not entry["available"]:
            rows.append((entry["label"], None, "unavailable: " + entry["why"]))
            continue
        note = entry.get("coverage", "")
        rows.append((entry["label"], entry["metrics"], note))
        if "model_on_same_rows" in entry:
            rows.append(("model on the same examples", entry["model_on_same_rows"], note))
    return names, rows


def markdown(metrics: dict) -> str:
    names, rows = metric_rows(metrics)
    per_split = metrics["examples"]["per_split"]
    unit = metrics["examples"]["one_row_per"]
    lines = [
        f"# Baseline: {metrics['task']} ({metrics['kind']})",
        "",
        f"Export `{metrics['export']}` ({metrics['mart']}"
        + (f", task {metrics['export_task']}" if metrics["export_task"] else ", no task filter")
        + f"); target `{metrics['target']['field']}`"
        + (" (log)" if metrics["target"]["log"] else "")
        + "; "
        + ", ".join(f"{s} {n:,}" for s, n in per_split.items())
        + (
            f" examples, one per `{unit}` ({metrics['examples']['package_rows_read']:,} package rows read)"
            if unit
            else " examples"
        )
        + ".",
        f"Leakage filter: {metrics['leakage_filter']}.",
    ]
    if metrics["forced_inputs"]:
        lines += [
            "",
            "**LEAKY RUN**: fields forced in as inputs although not known at the prediction time: "
            + ", ".join(f"`{f}`" for f in metrics["forced_inputs"])
            + ".",
        ]
    if not metrics["test"]["model"]["n"]:
        lines += ["", "**The export has no test examples**: no test metrics (export the test split too)."]
    lines += [
        "",
        f"## Test split (primary metric: {METRIC_NAMES[metrics['primary_metric']]})",
        "",
        "| predictor | n | " + " | ".join(METRIC_NAMES[n] for n in names) + " | note |",
        "|---|---|" + "---|" * len(names) + "---|",
    ]
    for label, values, note in rows:
        cells = [format_metric(n, values.get(n)) if values else "" for n in names]
        n = str(values["n"]) if values else ""
        lines.append(f"| {label} | {n} | " + " | ".join(cells) + f" | {note} |")
    if metrics.get("reference"):
        lines += ["", metrics["reference"]]
    slices = metrics["slices"]
    if slices["rows"]:
        primary = metrics["primary_metric"]
        baseline_names = list(metrics["test"]["baselines"])
        lines += [
            "",
            f"## Per {slices['period']} of `{slices['field']}` (test split, {METRIC_NAMES[primary]})",
            "",
            f"| {slices['period']} | n | model | " + " | ".join(baseline_names) + " |",
            "|---|---|---|" + "---|" * len(baseline_names),
        ]
        for row in slices["rows"]:
            cells = []
            for name in baseline_names:
                entry = row["baselines"][name]
                cells.append(format_metric(primary, entry["metrics"].get(primary)) if entry["available"] else "n/a")
            lines.append(
                f"| {row['slice']} | {row['model']['n']} | "
                f"{format_metric(primary, row['model'].get(primary))} | " + " | ".join(cells) + " |"
            )
    model = metrics["model"]
    lines += [
        "",
        "## Model",
        "",
        f"{model['library']}, {model['estimator']}, seed {model['seed']}, settings {json.dumps(model['settings'])}, "
        f"{model['iterations']} iterations (early stopping on the validation split). "
        f"{len(metrics['features']['used'])} features ({len(metrics['features']['categorical'])} categorical): "
        + ", ".join(f"`{f}`" for f in metrics["features"]["used"])
        + ".",
        "",
        "Not used: " + "; ".join(f"`{f}` ({why})" for f, why in metrics["features"]["not_used"].items()) + ".",
        "",
        f"Read {metrics['timings']['read_s']:.1f} s, fit {metrics['timings']['fit_s']:.1f} s, total "
        f"{metrics['timings']['total_s']:.1f} s, peak RSS {metrics['timings']['peak_rss_mb']:.0f} MB.",
        "",
    ]
    return "\n".join(lines)
