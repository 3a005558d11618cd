"""scripts/export_mart.py: round trips, kill -9 and --resume, snapshot isolation, Croissant, bad arguments."""

from __future__ import annotations

import datetime as dt
import errno
import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import export_mart
import psycopg
import pyarrow.parquet as pq
import pytest
import zstandard
from conftest import ROOT
from exporting import exporter, streams, writers
from exporting.errors import ExportError, UsageError
from exporting.exporter import ExportOptions

MART = "listing_image_packages"
SPLIT_ORDER = ("train", "validation", "test")


@pytest.fixture(scope="module")
def mart(built_project):
    return built_project.relation(MART)


@pytest.fixture(scope="module")
def manifest_path(built_project) -> Path:
    return built_project.target_path / "manifest.json"


def export(built_project, out: Path, **kwargs) -> dict:
    kwargs.setdefault("manifest", built_project.target_path / "manifest.json")
    opts = ExportOptions(mart=MART, out=out, dsn=built_project.dsn, progress=False, **kwargs)
    return exporter.run(opts)


def cli(built_project, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "export_mart.py"),
            MART,
            "--manifest",
            str(built_project.target_path / "manifest.json"),
            "--dsn",
            built_project.dsn,
            *args,
        ],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def mart_packages(db, relation: str, order: str = "ctid") -> dict[str, list[str]]:
    """The mart's packages as jsonb text per split, in export order: what the export must reproduce."""
    out: dict[str, list[str]] = {s: [] for s in SPLIT_ORDER}
    for split, text in db.execute(f"select split, package::text from {relation} order by {order}"):
        out[split].append(text)
    return out


def normalize(value):
    """A JSON package as Arrow reads it back: timestamps as UTC datetimes, nested dicts in any key order."""
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, str) and len(value) >= 20 and value[4] == "-" and value[10] == "T":
        return dt.datetime.fromisoformat(value).astimezone(dt.UTC)
    return value


def read_jsonl(path: Path) -> list[str]:
    raw = path.read_bytes()
    if path.name.endswith(".zst"):
        raw = zstandard.ZstdDecompressor().stream_reader(raw).read()
    elif path.name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return raw.decode().splitlines()


# ------------------------------------------------------------------------------------------------ round trips


