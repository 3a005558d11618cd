"""`report.html` beside an export: is it healthy, at a glance, with the numbers behind the plots.

    build(export_dir)     # reads the exported files once (streaming), asks the warehouse for its quarantine
                          # counts, draws the data plots, writes report/stats.json and report.html
    refresh(export_dir)   # re-renders report.html from report/stats.json and metrics.json (after training)

Every number comes from the exported files themselves (not the manifest), so the first check, rows per split
against manifest.json, compares two independent counts. Listing packages (one row per image) are counted per
row for rows and months, and per listing (export_tasks.yml `examples:`) for labels and prices.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from matplotlib.ticker import FuncFormatter, NullFormatter

from .exports import Export
from .tasks import example_unit, load_task_file

ROOT = Path(__file__).resolve().parents[2]
REPORT_FILE = "report.html"
ASSETS_DIR = "report"
STATS_FILE = "stats.json"
METRICS_FILE = "metrics.json"
# The report's price sections read these package fields when the export has them.
SALE_PRICE = "outcome.sale_price"
PRICE_TIER = "training_labels.price_tier"
PRICE_ESTIMATE = "listing_context.price_estimate"
PRICE_RATIO = "outcome.price_vs_estimate"
LABEL_SECTIONS = ("training_labels", "outcome")
MAX_LABEL_VALUES = 30  # a label with more distinct values is not drawn as a distribution
SCATTER_POINTS = 20_000  # at most this many examples in the scatter (an evenly spaced sample beyond)


# ---------------------------------------------------------------------------------------------- statistics


def _label_fields(export: Export) -> list[str]:
    """Targets a person wants to see the balance of: the task's kept targets, else the label sections."""
    task = export.task
    candidates = task["kept_targets"] if task else [f for f in export.fields if f.split(".")[0] in LABEL_SECTIONS]
    leaves = export.leaf_fields()
    out = []
    for path in candidates:
        field = leaves.get(path)
        if field is None or not (pa.types.is_temporal(field.type) or pa.types.is_nested(field.type)):
            out.append(path)
    return out


def _months(column: pa.ChunkedArray) -> pa.Array:
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        return pc.strftime(column, format="%Y-%m")
    return pc.utf8_slice_codeunits(column.cast(pa.string()), 0, 7)  # ISO text: YYYY-MM...


def compute_stats(export: Export, tasks_file: Path = ROOT / "export_tasks.yml") -> tuple[dict, dict[str, list]]:
    """One streaming pass over the exported files: counts per split and month, labels, prices, nulls.

    Returns the statistics (kept in report/stats.json) and the per-example price columns the plots draw."""
    try:
        unit = example_unit(load_task_file(tasks_file), export.mart)
    except Exception:  # noqa: BLE001 - the report works without the task file, counting rows
        unit = None
    unit = unit if unit in export.fields else None
    time_field = export.time_field()
    labels = _label_fields(export)
    price_fields = [f for f in (SALE_PRICE, PRICE_TIER, PRICE_ESTIMATE, PRICE_RATIO) if f in export.fields]
    wanted = [f for f in dict.fromkeys([unit, time_field, *labels, *price_fields]) if f]
    parquet = export.format == "parquet"
    present: Counter | None = None if parquet else Counter()  # JSONL: this pass counts the nulls too

    rows: Counter = Counter()
    months: dict[str, Counter] = defaultdict(Counter)
    examples: Counter = Counter()
    label_counts: dict[str, dict[str, Counter]] = {f: defaultdict(Counter) for f in labels}
    numeric_labels: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    prices: dict[str, list] = {f: [] for f in price_fields}
    seen: set = set()
    for split, table in export.iter_tables(wanted, present=present):
        rows[split] += table.num_rows
        if time_field:
            for month, count in _value_counts(_months(table.column(time_field))):
                months[split][month or "(no date)"] += count
        if unit:
            column = table.column(unit)
            table = table.take(pc.index_in(pc.unique(column), value_set=column))
            fresh = [i for i, value in enumerate(table.column(unit).to_pylist()) if value not in seen]
            seen.update(table.column(unit).to_pylist())
            table = table.take(pa.array(fresh, type=pa.int64()))
        examples[split] += table.num_rows
        for path in labels:
            column = table.column(path)
            if pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
                numeric_labels[path][split] += [v for v in column.to_pylist() if v is not None]
                continue
            for value, count in _value_counts(column):
                label_counts[path][split][_label_text(value)] += count
        for path in price_fields:
            prices[path] += table.column(path).to_pylist()
    total = sum(rows.values())
    nulls = Counter(export.null_counts()[0]) if parquet else Counter({f: total - present[f] for f in export.fields})
    stats = {
        "mart": export.mart,
        "task": (export.task or {}).get("name"),
        "format": export.format,
        "computed_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rows": {s: rows.get(s, 0) for s in export.splits},
        "manifest_rows": dict(export.manifest["rows"]),
        "one_row_per": unit,
        "examples": {s: examples.get(s, 0) for s in export.splits} if unit else None,
        "time_field": time_field,
        "months": {s: dict(sorted(months[s].items())) for s in export.splits if months.get(s)},
        "labels": _finish_labels(label_counts, numeric_labels, export.splits),
        "missing_share": {f: (nulls[f] / total if total else None) for f in export.fields},
        "prices": _price_summary(prices),
    }
    return stats, prices


