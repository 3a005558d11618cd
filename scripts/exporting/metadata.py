"""What travels with the shards: manifest.json (written last), croissant.json and the README.md dataset card."""

from __future__ import annotations

import json
import re
from pathlib import Path

from .fields import arrow_type, arrow_type_name
from .writers import write_text_atomically

CROISSANT_CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
ENCODINGS = {
    ".parquet": "application/x-parquet",
    ".jsonl": "application/jsonlines",
    ".jsonl.gz": "application/jsonlines",
    ".jsonl.zst": "application/jsonlines",
}
LICENSE = "https://creativecommons.org/licenses/by-nc/4.0/"


def _croissant_type(name: str) -> str:
    """The Croissant data type of an Arrow type name (fields.arrow_type_name)."""
    if name == "bool":
        return "sc:Boolean"
    if name.startswith("int"):
        return "sc:Integer"
    if name.startswith(("float", "decimal")):
        return "sc:Float"
    if name.startswith("timestamp"):
        return "sc:DateTime"
    return "sc:Text"


def _extension(fmt: str, compression: str) -> str:
    if fmt == "parquet":
        return ".parquet"
    return {"zstd": ".jsonl.zst", "gzip": ".jsonl.gz", "none": ".jsonl"}[compression]


def _tree(fields: dict[str, dict]) -> dict:
    tree: dict = {}
    for path, spec in fields.items():
        node = tree
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = (path, spec)
    return tree


def croissant(prep, counts: dict[str, int], versions: dict) -> dict:
    opts, mart = prep.options, prep.mart
    ext = _extension(opts.format, opts.compression)
    fileset_id = f"{opts.format}-files"
    record_id = "packages"
    split_values = [s for s in prep.selection.splits if counts.get(s)]

    def leaf(record: str, name: str, path: str, spec: dict, column: str, json_path: str | None) -> dict:
        source: dict = {"fileSet": {"@id": fileset_id}, "extract": {"column": column}}
        if json_path:
            source["transform"] = {"jsonPath": json_path}
        out = {
            "@type": "cr:Field",
            "@id": f"{record}/{path.replace('.', '/')}",
            "name": name,
            "description": f"{spec.get('description', '')} (timing: {spec.get('timing')}"
            + (f", available after {spec['available_after_hours']} h" if spec.get("available_after_hours") else "")
            + ")",
            "dataType": _croissant_type(arrow_type_name(path, spec)),
            "source": source,
        }
        if path == "split":
            out["references"] = {"field": {"@id": "splits/split_name"}}
        return out

    fields_out = []
    for name, node in _tree(prep.fields).items():
        if isinstance(node, tuple):
            fields_out.append(leaf(record_id, name, node[0], node[1], name, None))
        else:

            def nested(prefix: list[str], sub: dict) -> list[dict]:
                out = []
                for child, value in sub.items():
                    if isinstance(value, tuple):
                        json_path = ".".join(prefix[1:] + [child])
                        out.append(leaf(record_id, child, value[0], value[1], prefix[0], json_path))
                    else:
                        out.append(
                            {
                                "@type": "cr:Field",
                                "@id": f"{record_id}/{'/'.join(prefix + [child])}",
                                "name": child,
                                "description": f"The {'.'.join(prefix + [child])} object.",
                                "subField": nested(prefix + [child], value),
                            }
                        )
                return out

            fields_out.append(
                {
                    "@type": "cr:Field",
                    "@id": f"{record_id}/{name}",
                    "name": name,
                    "description": f"The package's `{name}` object.",
                    "subField": nested([name], node),
                }
            )
    description = mart.description
    if prep.task is not None:
        description += f" Task {prep.task.name}: {prep.task.description}"
    doc = {
        "@context": CROISSANT_CONTEXT,
        "@type": "sc:Dataset",
        "name": _croissant_name(mart.name + (f"-{prep.task.name}" if prep.task else "")),
        "description": description,
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "license": LICENSE,
        "url": f"https://example.invalid/contextpack/{mart.name}",
        "version": _semver(versions.get("package_version")),
        "datePublished": (prep.dbt.generated_at or "")[:10] or None,
        "citeAs": f"contextpack {mart.name} package export",
        "distribution": [
            {
                "@type": "cr:FileSet",
                "@id": fileset_id,
                "name": fileset_id,
                "description": f"Shards data/<split>-NNNNN-of-NNNNN{ext}, one package per row.",
                "encodingFormat": ENCODINGS[ext],
                "includes": f"data/*{ext}",
            }
        ],
        "recordSet": [
            {
                "@type": "cr:RecordSet",
                "dataType": "cr:Split",
                "@id": "splits",
                "name": "splits",
                "description": "The splits (grouped by the mart's split_group, see README.md).",
                "key": {"@id": "splits/split_name"},
                "field": [
                    {
                        "@type": "cr:Field",
                        "@id": "splits/split_name",
                        "name": "split_name",
                        "description": "Split name.",
                        "dataType": "sc:Text",
                    }
                ],
                "data": [{"splits/split_name": s} for s in split_values],
            },
            {
                "@type": "cr:RecordSet",
                "@id": record_id,
                "name": record_id,
                "description": f"One {mart.name} package per record (key: {mart.key}).",
                "field": fields_out,
            },
        ],
    }
    if doc["datePublished"] is None:
        del doc["datePublished"]
    return doc


