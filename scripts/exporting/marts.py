"""Package marts as the dbt manifest describes them: never a hard-coded list.

A package mart is a dbt model whose config meta says `package_mart: true`. Its meta names the key
(`package_key`), the column splits are grouped by (`split_group`), the time column for holdouts
(`time_column`), its timing vocabulary (`timings`: tag -> meaning, earliest first) and optionally `row_timing`:
the package key path whose value, one of the timing tags, says when the row itself became known (an image the
seller added during the auction), so a task drops later rows, not only later fields. One column (normally
`package`) carries `meta.package_fields`, the typed and timed spec of every key path in the package.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageError

SPLIT_COLUMN = "split"
DEFAULT_SPLITS = ("train", "validation", "test")


@dataclass
class Mart:
    name: str
    unique_id: str
    database: str
    schema: str
    identifier: str
    description: str
    key: str
    split_group: str | None
    time_column: str | None
    package_column: str
    columns: dict[str, dict]  # plain columns: name -> {data_type, description}
    fields: dict[str, dict]  # package key path -> spec, in declaration order
    timings: dict[str, str] = field(default_factory=dict)  # timing tag -> meaning, earliest first
    splits: tuple[str, ...] = DEFAULT_SPLITS
    docs: dict[str, str] = field(default_factory=dict)  # doc blocks the mart's fields may cite (name -> text)
    row_timing: str | None = None  # package key path holding the timing tag of the row itself

    def relation(self, schema: str | None = None) -> tuple[str, str]:
        return (schema or self.schema, self.identifier)

    def column_type(self, column: str) -> str:
        return self.columns[column]["data_type"]


@dataclass
class DbtRun:
    """What the manifest and run_results say about the dbt invocation that built the marts."""

    manifest_path: str
    dbt_version: str | None
    invocation_id: str | None
    generated_at: str | None
    run_started_at: str | None
    run_results: dict | None  # invocation_id, generated_at, elapsed_time, mart status; None when absent


def _meta(obj: dict) -> dict:
    merged = dict(obj.get("meta") or {})
    merged.update((obj.get("config") or {}).get("meta") or {})
    return merged


def load_manifest(path: Path) -> dict:
    if not path.exists():
        raise UsageError(
            f"dbt manifest {path} not found: run `dbt parse` (or `dbt build`) in the project first, "
            "or pass --manifest PATH"
        )
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"cannot read dbt manifest {path}: {exc}") from exc


def package_mart_nodes(manifest: dict) -> dict[str, dict]:
    return {
        node["name"]: node
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model" and _meta(node).get("package_mart") is True
    }


def _accepted_split_values(manifest: dict, node: dict, column: str) -> tuple[str, ...] | None:
    for test in manifest.get("nodes", {}).values():
        if test.get("resource_type") != "test" or node["unique_id"] not in (test.get("depends_on") or {}).get(
            "nodes", []
        ):
            continue
        metadata = test.get("test_metadata") or {}
        kwargs = metadata.get("kwargs") or {}
        if metadata.get("name") == "accepted_values" and kwargs.get("column_name") == column:
            values = kwargs.get("values") or (kwargs.get("arguments") or {}).get("values")
            if values:
                return tuple(str(v) for v in values)
    return None


def mart_from_node(manifest: dict, node: dict) -> Mart:
    name = node["name"]
    meta = _meta(node)
    package_column = None
    fields: dict[str, dict] = {}
    columns: dict[str, dict] = {}
    for column_name, column in (node.get("columns") or {}).items():
        spec = _meta(column).get("package_fields")
        if spec:
            package_column, fields = column_name, dict(spec)
        else:
            columns[column_name] = {
                "data_type": (column.get("data_type") or "text").lower(),
                "description": column.get("description") or "",
            }
    if not package_column:
        raise UsageError(f"package mart {name} has no column with meta.package_fields in the dbt manifest")
    key = meta.get("package_key")
    if not key or key not in columns:
        raise UsageError(f"package mart {name}: meta.package_key {key!r} is not one of its columns {sorted(columns)}")
    if SPLIT_COLUMN not in columns:
        raise UsageError(f"package mart {name} has no `{SPLIT_COLUMN}` column")
    for role in ("split_group", "time_column"):
        if meta.get(role) and meta[role] not in columns:
            raise UsageError(f"package mart {name}: meta.{role} {meta[role]!r} is not one of its columns")
    timings = meta.get("timings")
    if not isinstance(timings, dict) or not timings:
        raise UsageError(f"package mart {name}: meta.timings (timing tag -> meaning, earliest first) is missing")
    row_timing = meta.get("row_timing")
    if row_timing is not None:
        spec = fields.get(str(row_timing))
        if spec is None or spec.get("type") != "string":
            raise UsageError(
                f"package mart {name}: meta.row_timing {row_timing!r} must name a string field of its package_fields"
            )
    docs = {
        doc["name"]: doc.get("block_contents", "")
        for doc in (manifest.get("docs") or {}).values()
        if doc.get("package_name") == node.get("package_name")
    }
    return Mart(
        name=name,
        unique_id=node["unique_id"],
        database=node.get("database") or "",
        schema=node["schema"],
        identifier=node.get("alias") or name,
        description=(node.get("description") or "").strip(),
        key=key,
        split_group=meta.get("split_group"),
        time_column=meta.get("time_column"),
        package_column=package_column,
        columns=columns,
        fields=fields,
        timings={str(tag): " ".join(str(meaning).split()) for tag, meaning in timings.items()},
        splits=_accepted_split_values(manifest, node, SPLIT_COLUMN) or DEFAULT_SPLITS,
        docs=docs,
        row_timing=str(row_timing) if row_timing is not None else None,
    )


def find_mart(manifest: dict, name: str) -> Mart:
    nodes = package_mart_nodes(manifest)
    if name not in nodes:
        known = ", ".join(sorted(nodes)) or "none"
        raise UsageError(f"unknown package mart {name!r} (package marts in the manifest: {known})")
    return mart_from_node(manifest, nodes[name])


def dbt_run_info(manifest_path: Path, manifest: dict, mart: Mart) -> DbtRun:
    meta = manifest.get("metadata") or {}
    run_results = None
    results_path = manifest_path.with_name("run_results.json")
    if results_path.exists():
        try:
            raw = json.loads(results_path.read_text())
        except (OSError, ValueError):
            raw = None
        if raw:
            status = next(
                (r.get("status") for r in raw.get("results", []) if r.get("unique_id") == mart.unique_id), None
            )
            run_results = {
                "invocation_id": (raw.get("metadata") or {}).get("invocation_id"),
                "generated_at": (raw.get("metadata") or {}).get("generated_at"),
                "elapsed_time_s": raw.get("elapsed_time"),
                "mart_status": status,
            }
    return DbtRun(
        manifest_path=str(manifest_path),
        dbt_version=meta.get("dbt_version"),
        invocation_id=meta.get("invocation_id"),
        generated_at=meta.get("generated_at"),
        run_started_at=meta.get("run_started_at") or meta.get("invocation_started_at"),
        run_results=run_results,
    )