def test_parquet_round_trip_equals_mart(built_project, db, mart, tmp_path):
    out = tmp_path / "pq"
    manifest = export(built_project, out, shard_rows=10_000)
    expected = mart_packages(db, mart)
    assert manifest["rows"] == {s: len(v) for s, v in expected.items()}
    files = sorted((out / "data").iterdir())
    train_shards = -(-len(expected["train"]) // 10_000)  # ceil: shards of at most 10,000 rows
    assert train_shards > 1, "the sample should span several train shards"
    assert [f.name for f in files if f.name.startswith("train-")] == [
        f"train-{i:05d}-of-{train_shards:05d}.parquet" for i in range(train_shards)
    ]
    for split in SPLIT_ORDER:
        shards = sorted((out / "data").glob(f"{split}-*.parquet"))
        rows = [row for shard in shards for row in pq.read_table(shard).to_pylist()]
        assert rows == [normalize(json.loads(text)) for text in expected[split]], split
    table = pq.read_table(out / "data")
    outcome = table.schema.field("outcome").type
    assert str(outcome.field("days_on_market").type) == "int64"
    assert str(outcome.field("sale_price").type) == "double"
    assert str(table.schema.field("as_of").type.field("listing_ended_at").type) == "timestamp[us, tz=UTC]"
    # the manifest's checksums are the files'
    for shard in manifest["shards"]:
        assert writers.sha256_file(out / shard["file"]) == shard["sha256"]
        assert pq.read_metadata(out / shard["file"]).num_rows == shard["rows"]
    # Hugging Face datasets reads the layout without hints
    import datasets

    loaded = datasets.load_dataset("parquet", data_dir=str(out / "data"))
    assert {s: loaded[s].num_rows for s in loaded} == manifest["rows"]
    first = loaded["validation"][0]
    assert first["image_id"] == json.loads(expected["validation"][0])["image_id"]
    assert manifest["package_version"] and manifest["rule_versions"]["split"]
    assert manifest["dbt"]["invocation_id"] and manifest["database_snapshot"]["at"]
    card = (out / "README.md").read_text()
    assert card.startswith("---\nconfigs:") and "## Leakage rules" in card and "vehicle_id" in card


def test_parquet_keeps_nulls_empty_strings_and_odd_text(built_project, db, scratch_mart, tmp_path):
    """Parquet is built from the package's leaf values sent as CSV: text that CSV must quote, empty strings, the
    word null, JSON null leaves and objects that are null or missing must come back as the JSON says."""
    relation = f"{scratch_mart}.{MART}"
    odd = ['a, "quoted" value', "two\nlines\r\nand a tab\t", "", "null", "NA", "ünïcødé ✓ \\ back"]
    for i, text in enumerate(odd):
        db.execute(
            f"update {relation} set package = jsonb_set(package, '{{vehicle_context,color}}', to_jsonb(%s::text))"
            f" where image_id = (select image_id from {relation} order by image_id offset %s limit 1)",
            [text, i],
        )
    db.execute(
        f"update {relation} set package = jsonb_set(package, '{{vehicle_context}}', 'null')"
        f" where image_id = (select image_id from {relation} order by image_id offset 10 limit 1)"
    )
    db.execute(
        f"update {relation} set package = package #- '{{as_of}}' #- '{{outcome,sale_price}}'"
        f" where image_id = (select image_id from {relation} order by image_id offset 11 limit 1)"
    )
    out = tmp_path / "odd"
    export(built_project, out, schema=scratch_mart, order="key", limit=40)
    expected = mart_packages(db, relation, "image_id")
    for split in SPLIT_ORDER:
        rows = [row for shard in sorted((out / "data").glob(f"{split}-*")) for row in pq.read_table(shard).to_pylist()]
        want = [normalize(json.loads(text)) for text in expected[split][:40]]
        for row, package in zip(rows, want, strict=True):
            for key, value in row.items():  # Arrow lists every field; a missing key reads as null
                if isinstance(value, dict) and isinstance(package.get(key), dict):
                    assert value == {k: package[key].get(k) for k in value}, (split, key)
                else:
                    assert value == package.get(key), (split, key)
    colors = pq.read_table(out / "data").column("vehicle_context").combine_chunks().field("color").to_pylist()
    assert set(odd) <= set(colors)
    structs = pq.read_table(out / "data", columns=["vehicle_context", "as_of"]).to_pylist()
    assert {"vehicle_context": None, "as_of": None} not in structs  # distinct rows: one null each
    assert any(r["vehicle_context"] is None for r in structs) and any(r["as_of"] is None for r in structs)


def test_parquet_stops_at_a_package_that_is_not_an_object(built_project, db, scratch_mart, tmp_path):
    """Parquet takes every package apart by its keys: a package that is a JSON scalar has none, and stops the
    export with a clear error instead of becoming a row of nulls."""
    db.execute(
        f"update {scratch_mart}.{MART} set package = '\"oops\"'::jsonb"
        f" where image_id = (select image_id from {scratch_mart}.{MART} limit 1)"
    )
    with pytest.raises(ExportError, match="a package is not a JSON object"):
        export(built_project, tmp_path / "scalar", schema=scratch_mart)


@pytest.mark.parametrize(("compression", "order"), [("zstd", "table"), ("gzip", "key"), ("none", "table")])
def test_jsonl_holds_the_exact_jsonb_text(built_project, db, mart, tmp_path, compression, order):
    out = tmp_path / compression
    limit = None if compression == "zstd" else 2_000
    manifest = export(
        built_project, out, format="jsonl", compression=compression, shard_rows=20_000, limit=limit, order=order
    )
    expected = mart_packages(db, mart, "ctid" if order == "table" else "image_id")
    for split in SPLIT_ORDER:
        lines = [line for shard in sorted((out / "data").glob(f"{split}-*")) for line in read_jsonl(shard)]
        want = expected[split] if limit is None else expected[split][:limit]
        assert lines == want, split
        assert manifest["rows"][split] == len(want)


@pytest.mark.parametrize("direct", [True, False])
def test_shard_file_bytes_and_sha256_whatever_the_write_sizes(tmp_path, monkeypatch, direct):
    """Shards are written through an aligned staging buffer with O_DIRECT where the filesystem allows it, the
    unaligned tail buffered; the file and its sha256 must be exactly the bytes written, in any chunking."""
    if not direct:
        monkeypatch.setattr(writers, "_open_for_writing", lambda path: (os.open(path, os.O_WRONLY | os.O_CREAT), False))
    chunks = [os.urandom(n) for n in (1, 4095, 4097, writers.STAGE_BYTES - 3, 7, writers.STAGE_BYTES * 2 + 11, 0, 5)]
    path = tmp_path / "shard.bin"
    handle = writers._HashingFile(path)
    for chunk in chunks:
        handle.write(chunk)
    handle.close()
    data = b"".join(chunks)
    assert path.read_bytes() == data
    assert handle.sha256.hexdigest() == hashlib.sha256(data).hexdigest() == writers.sha256_file(path)
    assert handle.size == len(data)


def test_parallel_streams_give_the_same_bytes(built_project, tmp_path):
    one = export(built_project, tmp_path / "one", shard_rows=7_000)
    two = export(built_project, tmp_path / "two", shard_rows=7_000, streams=2)
    assert [s["sha256"] for s in one["shards"]] == [s["sha256"] for s in two["shards"]]


def test_a_stream_started_before_its_plan_cuts_the_shards_the_plan_counts(built_project, db, mart, tmp_path):
    """A fresh single-stream export reads before its plan is made; shard boundaries, the last shard of a split that
    fills exactly and a split with no rows must come out as the planned (two-stream) export writes them."""
    validation = db.execute(f"select count(*) from {mart} where split = 'validation'").fetchone()[0]
    common = {"format": "jsonl", "shard_rows": validation, "where": "split != 'test'"}
    early = export(built_project, tmp_path / "early", **common)
    planned = export(built_project, tmp_path / "planned", streams=2, **common)
    assert [(s["file"], s["rows"], s["sha256"]) for s in early["shards"]] == [
        (s["file"], s["rows"], s["sha256"]) for s in planned["shards"]
    ]
    assert [s["rows"] for s in early["shards"] if s["split"] == "validation"] == [validation]
    assert early["rows"]["test"] == 0 and not list((tmp_path / "early" / "data").glob("test-*"))
    assert sorted(f.name for f in (tmp_path / "early" / "data").iterdir()) == sorted(
        Path(s["file"]).name for s in early["shards"]
    )


# ------------------------------------------------------------------------------------------------ kill and resume


def test_kill_9_then_resume_is_byte_identical(built_project, tmp_path):
    reference = export(built_project, tmp_path / "reference", shard_rows=4_000, batch_rows=1_000)
    out = tmp_path / "killed"
    args = ["--out", str(out), "--shard-rows", "4000", "--batch-rows", "1000", "--quiet"]
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "scripts" / "export_mart.py"),
            MART,
            "--manifest",
            str(built_project.target_path / "manifest.json"),
            "--dsn",
            built_project.dsn,
            *args,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        data = out / "data"
        if data.exists() and any(not f.name.startswith(".") for f in data.iterdir()):
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the export finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (out / "manifest.json").exists()
    finished = sorted(f.name for f in (out / "data").iterdir() if not f.name.startswith("."))
    assert 0 < len(finished) < len(reference["shards"])
    # without --resume (or --overwrite) the directory is refused
    assert cli(built_project, *args).returncode == 2
    resumed = cli(built_project, *args, "--resume")
    assert resumed.returncode == 0, resumed.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert [(s["file"], s["sha256"]) for s in manifest["shards"]] == [
        (s["file"], s["sha256"]) for s in reference["shards"]
    ]
    for shard in manifest["shards"]:
        assert writers.sha256_file(out / shard["file"]) == shard["sha256"]
    assert not list((out / "data").glob(".*")) and not (out / ".export-state").exists()
    assert len(manifest["resumed_snapshots"]) == 1