def _value_counts(column) -> list[tuple]:
    counted = pc.value_counts(column)
    return list(zip(counted.field("values").to_pylist(), counted.field("counts").to_pylist(), strict=True))


def _label_text(value) -> str:
    if value is None:
        return "(null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _finish_labels(counts: dict, numeric: dict, splits: list[str]) -> dict:
    out = {}
    for path, per_split in counts.items():
        values = sorted({v for c in per_split.values() for v in c})
        if len(values) > MAX_LABEL_VALUES:
            continue
        out[path] = {
            "kind": "categorical",
            "values": values,
            "counts": {s: {v: per_split[s].get(v, 0) for v in values} for s in splits},
        }
    for path, per_split in numeric.items():
        summary = {}
        for split in splits:
            data = np.asarray(per_split.get(split, []), dtype=float)
            summary[split] = (
                {
                    "n": int(data.size),
                    "p10": float(np.percentile(data, 10)),
                    "median": float(np.median(data)),
                    "p90": float(np.percentile(data, 90)),
                }
                if data.size
                else {"n": 0}
            )
        out[path] = {"kind": "numeric", "summary": summary}
    return out


def _price_summary(prices: dict[str, list]) -> dict:
    sale = prices.get(SALE_PRICE)
    out: dict = {}
    if sale is None:
        return out
    tiers = prices.get(PRICE_TIER)
    if tiers is not None:
        by_tier: dict[str, list] = defaultdict(list)
        for price, tier in zip(sale, tiers, strict=True):
            if price is not None and price > 0 and tier is not None:
                by_tier[tier].append(price)
        out["by_tier"] = {
            tier: {"n": len(v), "min": min(v), "median": float(np.median(v)), "max": max(v)}
            for tier, v in sorted(by_tier.items(), key=lambda item: float(np.median(item[1])))
        }
    estimate, source = _estimates(prices)
    if estimate is not None:
        pairs = [(e, s) for e, s in zip(estimate, sale, strict=True) if e and s and e > 0 and s > 0]
        logs = np.log(np.asarray(pairs, dtype=float)) if pairs else np.empty((0, 2))
        out["estimate_vs_sale"] = {
            "source": source,
            "n": len(pairs),
            "r2_log": float(1 - np.sum((logs[:, 1] - logs[:, 0]) ** 2) / np.sum((logs[:, 1] - logs[:, 1].mean()) ** 2))
            if len(pairs) > 1 and np.ptp(logs[:, 1]) > 0
            else None,
            "median_ratio": float(np.median(np.exp(logs[:, 1] - logs[:, 0]))) if pairs else None,
        }
    return out


