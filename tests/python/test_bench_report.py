"""make bench's report keeps its hand-measured section and shows what each whole build wrote to disk."""

from __future__ import annotations

import argparse

from bench import run as bench


def test_rewrite_keeps_the_hand_measured_section_once(tmp_path):
    report = tmp_path / "BENCHMARKS.md"
    report.write_text(f"# old run\n\nold figures\n{bench.KEPT_SECTION_MARKER}\n## Instruction counts\n\n82.5k\n")

    bench.write_report(report, "# new run\n\nnew figures")
    bench.write_report(report, "# newer run\n\nnewer figures")

    text = report.read_text()
    assert text.startswith("# newer run\n\nnewer figures\n")
    assert text.count("figures") == 1  # only the newest run's
    assert text.count(bench.KEPT_SECTION_MARKER) == 1
    assert text.endswith(f"{bench.KEPT_SECTION_MARKER}\n## Instruction counts\n\n82.5k\n")


def test_first_report_has_no_kept_section(tmp_path):
    report = tmp_path / "BENCHMARKS.md"
    bench.write_report(report, "# first run")
    assert report.read_text() == "# first run\n"


def test_disk_bytes_written_counts_each_disk_once(tmp_path):
    # a disk (with a hardware `device` link), its partition, a loop and a device-mapper device over it
    for name, has_device in [("vda", True), ("loop0", False), ("dm-0", False)]:
        (tmp_path / name).mkdir()
        if has_device:
            (tmp_path / name / "device").mkdir()
    diskstats = "\n".join([
        " 253       0 vda 100 0 0 0 50 0 2000 0 0 0 0",
        " 253       1 vda1 90 0 0 0 40 0 1900 0 0 0 0",
        "   7       0 loop0 1 0 0 0 1 0 700 0 0 0 0",
        " 252       0 dm-0 1 0 0 0 1 0 1800 0 0 0 0",
    ])
    assert bench.disk_bytes_written(diskstats, tmp_path) == 512 * 2000
    assert bench.disk_bytes_written("", tmp_path) is None


def test_whole_build_table_shows_the_bytes_written_or_unknown():
    def build(seconds, written):
        return {"seconds": seconds, "exit_code": 0, "statuses": {"pass": 3}, "bytes_written": written}

    results = {"when": "today", "machine": "a test", "whole_build": {
        "revision": "abc1234",
        "current": [build(80.0, 12.9e9), build(82.0, 9.9e9)],
        "baseline": [build(90.0, 5.9e9), build(91.0, None), build(92.0, 6.0e9)],
    }}
    text = bench.render(results, argparse.Namespace(scale=0.1, repeats=3))
    assert "| this checkout | 81.0 (min 80.0, max 82.0) | 11.4 (min 9.9, max 12.9) | pass 3 |" in text
    assert "| abc1234 on the same raw tables | 91.0 (min 90.0, max 92.0) | unknown | pass 3 |" in text


def test_floor_seconds_are_summed_per_model_folder():
    from bench.incremental_speed import seconds_per_folder

    manifest = {"nodes": {
        "model.contextpack.a": {"original_file_path": "models/intermediate/owners/a.sql"},
        "model.contextpack.b": {"original_file_path": "models/intermediate/owners/b.sql"},
        "model.contextpack.c": {"original_file_path": "models/staging/marketplace/c.sql"},
    }}
    run_results = {"results": [
        {"unique_id": "model.contextpack.c", "execution_time": 2.5},
        {"unique_id": "model.contextpack.a", "execution_time": 1.0},
        {"unique_id": "model.contextpack.b", "execution_time": 2.0},
    ]}
    assert list(seconds_per_folder(run_results, manifest).items()) == [
        ("models/intermediate/owners", 3.0), ("models/staging/marketplace", 2.5)]