# ------------------------------------------------------------------------------------------------ snapshots


@pytest.fixture
def scratch_mart(built_project, db, mart):
    """A private copy of the mart (so tests can change it) in its own schema."""
    schema = "pytest_export_scratch"
    db.execute(f"drop schema if exists {schema} cascade")
    db.execute(f"create schema {schema}")
    db.execute(f"create table {schema}.{MART} as select * from {mart}")
    yield schema
    db.execute(f"drop schema if exists {schema} cascade")


def test_concurrent_change_does_not_tear_the_export(built_project, db, scratch_mart, tmp_path, monkeypatch):
    relation = f"{scratch_mart}.{MART}"
    before = mart_packages(db, relation)
    original = streams.StreamWorker._read_loop
    changed = []

    def read_loop_after_a_change(self):
        if not changed:  # another session deletes and updates rows, and commits, while the export runs
            with psycopg.connect(built_project.dsn, autocommit=True) as other:
                other.execute(f"delete from {relation} where split = 'test'")
                other.execute(
                    f"update {relation} set package = package || '{{\"split\": \"x\"}}' where split = 'train'"
                )
            changed.append(True)
        return original(self)

    monkeypatch.setattr(streams.StreamWorker, "_read_loop", read_loop_after_a_change)
    manifest = export(
        built_project, tmp_path / "snap", format="jsonl", schema=scratch_mart, streams=2, shard_rows=9_000
    )
    assert changed
    for split in SPLIT_ORDER:
        lines = [
            line for shard in sorted((tmp_path / "snap" / "data").glob(f"{split}-*")) for line in read_jsonl(shard)
        ]
        assert lines == before[split], split
    assert manifest["rows"]["test"] == len(before["test"]) > 0