def _croissant_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)


def _semver(version) -> str:
    if isinstance(version, str) and re.fullmatch(r"\d+\.\d+\.\d+", version):
        return version
    return "0.0.0"


def dataset_card(prep, counts: dict[str, int], versions: dict, shards, plan=None) -> str:
    opts, mart = prep.options, prep.mart
    ext = _extension(opts.format, opts.compression)
    splits = [s for s in prep.selection.splits if counts.get(s)]
    lines = ["---", "configs:", "- config_name: default", "  data_files:"]
    for split in splits:
        lines += [f"  - split: {split}", f"    path: data/{split}-*{ext}"]
    lines += ["---", "", f"# {mart.name}" + (f" (task {prep.task.name})" if prep.task else ""), ""]
    lines += [mart.description, ""]
    lines += [
        "## Files",
        "",
        (
            "Parquet with typed, nested struct columns"
            if opts.format == "parquet"
            else "JSON lines, one package per line (the jsonb text as stored)"
        )
        + f", {opts.compression} compression, in `data/<split>-NNNNN-of-NNNNN{ext}`. Load with "
        f'`datasets.load_dataset("{"parquet" if opts.format == "parquet" else "json"}", data_dir="data")`, '
        "pandas, polars or pyarrow; `croissant.json` describes the same files for `mlcroissant`, and "
        "`manifest.json` lists every shard with its sha256 and row count.",
        "",
        "| split | rows | shards |",
        "|---|---|---|",
    ]
    for split in splits:
        lines.append(f"| {split} | {counts[split]:,} | {sum(1 for s in shards if s.split == split)} |")
    lines += [
        "",
        "Number policy: integers (ids, counts, years, positions, pixels, hours, days, lengths) are int64; every other "
        "number, money included, is float64 (a field's `arrow_type` in the mart YAML overrides this); `as_of.*` and "
        "`*_at` strings are timestamp[us, UTC].",
        "",
        "## Fields",
        "",
        "| field | type | timing | nullable | description |",
        "|---|---|---|---|---|",
    ]
    for path, spec in prep.fields.items():
        timing = spec.get("timing", "")
        if spec.get("available_after_hours") is not None:
            timing += f" (after {spec['available_after_hours']} h)"
        typ = arrow_type(path, spec) if opts.format == "parquet" else spec.get("type")
        description = str(spec.get("description", "")).replace("|", "\\|")
        lines.append(f"| `{path}` | {typ} | {timing} | {'yes' if spec.get('nullable') else 'no'} | {description} |")
    label_fields = [p for p in prep.fields if p.startswith("training_labels.")]
    lines += ["", "## Label rules", ""]
    if label_fields:
        for path in label_fields:
            leaf = path.split(".")[-1]
            rule = " ".join((mart.docs.get(f"label_{leaf}") or prep.fields[path].get("description", "")).split())
            version = versions.get(f"rule_versions.{leaf}")
            lines.append(f"- `{path}`" + (f" ({version})" if version else "") + f": {rule}")
    else:
        lines.append("This export carries no `training_labels` fields.")
    others = {
        k: v
        for k, v in versions.items()
        if k.startswith("rule_versions.") and k.split(".")[-1] not in {p.split(".")[-1] for p in label_fields}
    }
    if others:
        lines += ["", "Other rule versions: " + ", ".join(f"`{k.split('.', 1)[1]}` = {v}" for k, v in others.items())]
    lines += [
        "",
        "## Leakage rules",
        "",
        "Every field carries one of this mart's timing tags, earliest first:",
        "",
        *[f"- `{tag}`: {meaning}" for tag, meaning in mart.timings.items()],
        "",
        "Labels and what derives from the outcome are targets, never inputs: train on the fields known at your "
        "prediction time (`scripts/export_mart.py --task`, tasks in `export_tasks.yml`).",
        "",
    ]
    if prep.task is not None:
        task = prep.task
        lines += [
            f"This export applies task **{task.name}**: {task.description} Inputs known at "
            f"`{json.dumps(task.inputs_known_at)}`; targets kept: {', '.join(f'`{t}`' for t in task.targets)}.",
            "",
            "Dropped fields: " + (", ".join(f"`{p}` ({why})" for p, why in task.dropped.items()) or "none") + ".",
            "",
        ]
        summary = row_filter_summary(prep, plan) if plan is not None else None
        if summary is not None:
            dropped = sum(summary["dropped_rows"].values())
            selected = sum(summary["selected_rows"].values())
            lines += [
                f"Row filter: rows became known at different times (`{summary['row_timing']}` holds each row's "
                f"timing tag); this task keeps only rows whose row timing is {', '.join(summary['kept_timings'])}, "
                f"so {dropped:,} of {selected:,} selected rows were dropped ("
                + ", ".join(f"{split} {n:,}" for split, n in summary["dropped_rows"].items())
                + "). A row without a row timing counts as unknown and is dropped.",
                "",
            ]
    else:
        lines += ["No task filter was applied: the files hold every field, after-the-end ones included.", ""]
    lines += ["## Splits", ""]
    group = mart.split_group or "(none declared)"
    lines.append(
        f"`split` is assigned in the warehouse from a salted md5 bucket of `{group}`, so every row of one {group} "
        "lands in the same split, rebuilds never move a row, and new data never moves old rows."
    )
    if opts.holdout_after:
        lines += [
            "",
            f"Time holdout: rows whose `{mart.time_column}` is after {opts.holdout_after} form the test split; every "
            f"{group} that appears there is removed from train and validation, and earlier rows of the warehouse's "
            "test split are left out, so the test split is the future only and shares no group with training. Rows "
            f"whose `{mart.time_column}` is unknown are left out of every split. The package's `split` key holds "
            "this export's split.",
        ]
    if opts.where or opts.limit:
        lines += [
            "",
            f"Row filter: where `{opts.where or 'true'}`"
            + (f", at most {opts.limit} rows per split (the first in export order)" if opts.limit else "")
            + ".",
        ]
    return "\n".join(lines) + "\n"


