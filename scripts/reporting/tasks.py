"""The parts of export_tasks.yml the exporter ignores: each task's `baseline:` block and the `examples:` units."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

KINDS = ("regression", "binary", "multiclass")


class TaskSpecError(Exception):
    """The task file or a task's baseline block is missing or malformed: reported as one line."""


@dataclass(frozen=True)
class BaselineSpec:
    task: str
    marts: tuple[str, ...]
    kind: str
    target: str
    log_target: bool = False
    estimate: str | None = None
    group_median: tuple[str, ...] = field(default_factory=tuple)
    reference: str | None = None
    target_patterns: tuple[str, ...] = field(default_factory=tuple)  # the task's `targets:` for the mart


def load_task_file(path: Path) -> dict:
    if not Path(path).exists():
        raise TaskSpecError(f"task file {path} not found (pass --tasks-file PATH)")
    try:
        data = yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise TaskSpecError(f"cannot read task file {path}: {exc}") from exc
    if not isinstance(data.get("tasks"), dict):
        raise TaskSpecError(f"task file {path} has no `tasks:` mapping")
    return data


def tasks_with_baseline(data: dict) -> list[str]:
    return sorted(name for name, task in data["tasks"].items() if isinstance((task or {}).get("baseline"), dict))


def baseline_spec(data: dict, task_name: str, mart: str | None = None) -> BaselineSpec:
    tasks = data["tasks"]
    if task_name not in tasks:
        raise TaskSpecError(f"unknown task {task_name!r} (tasks: {', '.join(sorted(tasks))})")
    task = tasks[task_name] or {}
    block = task.get("baseline")
    if not isinstance(block, dict):
        raise TaskSpecError(
            f"task {task_name!r} has no `baseline:` block in the task file (tasks with one: "
            f"{', '.join(tasks_with_baseline(data)) or 'none'})"
        )
    kind = block.get("kind")
    if kind not in KINDS:
        raise TaskSpecError(f"task {task_name!r}: baseline.kind must be one of {', '.join(KINDS)}, got {kind!r}")
    target = block.get("target")
    if not isinstance(target, str) or not target:
        raise TaskSpecError(f"task {task_name!r}: baseline.target must name a package key path")
    compare = block.get("compare_with") or {}
    marts = tuple((task.get("marts") or {}).keys())
    patterns: tuple[str, ...] = ()
    if mart is not None and mart in (task.get("marts") or {}):
        patterns = tuple((task["marts"][mart] or {}).get("targets") or ())
    reference = block.get("reference")
    return BaselineSpec(
        task=task_name,
        marts=marts,
        kind=kind,
        target=target,
        log_target=bool(block.get("log_target", False)),
        estimate=compare.get("estimate"),
        group_median=tuple(compare.get("group_median") or ()),
        reference=" ".join(str(reference).split()) if reference else None,
        target_patterns=patterns,
    )


def example_unit(data: dict, mart: str) -> str | None:
    """The key path one example stands for in this mart (e.g. listing_id), when the mart repeats it over rows."""
    entry = (data.get("examples") or {}).get(mart) or {}
    return entry.get("one_row_per")


def matches(path: str, pattern: str) -> bool:
    """A task pattern: an exact key path, or `section.*` for every key under it."""
    return path.startswith(pattern[:-1]) if pattern.endswith(".*") else path == pattern
