"""Package field specs: timing checks, the Arrow type of every field, and the Arrow schema of a package.

Type policy (the mart YAML's `type` is the jsonb type; an optional `arrow_type` key in a field's spec wins):

- boolean -> bool
- string -> string, except timestamps: a field whose name ends in `_at`, or under `as_of` and not ending in
  `_date` -> timestamp[us, UTC] (the jsonb holds ISO 8601 text with an offset; the Arrow value is the same
  instant in UTC). ISO dates (`*_date`) stay strings.
- number -> int64 when the field's name says it counts or identifies something (`*_id`, `id`, `*_count`,
  `*count`, `year`, `position`, `width`, `height`, `*_hours`, `*_days`, `days_*`, `*_length`, `mileage`,
  `*_responses`, `rank`, `number_of_*`, `num_*`, `*limit`, `distinct_*`); everything else, money included
  (`sale_price`, `high_bid`), -> float64 (safe: any JSON number reads as a double). Money stays float64
  rather than decimal128 because ML tools (pandas, torch, datasets) take floats natively and every price in
  the marts has at most 2 decimals and stays far below 2**53 cents, so the value read back is the nearest
  double to the exact decimal (the JSONL keeps the exact text). A value that does not fit its int64 type
  stops the export (exit 1) with the offending value and the `arrow_type` fix.
- object / array (free-form maps, lists of objects: the owner and technician marts) -> in Parquet a string
  column holding the value's JSON text (`json.loads` it), unless `arrow_type` says e.g. list<string>; JSONL
  keeps them as they are.

`arrow_type` accepts: int64, int32, float64, float32, bool, string, timestamp[us, tz=UTC],
decimal128(P,S), list<string>, list<int64>, list<float64>.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .errors import UsageError

JSON_TYPES = ("string", "number", "boolean", "object", "array")

INTEGER_NAME = re.compile(
    r"^(id|year|position|width|height|mileage|rank)$|_id$|count$|_hours$|_days$|^days_|_length$|_responses$"
    r"|^number_of_|^num_|limit$|^distinct_"
)
TIMESTAMP = "timestamp[us, tz=UTC]"
# accepted spellings of `arrow_type` -> the type's name here; pyarrow is only imported to build Parquet files
_SIMPLE_TYPES = {
    "int64": "int64",
    "int32": "int32",
    "float64": "float64",
    "double": "float64",
    "float32": "float32",
    "bool": "bool",
    "boolean": "bool",
    "string": "string",
    "timestamp[us, tz=utc]": TIMESTAMP,
    "list<string>": "list<string>",
    "list<int64>": "list<int64>",
    "list<float64>": "list<float64>",
}
_DECIMAL = re.compile(r"^decimal128\((\d+),\s*(\d+)\)$")


def parse_arrow_type(text: str, path: str) -> str:
    norm = text.strip().lower()
    if norm in _SIMPLE_TYPES:
        return _SIMPLE_TYPES[norm]
    match = _DECIMAL.match(norm)
    if match:
        return f"decimal128({int(match.group(1))}, {int(match.group(2))})"
    raise UsageError(
        f"package field {path}: arrow_type {text!r} is not one of {sorted(_SIMPLE_TYPES)} or decimal128(P,S)"
    )


def validate_fields(mart_name: str, fields: dict[str, dict], timings: Sequence[str]) -> None:
    """Every field must carry one of the mart's timing tags and a jsonb type; an untagged field stops the export."""
    untagged = [path for path, spec in fields.items() if (spec or {}).get("timing") not in timings]
    if untagged:
        raise UsageError(
            f"{mart_name}: package fields without a timing tag ({'|'.join(timings)}): {', '.join(untagged)}; "
            "tag them in the mart's package_fields before exporting"
        )
    untyped = [path for path, spec in fields.items() if spec.get("type") not in JSON_TYPES]
    if untyped:
        raise UsageError(f"{mart_name}: package fields without a jsonb type {JSON_TYPES}: {', '.join(untyped)}")
    for path, spec in fields.items():
        hours = spec.get("available_after_hours")
        if hours is not None and (isinstance(hours, bool) or not isinstance(hours, int | float) or hours < 0):
            raise UsageError(f"{mart_name}: package field {path}: available_after_hours must be a number >= 0")
        arrow_type_name(path, spec)
    paths = set(fields)
    for path in paths:
        parts = path.split(".")
        for depth in range(1, len(parts)):
            if ".".join(parts[:depth]) in paths:
                raise UsageError(
                    f"{mart_name}: package field {path} is nested under the leaf field {'.'.join(parts[:depth])}"
                )


def arrow_type_name(path: str, spec: dict) -> str:
    """The Arrow type of a field by the policy above, by name (e.g. int64, float64, timestamp[us, tz=UTC])."""
    if spec.get("arrow_type"):
        return parse_arrow_type(str(spec["arrow_type"]), path)
    parts = path.split(".")
    leaf = parts[-1]
    kind = spec.get("type")
    if kind == "boolean":
        return "bool"
    if kind == "string":
        if leaf.endswith("_at") or (len(parts) > 1 and parts[-2] == "as_of" and not leaf.endswith("_date")):
            return TIMESTAMP
        return "string"
    if kind == "number":
        return "int64" if INTEGER_NAME.search(leaf) else "float64"
    return "string"  # object / array: their JSON text


def arrow_type(path: str, spec: dict):
    """The field's pyarrow DataType."""
    import pyarrow as pa

    name = arrow_type_name(path, spec)
    match = _DECIMAL.match(name)
    if match:
        return pa.decimal128(int(match.group(1)), int(match.group(2)))
    if name.startswith("list<"):
        return pa.list_(getattr(pa, name[5:-1])())
    if name == TIMESTAMP:
        return pa.timestamp("us", tz="UTC")
    return {"bool": pa.bool_(), "string": pa.string()}.get(name) or getattr(pa, name)()


def _tree(fields: dict[str, dict]) -> dict:
    tree: dict = {}
    for path, spec in fields.items():
        node = tree
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = (path, spec)
    return tree


def arrow_schema(fields: dict[str, dict]):
    """Nested struct columns in the spec's declaration order; each leaf's description in its field metadata."""
    import pyarrow as pa

    def build(name: str, node) -> pa.Field:
        if isinstance(node, tuple):
            path, spec = node
            metadata = {"description": spec.get("description", ""), "timing": spec.get("timing", "")}
            return pa.field(name, arrow_type(path, spec), nullable=True, metadata=metadata)
        return pa.field(name, pa.struct([build(child, sub) for child, sub in node.items()]), nullable=True)

    return pa.schema([build(name, node) for name, node in _tree(fields).items()])


def dropped_prefixes(all_fields: dict[str, dict], kept: set[str]) -> list[list[str]]:
    """The smallest set of key paths to delete from a package so that only `kept` leaves remain.

    A whole object goes when none of its leaves is kept (so no empty `{}` is left behind)."""
    dropped = [path for path in all_fields if path not in kept]
    result: list[list[str]] = []
    seen: set[str] = set()
    for path in dropped:
        parts = path.split(".")
        # climb while every leaf under the parent is dropped
        cut = len(parts)
        for depth in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:depth]) + "."
            if any(p.startswith(prefix) and p in kept for p in all_fields):
                break
            cut = depth
        prefix_path = ".".join(parts[:cut])
        if prefix_path not in seen:
            seen.add(prefix_path)
            result.append(parts[:cut])
    return result
