"""make bench rewrites BENCHMARKS.md but keeps the section measured by hand below its marker."""

from __future__ import annotations

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
