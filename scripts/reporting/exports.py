"""Read an export made by scripts/export_mart.py: its manifest, its fields, and its rows streamed column by column.

Only the requested fields are read (Parquet: nested columns by dotted path; JSONL: one line at a time), in
batches, so a scale-0.1 export (1.8M packages) is read in modest memory. Every batch is a flat Arrow table whose
column names are the package key paths (`vehicle_context.make`).
"""

from __future__ import annotations

import gzip
import io
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

BATCH_ROWS = 65_536


class ExportReadError(Exception):
    """The directory is not a complete export, or a shard cannot be read: reported as one line."""


@dataclass(frozen=True)
class Shard:
    split: str
    path: Path
    rows: int


class Export:
    """A finished export: manifest.json (written last by the exporter) and the shards it lists."""

    def __init__(self, path: Path):
        self.path = Path(path)
        manifest_path = self.path / "manifest.json"
        if not manifest_path.exists():
            raise ExportReadError(
                f"{self.path} holds no finished export (no manifest.json): run scripts/export_mart.py first, "
                "or finish an interrupted export with --resume"
            )
        try:
            self.manifest = json.loads(manifest_path.read_text())
        except (OSError, ValueError) as exc:
            raise ExportReadError(f"cannot read {manifest_path}: {exc}") from exc
        for key in ("mart", "fields", "shards", "rows"):
            if key not in self.manifest:
                raise ExportReadError(f"{manifest_path} is not an export manifest (no `{key}`)")
        self.shards = [Shard(s["split"], self.path / s["file"], int(s["rows"])) for s in self.manifest["shards"]]
        missing = [str(s.path) for s in self.shards if not s.path.exists()]
        if missing:
            raise ExportReadError(f"shard files listed in manifest.json are missing: {', '.join(missing[:3])}")
        self._schema: pa.Schema | None = None

    # ------------------------------------------------------------------------------------------ the manifest

    @property
    def mart(self) -> str:
        return self.manifest["mart"]

    @property
    def format(self) -> str:
        return (self.manifest.get("format") or {}).get("format") or (
            "parquet" if self.shards and self.shards[0].path.suffix == ".parquet" else "jsonl"
        )

    @property
    def fields(self) -> list[str]:
        return list(self.manifest["fields"])

    @property
    def task(self) -> dict | None:
        return self.manifest.get("task")

    @property
    def splits(self) -> list[str]:
        return list(self.manifest["rows"])

    @property
    def relation_schema(self) -> str | None:
        relation = self.manifest.get("relation") or ""
        return relation.split(".")[0] if "." in relation else None

    def time_field(self) -> str | None:
        """The package's copy of the mart's time column (`as_of.<time_column>`) when the export keeps it, else the
        first `as_of` time it keeps (a task export keeps the prediction time, e.g. the listing's start)."""
        time_column = self.manifest.get("time_column")
        if time_column and f"as_of.{time_column}" in self.fields:
            return f"as_of.{time_column}"
        return next((p for p in self.fields if p.startswith("as_of.")), None)

    # ------------------------------------------------------------------------------------------ field types

    def arrow_schema(self) -> pa.Schema | None:
        """The Parquet schema (with each leaf's description and timing), or None for JSONL."""
        if self.format != "parquet" or not self.shards:
            return None
        if self._schema is None:
            self._schema = pq.read_schema(self.shards[0].path)
        return self._schema

    def leaf_fields(self) -> dict[str, pa.Field]:
        """Package key path -> Arrow field of every leaf (Parquet only; empty for JSONL)."""
        schema = self.arrow_schema()
        out: dict[str, pa.Field] = {}
        if schema is None:
            return out

        def walk(prefix: str, field: pa.Field) -> None:
            path = f"{prefix}{field.name}"
            if pa.types.is_struct(field.type):
                for child in field.type:
                    walk(path + ".", child)
            else:
                out[path] = field

        for field in schema:
            walk("", field)
        return out

    def field_metadata(self) -> dict[str, dict]:
        """Package key path -> the spec keys the exporter stored with the field (description, timing, ...)."""
        return {
            path: {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
            for path, field in self.leaf_fields().items()
        }

    # ------------------------------------------------------------------------------------------ rows

    def iter_tables(
        self,
        paths: Iterable[str],
        splits: Iterable[str] | None = None,
        batch_rows: int = BATCH_ROWS,
        present: Counter | None = None,
    ) -> Iterator[tuple[str, pa.Table]]:
        """Yield (split, flat table of the requested key paths) per batch, shard by shard in manifest order.

        JSONL only: `present` (when given) counts the non-null values of every field on the way, which costs
        far less than building a column per field (Parquet has them in its statistics, see null_counts)."""
        wanted = [p for p in dict.fromkeys(paths) if p in set(self.fields)]
        only = set(splits) if splits is not None else None
        for shard in self.shards:
            if only is not None and shard.split not in only:
                continue
            try:
                if self.format == "parquet":
                    yield from ((shard.split, t) for t in _parquet_tables(shard.path, wanted, batch_rows))
                else:
                    tables = _jsonl_tables(shard.path, wanted, batch_rows, present, set(self.fields))
                    yield from ((shard.split, t) for t in tables)
            except (OSError, pa.ArrowException, ValueError) as exc:
                raise ExportReadError(f"cannot read {shard.path}: {exc}") from exc

    def null_counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Nulls per field and rows per split, counted from the files (Parquet statistics where they exist)."""
        leaves = self.leaf_fields()
        nulls = dict.fromkeys(self.fields, 0)
        rows: dict[str, int] = {}
        if self.format == "parquet":
            for shard in self.shards:
                metadata = pq.ParquetFile(shard.path).metadata
                rows[shard.split] = rows.get(shard.split, 0) + metadata.num_rows
                shard_nulls, unread = _null_counts_from_statistics(metadata, leaves, self.fields)
                if unread:
                    for table in _parquet_tables(shard.path, unread, BATCH_ROWS):
                        for path in unread:
                            shard_nulls[path] += table.column(path).null_count
                for path, count in shard_nulls.items():
                    nulls[path] += count
            return nulls, rows
        present: Counter = Counter()
        for split, table in self.iter_tables([], present=present):
            rows[split] = rows.get(split, 0) + table.num_rows
        total = sum(rows.values())
        return {path: total - present[path] for path in self.fields}, rows


def _null_counts_from_statistics(metadata, leaves: dict[str, pa.Field], fields: list[str]) -> tuple[dict, list]:
    """One shard's null count per primitive leaf from its row-group statistics, and the fields they cannot give
    (nested types, or statistics missing in some row group): those start at 0 and are counted by reading them."""
    primitive = {p for p, f in leaves.items() if not pa.types.is_nested(f.type)}
    nulls = dict.fromkeys(fields, 0)
    unread: set[str] = set(fields) - primitive
    for index in range(metadata.num_row_groups):
        group = metadata.row_group(index)
        for column in range(group.num_columns):
            chunk = group.column(column)
            path = chunk.path_in_schema
            if path not in primitive or path in unread:
                continue
            stats = chunk.statistics
            if stats is None or not stats.has_null_count:
                unread.add(path)
                continue
            nulls[path] += stats.null_count
    for path in unread:
        nulls[path] = 0
    return nulls, sorted(unread)


def flatten(table: pa.Table) -> pa.Table:
    """Struct columns become one column per leaf, named by the dotted key path."""
    while any(pa.types.is_struct(field.type) for field in table.schema):
        table = table.flatten()
    return table


def _parquet_tables(path: Path, columns: list[str], batch_rows: int) -> Iterator[pa.Table]:
    parquet = pq.ParquetFile(path)
    if not columns:
        for group in range(parquet.metadata.num_row_groups):
            yield pa.table({"__row": pa.nulls(parquet.metadata.row_group(group).num_rows)}).drop(["__row"])
        return
    for batch in parquet.iter_batches(batch_size=batch_rows, columns=columns):
        table = flatten(pa.Table.from_batches([batch]))
        yield table.select([c for c in columns if c in table.column_names])


def _open_text(path: Path) -> io.TextIOBase:
    name = path.name
    if name.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8")
    if name.endswith(".zst"):
        import zstandard

        return io.TextIOWrapper(zstandard.ZstdDecompressor().stream_reader(open(path, "rb")), encoding="utf-8")  # noqa: SIM115
    return open(path, encoding="utf-8")  # noqa: SIM115 - closed by the caller's with


def _lookup(package: dict, parts: list[str]):
    value = package
    for part in parts:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    if isinstance(value, dict | list):
        return json.dumps(value)  # as the Parquet export stores objects and arrays: their JSON text
    return value


def _count_present(value: dict, prefix: str, fields: set[str], present: Counter) -> None:
    for key, child in value.items():
        path = prefix + key
        if path in fields:
            if child is not None:
                present[path] += 1
        elif isinstance(child, dict):
            _count_present(child, path + ".", fields, present)


def _jsonl_tables(
    path: Path, columns: list[str], batch_rows: int, present: Counter | None = None, fields: set[str] | None = None
) -> Iterator[pa.Table]:
    split_paths = [(c, c.split(".")) for c in columns]
    values: dict[str, list] = {c: [] for c in columns}
    count = 0

    def table() -> pa.Table:
        if not columns:
            return pa.table({"__row": pa.nulls(count)}).drop(["__row"])
        return pa.table({c: pa.array(v) for c, v in values.items()})

    with _open_text(path) as handle:
        for line in handle:
            if not line.strip():
                continue
            package = json.loads(line)
            if present is not None:
                _count_present(package, "", fields or set(), present)
            for column, parts in split_paths:
                values[column].append(_lookup(package, parts))
            count += 1
            if count == batch_rows:
                yield table()
                values = {c: [] for c in columns}
                count = 0
    if count:
        yield table()