def row_filter_summary(prep, plan) -> dict | None:
    """The task's row filter as the manifest states it; selected = exported (before --limit) + dropped, per split."""
    row_filter = prep.selection.row_filter
    if row_filter is None:
        return None
    kept = {split: plan.totals[rank] for rank, split in enumerate(prep.selection.splits, start=1)}
    return {
        "row_timing": row_filter.path,
        "kept_timings": row_filter.kept,
        "rule": f"rows whose {row_filter.path} is one of {', '.join(row_filter.kept)} (at or before the task's "
        "inputs_known_at.timing); a missing or null row timing counts as unknown and is dropped",
        "selected_rows": {split: kept[split] + plan.dropped[split] for split in kept},
        "dropped_rows": dict(plan.dropped),
        "kept_rows": kept,
    }


def export_manifest(prep, plan, snapshots, versions, elapsed_s) -> dict:
    opts, mart = prep.options, prep.mart
    dbt = prep.dbt
    return {
        "mart": mart.name,
        "relation": f"{prep.schema_name}.{mart.identifier}",
        "key": mart.key,
        "split_group": mart.split_group,
        "time_column": mart.time_column,
        "package_version": versions.get("package_version"),
        "rule_versions": {k.split(".", 1)[1]: v for k, v in versions.items() if k.startswith("rule_versions.")},
        "dbt": {
            "dbt_version": dbt.dbt_version,
            "invocation_id": dbt.invocation_id,
            "generated_at": dbt.generated_at,
            "run_started_at": dbt.run_started_at,
            "run_results": dbt.run_results,
        },
        "database_snapshot": snapshots[0],
        "resumed_snapshots": snapshots[1:],
        "fingerprint": plan.fingerprint,
        "options": opts.signature(prep.schema_name),
        "format": {
            "format": opts.format,
            "compression": opts.compression,
            "arrow_types": {p: str(arrow_type(p, s)) for p, s in prep.fields.items()}
            if opts.format == "parquet"
            else None,
        },
        "task": prep.task.as_dict() if prep.task else None,
        "row_filter": row_filter_summary(prep, plan),
        "fields": list(prep.fields),
        "rows": plan.counts,
        "total_rows": sum(plan.counts.values()),
        "shards": [
            {
                "file": f"data/{s.name}",
                "split": s.split,
                "rows": s.rows,
                "sha256": s.sha256,
                "bytes": s.bytes,
                "first_row": s.first,
            }
            for s in plan.shards
        ],
        "elapsed_s": round(elapsed_s, 3),
    }


def write_all(out: Path, prep, plan, snapshots, versions, elapsed_s) -> dict:
    counts = plan.counts
    write_text_atomically(out / "croissant.json", json.dumps(croissant(prep, counts, versions), indent=2) + "\n")
    write_text_atomically(out / "README.md", dataset_card(prep, counts, versions, plan.shards, plan))
    manifest = export_manifest(prep, plan, snapshots, versions, elapsed_s)
    write_text_atomically(out / "manifest.json", json.dumps(manifest, indent=2) + "\n")  # last: the export is complete
    return manifest