def _estimates(prices: dict[str, list]) -> tuple[list | None, str | None]:
    if PRICE_ESTIMATE in prices:
        return prices[PRICE_ESTIMATE], f"`{PRICE_ESTIMATE}`"
    if PRICE_RATIO in prices:
        implied = [s / r if s and r else None for s, r in zip(prices[SALE_PRICE], prices[PRICE_RATIO], strict=True)]
        return implied, f"implied by the sale price and `{PRICE_RATIO}` (the package has no estimate field)"
    return None, None


def fetch_quarantine(export: Export, dsn: str | None) -> dict:
    """The warehouse's quarantine counts (data_quality_summary beside the mart), or why they could not be read."""
    import psycopg
    from psycopg import sql

    schema = export.relation_schema
    if not schema:
        return {"error": "the manifest names no relation"}
    try:
        with psycopg.connect(dsn or "", connect_timeout=int(os.environ.get("PGCONNECT_TIMEOUT", "5"))) as conn:
            rows = conn.execute(
                sql.SQL(
                    "select table_name, reason, severity, flagged_rows from {} where flagged_rows > 0 "
                    "order by flagged_rows desc, table_name, reason"
                ).format(sql.Identifier(schema, "data_quality_summary"))
            ).fetchall()
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return {"error": f"could not read {schema}.data_quality_summary: {reason}"}
    return {
        "relation": f"{schema}.data_quality_summary",
        "read_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rows": [{"table": t, "reason": r, "severity": s, "flagged_rows": int(n)} for t, r, s, n in rows],
    }


# ---------------------------------------------------------------------------------------------- plots


def _figure(width: float, height: float):  # a Figure without pyplot: no global state, no display needed
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _save(fig, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    fig.savefig(tmp, format="png", metadata={"Software": None})
    os.replace(tmp, path)


def plot_rows(stats: dict, path: Path) -> None:
    splits = list(stats["rows"])
    panels = [("package rows", stats["rows"])]
    if stats["examples"]:
        panels.append((f"examples (one per {stats['one_row_per']})", stats["examples"]))
    fig = _figure(3.5 * len(panels), 3)
    for index, (title, counts) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels), index + 1)
        bars = ax.bar(splits, [counts[s] for s in splits], color="#4c72b0" if index == 0 else "#dd8452")
        ax.bar_label(bars, labels=[f"{counts[s]:,}" for s in splits], fontsize=7)
        ax.set_title(title, fontsize=10)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    _save(fig, path)


def _month_range(present: set[str]) -> list[str]:
    """Every month from the first to the last present one (a month without rows shows as a gap)."""
    dated = sorted(m for m in present if len(m) == 7 and m[4] == "-" and m[:4].isdigit() and m[5:].isdigit())
    if not dated:
        return sorted(present)
    year, month = int(dated[0][:4]), int(dated[0][5:])
    out = []
    while f"{year:04d}-{month:02d}" <= dated[-1]:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out + sorted(present - set(out))


