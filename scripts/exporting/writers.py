"""Shard writers: deterministic bytes, written under a temporary name and renamed into place when complete.

A shard receives batches of JSON lines (each exactly a package's jsonb text plus a newline) with their row
counts. Batch boundaries are fixed row counts from the shard's start, so the bytes of a shard depend only on
its rows: Parquet row groups are the batches; gzip gets mtime 0 and no file name; zstd runs single-threaded
at a fixed level.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from .errors import ExportError

EXTENSIONS = {
    ("parquet", "zstd"): ".parquet",
    ("parquet", "gzip"): ".parquet",
    ("parquet", "none"): ".parquet",
    ("jsonl", "zstd"): ".jsonl.zst",
    ("jsonl", "gzip"): ".jsonl.gz",
    ("jsonl", "none"): ".jsonl",
}
ZSTD_LEVEL = 3
GZIP_LEVEL = 6


def shard_name(split: str, index: int, count: int, fmt: str, compression: str) -> str:
    return f"{split}-{index:05d}-of-{count:05d}{EXTENSIONS[(fmt, compression)]}"


def temp_path(final: Path) -> Path:
    return final.with_name(f".{final.name}.partial")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def publish(tmp: Path, final: Path) -> None:
    """Make a finished temporary file appear under its final name, atomically and durably."""
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, final)
    _fsync_dir(final.parent)


def write_text_atomically(final: Path, text: str) -> None:
    tmp = temp_path(final)
    tmp.write_text(text)
    publish(tmp, final)


class _HashingFile(io.RawIOBase):
    """A write-only file that hashes what passes through it (so a shard is hashed without reading it back)."""

    def __init__(self, path: Path):
        self._file = open(path, "wb")  # noqa: SIM115 - closed in close()
        self.sha256 = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        view = memoryview(data)
        self._file.write(view)
        self.sha256.update(view)
        self.size += view.nbytes
        return view.nbytes

    def tell(self) -> int:
        return self.size

    def flush(self) -> None:
        if not self._file.closed:
            self._file.flush()

    def close(self) -> None:
        if not self.closed:
            self._file.close()
        super().close()


class JsonlShardWriter:
    def __init__(self, path: Path, compression: str):
        self.path = path
        self.raw = _HashingFile(path)
        if compression == "zstd":
            import zstandard

            self._stream = zstandard.ZstdCompressor(level=ZSTD_LEVEL).stream_writer(self.raw, closefd=False)
        elif compression == "gzip":
            self._stream = gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, compresslevel=GZIP_LEVEL, mtime=0)
        else:
            self._stream = None
        self.rows = 0

    def write_batch(self, data: bytes, rows: int) -> None:
        (self._stream or self.raw).write(data)
        self.rows += rows

    def close(self) -> str:
        if self._stream is not None:
            self._stream.close()
        self.raw.close()
        return self.raw.sha256.hexdigest()

    def abort(self) -> None:
        try:
            if self._stream is not None:
                self._stream.close()
        except Exception:  # noqa: BLE001 - the file is being thrown away
            pass
        self.raw.close()


class ParquetShardWriter:
    """JSON lines -> typed Arrow columns with the explicit schema (pyarrow's C++ JSON reader) -> Parquet."""

    def __init__(self, path: Path, schema: pa.Schema, compression: str):
        self.path = path
        self.schema = schema
        self.raw = _HashingFile(path)
        self._writer = pq.ParquetWriter(
            self.raw,
            schema,
            compression="none" if compression == "none" else compression,
            use_dictionary=True,
            write_statistics=True,
            store_schema=True,
        )
        self._parse = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
        self.rows = 0

    def write_batch(self, data: bytes, rows: int) -> None:
        table = parse_json_lines(data, self.schema, self._parse)
        if table.num_rows != rows:
            raise ExportError(f"{self.path.name}: parsed {table.num_rows} packages from a batch of {rows} lines")
        self._writer.write_table(table, row_group_size=rows)
        self.rows += rows

    def close(self) -> str:
        self._writer.close()
        self.raw.close()
        return self.raw.sha256.hexdigest()

    def abort(self) -> None:
        with contextlib.suppress(Exception):  # the file is being thrown away
            self._writer.close()
        self.raw.close()


def parse_json_lines(data: bytes, schema: pa.Schema, parse_options: pa_json.ParseOptions) -> pa.Table:
    block = max(1 << 20, len(data) // 8 + 1)
    try:
        try:
            table = pa_json.read_json(
                io.BytesIO(data), read_options=pa_json.ReadOptions(block_size=block), parse_options=parse_options
            )
        except pa.ArrowInvalid as exc:
            if "straddling" not in str(exc) and "block size" not in str(exc):
                raise
            table = pa_json.read_json(
                io.BytesIO(data),
                read_options=pa_json.ReadOptions(block_size=len(data) + 1),
                parse_options=parse_options,
            )
    except pa.ArrowInvalid as exc:
        raise ExportError(
            f"a package value does not fit the Arrow schema ({exc}); if a number field holds fractions, set "
            "`arrow_type: float64` (or decimal128(P,S)) in its package_fields spec"
        ) from exc
    # the reader orders struct children as the schema does; cast is a no-op check that types are exact
    if table.schema != schema:
        table = table.cast(schema)
    return table


def open_writer(path: Path, fmt: str, compression: str, schema: pa.Schema | None):
    if fmt == "parquet":
        return ParquetShardWriter(path, schema, compression)
    return JsonlShardWriter(path, compression)