def test_resume_refuses_when_the_mart_changed(built_project, db, scratch_mart, tmp_path, monkeypatch):
    out = tmp_path / "changed"
    real_publish = streams.publish
    published = []

    def publish_then_crash(tmp, final):
        real_publish(tmp, final)
        published.append(final)
        raise KeyboardInterrupt  # the run dies right after its first shard

    monkeypatch.setattr(streams, "publish", publish_then_crash)
    with pytest.raises(KeyboardInterrupt):
        export(built_project, out, schema=scratch_mart, shard_rows=5_000)
    monkeypatch.setattr(streams, "publish", real_publish)
    assert published and not (out / "manifest.json").exists()
    db.execute(f"update {scratch_mart}.{MART} set listing_id = listing_id where split = 'validation'")
    with pytest.raises(UsageError, match="changed since the interrupted export"):
        export(built_project, out, schema=scratch_mart, shard_rows=5_000, resume=True)


# ------------------------------------------------------------------------------------------------ metadata


def test_croissant_validates_and_loads_records(built_project, tmp_path):
    import mlcroissant as mlc

    out = tmp_path / "croissant"
    export(built_project, out, limit=50)
    dataset = mlc.Dataset(out / "croissant.json")  # raises on validation errors
    records = []
    for record in dataset.records("packages"):
        records.append(record)
        if len(records) == 3:
            break
    assert len(records) == 3
    assert isinstance(records[0]["packages/listing_id"], int)
    assert "packages/outcome/sale_price" in records[0]["packages/outcome"]
    result = subprocess.run(
        [str(Path(sys.executable).parent / "mlcroissant"), "validate", "--jsonld", str(out / "croissant.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


# ------------------------------------------------------------------------------------------------ tasks, holdout


def test_task_keeps_only_fields_known_at_prediction_time(built_project, tmp_path):
    start = export(built_project, tmp_path / "start", task="price_at_listing_start", limit=200)
    columns = set(pq.read_table(tmp_path / "start" / "data").column_names)
    assert {"behavioral_signals", "early_signals"}.isdisjoint(columns)
    assert {"outcome", "training_labels", "vehicle_context"} <= columns
    assert "as_of.listing_ended_at" in start["task"]["dropped"]
    assert "behavioral_signals.comment_count" in start["task"]["dropped"]
    assert "outcome.sale_price" in start["task"]["kept_targets"]

    day = export(built_project, tmp_path / "day", task="price_after_24h", format="jsonl", limit=200)
    package = json.loads(read_jsonl(next((tmp_path / "day" / "data").glob("train-*")))[0])
    assert "early_signals" in package and "behavioral_signals" not in package
    assert "listing_ended_at" not in package["as_of"] and "listing_started_at" in package["as_of"]
    assert "early_signals.high_bid" not in day["task"]["dropped"]


def test_untagged_field_stops_the_export(built_project, manifest_path, tmp_path):
    manifest = json.loads(manifest_path.read_text())
    node = manifest["nodes"][f"model.contextpack.{MART}"]
    column = node["columns"]["package"]
    for meta in (column.get("meta") or {}, column["config"]["meta"]):
        if "package_fields" in meta:
            del meta["package_fields"]["outcome.sold"]["timing"]
    broken = tmp_path / "manifest.json"
    broken.write_text(json.dumps(manifest))
    result = cli(built_project, "--out", str(tmp_path / "x"), "--manifest", str(broken))
    assert result.returncode == 2 and "outcome.sold" in result.stderr and "timing" in result.stderr


def test_holdout_after_puts_the_future_in_test_and_removes_its_groups(built_project, db, mart, tmp_path):
    cutoff = db.execute(f"select percentile_disc(0.8) within group (order by listing_ended_at) from {mart}").fetchone()[
        0
    ]
    out = tmp_path / "holdout"
    manifest = export(built_project, out, format="jsonl", holdout_after=cutoff.date().isoformat())
    by_split = {}
    for split in SPLIT_ORDER:
        by_split[split] = [
            json.loads(line) for f in sorted((out / "data").glob(f"{split}-*")) for line in read_jsonl(f)
        ]
    limit = dt.datetime.fromisoformat(manifest["options"]["holdout_after"])
    assert by_split["test"] and all(
        dt.datetime.fromisoformat(p["as_of"]["listing_ended_at"]) > limit for p in by_split["test"]
    )
    test_groups = {p["vehicle_id"] for p in by_split["test"]}
    for split in ("train", "validation"):
        assert by_split[split]
        assert all(dt.datetime.fromisoformat(p["as_of"]["listing_ended_at"]) <= limit for p in by_split[split])
        assert test_groups.isdisjoint(p["vehicle_id"] for p in by_split[split])
        assert all(p["split"] == split for p in by_split[split])


def test_where_is_parameterized_not_spliced(built_project, db, mart, tmp_path):
    ids = [r[0] for r in db.execute(f"select distinct vehicle_id from {mart} order by 1 limit 3")]
    manifest = export(
        built_project,
        tmp_path / "w",
        format="jsonl",
        where=f"vehicle_id in ({ids[0]}, {ids[1]}, {ids[2]}) and split != 'nothing'",
    )
    expected = db.execute(f"select count(*) from {mart} where vehicle_id = any(%s)", [ids]).fetchone()[0]
    assert manifest["total_rows"] == expected > 0
    with pytest.raises(UsageError, match="no interrupted export|bad --where value"):
        export(built_project, tmp_path / "inj", where="listing_ended_at > 'x'' or 1=1 --'")
    injected = export(built_project, tmp_path / "inj2", overwrite=True, where="split = \"train' or 'a'='a\"")
    assert injected["total_rows"] == 0


def manifest_with_row_timing(manifest_path: Path, tmp_path: Path, row_timing: str = "image_context.known_from") -> Path:
    """A copy of the dbt manifest whose listing mart declares `row_timing` and its package field."""
    manifest = json.loads(manifest_path.read_text())
    node = manifest["nodes"][f"model.contextpack.{MART}"]
    node["config"]["meta"]["row_timing"] = row_timing
    column = node["columns"]["package"]
    for meta in (column.get("meta") or {}, column["config"]["meta"]):
        if "package_fields" in meta:
            meta["package_fields"]["image_context.known_from"] = {
                "type": "string",
                "timing": "listing_start",
                "description": "When the image became known: listing_start, or during_listing for photos added later.",
            }
    path = tmp_path / "manifest-row-timing.json"
    path.write_text(json.dumps(manifest))
    return path


def test_task_row_timing_drops_rows_known_later(built_project, db, scratch_mart, manifest_path, tmp_path):
    relation = f"{scratch_mart}.{MART}"
    # photos past position 10 were added by the seller during the auction; a few rows carry no row timing
    db.execute(
        f"update {relation} set package = jsonb_set(package, '{{image_context,known_from}}', to_jsonb(case"
        " when (package #>> '{image_context,position}')::int > 10 then 'during_listing' else 'listing_start' end))"
    )
    db.execute(f"update {relation} set package = package #- '{{image_context,known_from}}' where image_id::text < '08'")
    counted = {
        split: (kept, dropped)
        for split, kept, dropped in db.execute(
            f"select split, count(*) filter (where package #>> '{{image_context,known_from}}' = 'listing_start'),"
            f" count(*) filter (where package #>> '{{image_context,known_from}}' is distinct from 'listing_start')"
            f" from {relation} group by split"
        )
    }
    assert all(kept and dropped for kept, dropped in counted.values())
    manifest = manifest_with_row_timing(manifest_path, tmp_path)
    start = export(
        built_project,
        tmp_path / "start",
        schema=scratch_mart,
        manifest=manifest,
        task="price_at_listing_start",
        format="jsonl",
        shard_rows=9_000,
    )
    assert start["rows"] == {split: counted[split][0] for split in SPLIT_ORDER}
    row_filter = start["row_filter"]
    assert row_filter["row_timing"] == "image_context.known_from" and row_filter["kept_timings"] == ["listing_start"]
    assert row_filter["dropped_rows"] == {split: counted[split][1] for split in SPLIT_ORDER}
    assert row_filter["selected_rows"] == {split: sum(counted[split]) for split in SPLIT_ORDER}
    packages = [
        json.loads(line) for f in sorted((tmp_path / "start" / "data").glob("*.jsonl")) for line in read_jsonl(f)
    ]
    assert len(packages) == sum(start["rows"].values())
    assert {p["image_context"]["known_from"] for p in packages} == {"listing_start"}
    card = (tmp_path / "start" / "README.md").read_text()
    assert "Row filter" in card and f"{sum(row_filter['dropped_rows'].values()):,} of" in card

    # a task some hours into the listing still drops rows of a later timing; --where combines with the filter
    ids = [r[0] for r in db.execute(f"select distinct vehicle_id from {relation} order by 1 limit 40")]
    later = export(
        built_project,
        tmp_path / "later",
        schema=scratch_mart,
        manifest=manifest,
        task="price_after_24h",
        where=f"vehicle_id in ({', '.join(map(str, ids))})",
        order="key",
        shard_rows=500,
    )
    expected = dict(
        db.execute(
            f"select split, count(*) from {relation} where vehicle_id = any(%s)"
            " and package #>> '{image_context,known_from}' = 'listing_start' group by split",
            [ids],
        ).fetchall()
    )
    assert {s: n for s, n in later["rows"].items() if n} == expected
    table = pq.read_table(tmp_path / "later" / "data")
    assert table.num_rows == sum(expected.values())
    assert set(table.column("image_context").combine_chunks().field("known_from").to_pylist()) == {"listing_start"}

    # without --task every row is exported, as for a mart without row_timing
    everything = export(built_project, tmp_path / "all", schema=scratch_mart, manifest=manifest, format="jsonl")
    assert everything["rows"] == {split: sum(counted[split]) for split in SPLIT_ORDER}
    assert everything["row_filter"] is None


def test_row_timing_must_name_a_string_field(built_project, manifest_path, tmp_path):
    manifest = manifest_with_row_timing(manifest_path, tmp_path, row_timing="image_context.position")
    result = cli(
        built_project, "--out", str(tmp_path / "x"), "--manifest", str(manifest), "--task", "price_at_listing_start"
    )
    assert result.returncode == 2 and "row_timing" in result.stderr and len(result.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------------------------------------------ bad arguments


def run_main(argv: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        export_mart.main(argv)
    return exc.value.code, capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--where", "package = 1"], "not a plain column"),
        (["--where", "vehicle_id ~ 3"], "bad --where"),
        (["--where", "vehicle_id in 3"], "expected '('"),
        (["--splits", "train,holdout"], "unknown split holdout"),
        (["--task", "nope"], "unknown task"),
        (["--holdout-after", "yesterday"], "bad --holdout-after"),
        (["--shard-rows", "0"], "--shard-rows"),
        (["--format", "csv"], "invalid choice"),
        (["--resume", "--overwrite"], "not allowed with"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(built_project, manifest_path, tmp_path, capsys, extra, message):
    argv = [MART, "--out", str(tmp_path / "o"), "--manifest", str(manifest_path), "--dsn", built_project.dsn, *extra]
    code, err = run_main(argv, capsys)
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1, err


def test_unknown_mart_missing_manifest_and_unreachable_db(built_project, manifest_path, tmp_path, capsys):
    code, err = run_main(["no_such_mart", "--out", str(tmp_path / "o"), "--manifest", str(manifest_path)], capsys)
    assert code == 2 and "unknown package mart 'no_such_mart'" in err and MART in err
    code, err = run_main([MART, "--out", str(tmp_path / "o"), "--manifest", str(tmp_path / "none.json")], capsys)
    assert code == 2 and "dbt parse" in err
    code, err = run_main(
        [
            MART,
            "--out",
            str(tmp_path / "o"),
            "--manifest",
            str(manifest_path),
            "--dsn",
            "host=127.0.0.1 port=1 dbname=x connect_timeout=2",
        ],
        capsys,
    )
    assert code == 2 and "cannot connect to the database" in err and len(err.strip().splitlines()) == 1


def test_unwritable_or_existing_output_is_refused(built_project, manifest_path, tmp_path, capsys):
    base = [MART, "--manifest", str(manifest_path), "--dsn", built_project.dsn, "--out"]
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    # as root chmod stops nothing: a parent that is a regular file, and /proc, cannot hold a directory
    for out in (a_file / "export", Path("/proc/contextpack-export")):
        code, err = run_main([*base, str(out)], capsys)
        assert code == 2 and "cannot write" in err and len(err.strip().splitlines()) == 1, err
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    code, err = run_main([*base, str(tmp_path / "taken")], capsys)
    assert code == 2 and "--overwrite or --resume" in err
    code, err = run_main([*base, str(tmp_path / "taken"), "--overwrite"], capsys)
    assert code == 2 and "does not look like an export" in err
    assert (tmp_path / "taken" / "notes.txt").read_text() == "mine"


def test_a_full_disk_fails_cleanly(built_project, manifest_path, tmp_path, capsys, monkeypatch):
    """No small filesystem can be mounted here, so the writer's file gets ENOSPC the way a full disk gives it."""
    real_write = writers._HashingFile.write

    def write_until_full(self, data):
        if self.size + memoryview(data).nbytes > 100_000:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(self, data)

    monkeypatch.setattr(writers._HashingFile, "write", write_until_full)
    out = tmp_path / "full"
    code, err = run_main(
        [
            MART,
            "--out",
            str(out),
            "--manifest",
            str(manifest_path),
            "--dsn",
            built_project.dsn,
            "--format",
            "jsonl",
            "--quiet",
        ],
        capsys,
    )
    assert code == 2 and "No space left on device" in err and len(err.strip().splitlines()) == 1, err
    assert not (out / "manifest.json").exists()
    assert not [f for f in (out / "data").iterdir() if not f.name.startswith(".")]