def plot_months(stats: dict, path: Path) -> None:
    months = _month_range({m for per in stats["months"].values() for m in per})
    fig = _figure(max(6, min(18, len(months) * 0.12)), 3.2)
    ax = fig.add_subplot()
    bottom = np.zeros(len(months))
    for split, per in stats["months"].items():
        values = np.array([per.get(m, 0) for m in months], dtype=float)
        ax.bar(range(len(months)), values, bottom=bottom, label=split, width=1.0)
        bottom += values
    step = max(1, len(months) // 12)
    ax.set_xticks(
        range(0, len(months), step),
        [months[i] for i in range(0, len(months), step)],
        rotation=45,
        ha="right",
        fontsize=7,
    )
    ax.set_ylabel("package rows")
    ax.set_title(f"Rows per month of {stats['time_field']}")
    ax.legend(fontsize=7)
    _save(fig, path)


def plot_labels(stats: dict, path: Path) -> bool:
    categorical = {k: v for k, v in stats["labels"].items() if v["kind"] == "categorical"}
    if not categorical:
        return False
    fig = _figure(4.2 * min(3, len(categorical)), 3 * ((len(categorical) + 2) // 3))
    for index, (field, entry) in enumerate(categorical.items()):
        ax = fig.add_subplot((len(categorical) + 2) // 3, min(3, len(categorical)), index + 1)
        values = entry["values"]
        splits = [s for s, c in entry["counts"].items() if sum(c.values())]
        width = 0.8 / max(len(splits), 1)
        for offset, split in enumerate(splits):
            counts = entry["counts"][split]
            total = sum(counts.values())
            ax.bar(np.arange(len(values)) + offset * width, [counts[v] / total for v in values], width, label=split)
        ax.set_xticks(np.arange(len(values)) + 0.4 - width / 2, values, rotation=30, ha="right", fontsize=7)
        ax.set_title(field, fontsize=9)
        ax.set_ylabel("share of split", fontsize=8)
        if index == 0:
            ax.legend(fontsize=7)
    _save(fig, path)
    return True


def plot_price_by_tier(prices: dict, stats: dict, path: Path) -> bool:
    by_tier = stats["prices"].get("by_tier")
    if not by_tier:
        return False
    tiers = list(by_tier)
    data = defaultdict(list)
    for price, tier in zip(prices[SALE_PRICE], prices[PRICE_TIER], strict=True):
        if price is not None and price > 0 and tier is not None:
            data[tier].append(price)
    fig = _figure(6, 3.2)
    ax = fig.add_subplot()
    ax.boxplot([data[t] for t in tiers], tick_labels=tiers)
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    ax.set_ylabel("sale price (USD, log scale)")
    ax.set_title(f"{SALE_PRICE} by {PRICE_TIER}")
    _save(fig, path)
    return True


def plot_missing(stats: dict, path: Path) -> None:
    shares = stats["missing_share"]
    fields = list(shares)
    fig = _figure(7, max(2.5, 0.18 * len(fields) + 1))
    ax = fig.add_subplot()
    values = [100 * (shares[f] or 0) for f in fields]
    colors = ["#c44e52" if v >= 99.999 else "#4c72b0" for v in values]
    ax.barh(range(len(fields)), values, color=colors)
    ax.set_yticks(range(len(fields)), fields, fontsize=6)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("% of package rows null (red: every row)")
    ax.set_title("Missing values per package field")
    _save(fig, path)


def plot_quarantine(quarantine: dict, path: Path) -> bool:
    rows = quarantine.get("rows") or []
    if not rows:
        return False
    shown = rows[:25]
    fig = _figure(7, max(2.5, 0.22 * len(shown) + 1))
    ax = fig.add_subplot()
    ax.barh(
        range(len(shown)),
        [r["flagged_rows"] for r in shown],
        color=["#c44e52" if r["severity"] == "blocking" else "#ccb974" for r in shown],
    )
    ax.set_yticks(range(len(shown)), [f"{r['table']}: {r['reason']}" for r in shown], fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("flagged raw rows (log scale; red blocking, yellow warning)")
    ax.set_title("Quarantine reasons in the warehouse")
    _save(fig, path)
    return True


def plot_estimate_vs_sale(prices: dict, path: Path) -> bool:
    estimate, source = _estimates(prices)
    if estimate is None:
        return False
    pairs = np.asarray(
        [(e, s) for e, s in zip(estimate, prices[SALE_PRICE], strict=True) if e and s and e > 0 and s > 0], dtype=float
    )
    if not len(pairs):
        return False
    if len(pairs) > SCATTER_POINTS:
        pairs = pairs[np.linspace(0, len(pairs) - 1, SCATTER_POINTS).astype(int)]
    fig = _figure(4.5, 4.5)
    ax = fig.add_subplot()
    ax.scatter(pairs[:, 0], pairs[:, 1], s=8 if len(pairs) > 2000 else 16, alpha=0.5, color="#4c72b0", linewidths=0)
    low, high = pairs.min(), pairs.max()
    ax.plot([low, high], [low, high], color="#c44e52", linewidth=1, label="sale = estimate")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("pre-sale estimate (USD)")
    ax.set_ylabel("sale price (USD)")
    ax.set_title("Price estimate vs sale price", fontsize=10)
    ax.legend(fontsize=7)
    _save(fig, path)
    return True


def plot_metrics(metrics: dict, path: Path) -> None:
    from .baseline import METRIC_NAMES

    primary = metrics["primary_metric"]
    test = metrics["test"]
    drawn = [("model", test["model"].get(primary))] + [
        (name, entry["metrics"].get(primary)) for name, entry in test["baselines"].items() if entry["available"]
    ]
    drawn = [(label, value) for label, value in drawn if value is not None]
    slices = metrics["slices"]["rows"]
    fig = _figure(9, 3.2)
    ax = fig.add_subplot(1, 2, 1)
    ax.barh(range(len(drawn)), [v for _, v in drawn], color="#4c72b0")
    ax.set_yticks(range(len(drawn)), [label for label, _ in drawn], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel(f"test {METRIC_NAMES[primary]}")
    ax.set_title(f"{metrics['task']}: model vs baselines", fontsize=9)
    ax = fig.add_subplot(1, 2, 2)
    if slices:
        labels = [r["slice"] for r in slices]
        ax.plot(labels, [r["model"].get(primary) for r in slices], marker="o", label="model")
        for name in metrics["test"]["baselines"]:
            values = [
                r["baselines"][name]["metrics"].get(primary) if r["baselines"][name]["available"] else None
                for r in slices
            ]
            if any(v is not None for v in values):
                ax.plot(labels, [np.nan if v is None else v for v in values], marker=".", label=name)
        ax.tick_params(axis="x", labelrotation=45, labelsize=7)
        ax.legend(fontsize=7)
    ax.set_title(f"per {metrics['slices']['period'] or 'slice'} of {metrics['slices']['field']} (test)", fontsize=9)
    _save(fig, path)


# ---------------------------------------------------------------------------------------------- HTML


def health_checks(stats: dict, quarantine: dict, metrics: dict | None) -> list[tuple[str, str]]:
    """(status, sentence) pairs: ok, warn or fail."""
    checks = []
    rows, manifest_rows = stats["rows"], stats["manifest_rows"]
    if rows == manifest_rows:
        checks.append(
            (
                "ok",
                "Rows read from the files equal manifest.json for every split: "
                + ", ".join(f"{s} {n:,}" for s, n in rows.items())
                + ".",
            )
        )
    else:
        checks.append(
            (
                "fail",
                "Rows read from the files differ from manifest.json: "
                + ", ".join(f"{s} {rows.get(s, 0):,} vs {manifest_rows.get(s, 0):,}" for s in manifest_rows)
                + ".",
            )
        )
    empty = [s for s, n in rows.items() if n == 0]
    checks.append(("warn", f"Empty split(s): {', '.join(empty)}.") if empty else ("ok", "Every split holds rows."))
    all_null = [f for f, share in stats["missing_share"].items() if share is not None and share >= 1]
    checks.append(
        ("warn", "Fields null in every row: " + ", ".join(f"<code>{f}</code>" for f in all_null) + ".")
        if all_null
        else ("ok", "No field is null in every row.")
    )
    for field, entry in stats["labels"].items():
        if entry["kind"] != "categorical":
            continue
        lacking = [
            s for s, c in entry["counts"].items() if rows.get(s) and not any(n for v, n in c.items() if v != "(null)")
        ]
        if lacking:
            checks.append(("warn", f"<code>{field}</code> has no value in split(s) {', '.join(lacking)}."))
    if "error" in quarantine:
        checks.append(("warn", f"Quarantine counts unavailable: {html.escape(quarantine['error'])}."))
    else:
        blocking = sum(r["flagged_rows"] for r in quarantine["rows"] if r["severity"] == "blocking")
        warning = sum(r["flagged_rows"] for r in quarantine["rows"] if r["severity"] != "blocking")
        checks.append(
            (
                "ok",
                f"Quarantine: {blocking:,} raw rows blocked, {warning:,} kept with a warning "
                f"({len(quarantine['rows'])} table/reason pairs).",
            )
        )
    if metrics:
        from .baseline import METRIC_NAMES

        primary = metrics["primary_metric"]
        model = metrics["test"]["model"].get(primary)
        lower_is_better = primary in ("rmsle", "rmse", "log_loss")
        beaten = []
        for entry in metrics["test"]["baselines"].values():
            if entry["available"] and entry["metrics"].get(primary) is not None and model is not None:
                base = entry["metrics"][primary]
                if (model < base) if lower_is_better else (model > base):
                    beaten.append(entry["label"])
                else:
                    checks.append(
                        (
                            "warn",
                            f"The baseline model does not beat {html.escape(entry['label'])} on test "
                            f"{METRIC_NAMES[primary]} ({model:.3f} vs {base:.3f}).",
                        )
                    )
        if beaten:
            checks.append(("ok", f"The model beats {len(beaten)} baseline(s) on test {METRIC_NAMES[primary]}."))
        if metrics.get("forced_inputs"):
            checks.append(
                (
                    "fail",
                    "metrics.json comes from a LEAKY run (inputs forced in: "
                    + ", ".join(metrics["forced_inputs"])
                    + ").",
                )
            )
    return checks


def _table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def _img(name: str, alt: str) -> str:
    return f'<img src="{ASSETS_DIR}/{name}" alt="{html.escape(alt)}">'


def render_html(export: Export, stats: dict, quarantine: dict, metrics: dict | None, plots: dict[str, str]) -> str:
    from .baseline import METRIC_NAMES, format_metric, metric_rows

    checks = health_checks(stats, quarantine, metrics)
    marks = {"ok": "&#10003;", "warn": "!", "fail": "&#10007;"}
    title = f"{stats['mart']}" + (f" (task {stats['task']})" if stats["task"] else "")
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>Dataset report: {html.escape(title)}</title>",
        "<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0 1em}td,th{border:1px solid #ccc;padding:3px 8px;"
        "text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}"
        "img{max-width:100%;border:1px solid #eee;margin:.3em 0}.ok{color:#2a7a2a}.warn{color:#b07400}"
        ".fail{color:#b00020;font-weight:bold}li{margin:.2em 0}code{background:#f5f5f5;padding:0 3px}</style>",
        "</head><body>",
        f"<h1>Dataset report: {html.escape(title)}</h1>",
        f"<p>Export <code>{html.escape(str(export.path))}</code>, {stats['format']}, "
        f"{sum(stats['rows'].values()):,} package rows; computed {stats['computed_at']} from the exported files.</p>",
        "<h2>Health</h2><ul>",
        *[f"<li class={s}><span class={s}>{marks[s]}</span> {text}</li>" for s, text in checks],
        "</ul>",
    ]
    if metrics:
        names, rows = metric_rows(metrics)
        parts += [
            f"<h2>Baseline model: {html.escape(metrics['task'])}</h2>",
            f"<p>Test split; primary metric {METRIC_NAMES[metrics['primary_metric']]}. Written by "
            f"<code>scripts/train_baseline.py</code> at {metrics['written_at']} (details in "
            "<code>baseline.md</code> and <code>metrics.json</code>).</p>",
        ]
        parts.append(
            _table(
                ["predictor", "n", *[METRIC_NAMES[n] for n in names], "note"],
                [
                    [
                        html.escape(label),
                        values["n"] if values else "",
                        *[format_metric(n, values.get(n)) if values else "" for n in names],
                        html.escape(note),
                    ]
                    for label, values, note in rows
                ],
            )
        )
        if metrics.get("reference"):
            parts.append(f"<p>{html.escape(metrics['reference'])}</p>")
        if "metrics" in plots:
            parts.append(_img(plots["metrics"], "model vs baselines"))
    split_rows = [
        [s, f"{n:,}", f"{stats['manifest_rows'].get(s, 0):,}"]
        + ([f"{stats['examples'][s]:,}"] if stats["examples"] else [])
        for s, n in stats["rows"].items()
    ]
    parts += [
        "<h2>Rows per split and month</h2>",
        _table(
            ["split", "rows in files", "rows in manifest.json"]
            + ([f"examples (one per {stats['one_row_per']})"] if stats["examples"] else []),
            split_rows,
        ),
        _img(plots["rows"], "rows per split"),
    ]
    if "months" in plots:
        parts.append(_img(plots["months"], "rows per month"))
    if stats["labels"]:
        per = f"per {stats['one_row_per']}" if stats["one_row_per"] else "per row"
        parts.append(f"<h2>Labels per split</h2><p>Counted {per}.</p>")
        if "labels" in plots:
            parts.append(_img(plots["labels"], "label distributions"))
        for field, entry in stats["labels"].items():
            if entry["kind"] == "categorical":
                splits = list(entry["counts"])
                parts.append(
                    f"<h3><code>{html.escape(field)}</code></h3>"
                    + _table(
                        ["value", *splits],
                        [[html.escape(v), *[f"{entry['counts'][s][v]:,}" for s in splits]] for v in entry["values"]],
                    )
                )
            else:
                parts.append(
                    f"<h3><code>{html.escape(field)}</code></h3>"
                    + _table(
                        ["split", "n", "p10", "median", "p90"],
                        [
                            [s, v["n"], *[_number(v[k]) if k in v else "" for k in ("p10", "median", "p90")]]
                            for s, v in entry["summary"].items()
                        ],
                    )
                )
    prices = stats["prices"]
    if prices.get("by_tier"):
        parts += [
            "<h2>Sale price by tier</h2>",
            _table(
                ["tier", "sold examples", "min", "median", "max"],
                [
                    [t, v["n"], f"{v['min']:,.0f}", f"{v['median']:,.0f}", f"{v['max']:,.0f}"]
                    for t, v in prices["by_tier"].items()
                ],
            ),
        ]
        if "price_by_tier" in plots:
            parts.append(_img(plots["price_by_tier"], "sale price by tier"))
    if prices.get("estimate_vs_sale"):
        entry = prices["estimate_vs_sale"]
        r2 = "n/a" if entry["r2_log"] is None else f"{entry['r2_log']:.3f}"
        ratio = "n/a" if entry["median_ratio"] is None else f"{entry['median_ratio']:.3f}"
        parts.append(
            f"<h2>Price estimate vs sale price</h2><p>Estimate: {entry['source']}; {entry['n']:,} sold "
            f"examples; R^2 of log sale price against log estimate {r2}; median sale / estimate {ratio}.</p>"
        )
        if "estimate_vs_sale" in plots:
            parts.append(_img(plots["estimate_vs_sale"], "estimate vs sale price"))
    parts += [
        "<h2>Missing values per package field</h2>",
        _img(plots["missing"], "missing share"),
        _table(
            ["field", "null share"],
            [
                [f"<code>{html.escape(f)}</code>", "n/a" if s is None else f"{100 * s:.1f}%"]
                for f, s in stats["missing_share"].items()
            ],
        ),
    ]
    parts.append("<h2>Quarantine reasons (warehouse)</h2>")
    if "error" in quarantine:
        parts.append(f"<p>Unavailable: {html.escape(quarantine['error'])}</p>")
    else:
        parts.append(
            f"<p>From <code>{quarantine['relation']}</code>, read {quarantine['read_at']}: raw rows flagged "
            "per table and reason (blocking rows never reach a package; warnings are cleaned).</p>"
        )
        if "quarantine" in plots:
            parts.append(_img(plots["quarantine"], "quarantine reasons"))
        parts.append(
            _table(
                ["table", "reason", "severity", "flagged rows"],
                [[r["table"], r["reason"], r["severity"], f"{r['flagged_rows']:,}"] for r in quarantine["rows"]],
            )
        )
    parts.append("</body></html>\n")
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------- entry points


def _write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text)
    os.replace(tmp, path)


def build(export_dir: Path, dsn: str | None = None, tasks_file: Path = ROOT / "export_tasks.yml") -> Path:
    """Compute the export's statistics, draw the data plots, render report.html; return its path."""
    import matplotlib

    matplotlib.use("Agg")
    export = Export(Path(export_dir))
    assets = export.path / ASSETS_DIR
    assets.mkdir(exist_ok=True)
    for stale in assets.glob("*.png"):
        stale.unlink()
    stats, prices = compute_stats(export, tasks_file)
    stats["quarantine"] = fetch_quarantine(export, dsn)
    plots = {"rows": "rows_per_split.png", "missing": "missing_share.png"}
    plot_rows(stats, assets / plots["rows"])
    plot_missing(stats, assets / plots["missing"])
    if stats["months"]:
        plots["months"] = "rows_per_month.png"
        plot_months(stats, assets / plots["months"])
    optional = {
        "labels": ("labels_per_split.png", lambda p: plot_labels(stats, p)),
        "price_by_tier": ("sale_price_by_tier.png", lambda p: plot_price_by_tier(prices, stats, p)),
        "estimate_vs_sale": ("estimate_vs_sale.png", lambda p: plot_estimate_vs_sale(prices, p)),
        "quarantine": ("quarantine_reasons.png", lambda p: plot_quarantine(stats["quarantine"], p)),
    }
    for key, (name, draw) in optional.items():
        if draw(assets / name):
            plots[key] = name
    stats["plots"] = plots
    _write_text(assets / STATS_FILE, json.dumps(stats, indent=1) + "\n")
    return refresh(export.path)


def refresh(export_dir: Path) -> Path:
    """Re-render report.html from report/stats.json and, when present, metrics.json (build first if needed)."""
    import matplotlib

    matplotlib.use("Agg")
    export = Export(Path(export_dir))
    stats_path = export.path / ASSETS_DIR / STATS_FILE
    if not stats_path.exists():
        return build(export.path)
    stats = json.loads(stats_path.read_text())
    plots = dict(stats.get("plots") or {})
    metrics_path = export.path / METRICS_FILE
    metrics = json.loads(metrics_path.read_text()) if metrics_path.exists() else None
    metrics_plot = export.path / ASSETS_DIR / "baseline_metrics.png"
    if metrics:
        plot_metrics(metrics, metrics_plot)
        plots["metrics"] = metrics_plot.name
    elif metrics_plot.exists():
        metrics_plot.unlink()
    report = export.path / REPORT_FILE
    _write_text(report, render_html(export, stats, stats["quarantine"], metrics, plots))
    return report


def write_after_export(export_dir: Path, dsn: str | None = None) -> int:
    """What export_mart.py runs after every export: build the report, print its path. The export is complete
    and valid whatever happens here, so a failing report is a warning (exit code 0), never a failed export."""
    import sys

    try:
        path = build(Path(export_dir), dsn)
    except Exception as exc:  # noqa: BLE001 - reported in one line; the export itself is done
        print(f"export_mart.py: warning: the export is complete, but its report failed: {exc}", file=sys.stderr)
        return 0
    print(f"dataset report: {path}")
    return 0
