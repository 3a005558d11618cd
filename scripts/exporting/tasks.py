"""`--task`: keep only the fields known at a task's prediction time, plus its targets (export_tasks.yml).

When the mart declares `row_timing` (a package key holding the timing tag of the row itself), the task also keeps
only the rows whose row timing is at or before `inputs_known_at.timing`. A task made some hours into a timing
(`after_hours`) still drops rows of a later timing: a row timing has no hours to compare, so the filter stays
conservative.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import UsageError


@dataclass
class TaskSelection:
    name: str
    description: str
    inputs_known_at: dict
    targets: list[str]
    kept_inputs: list[str]
    kept_targets: list[str]
    dropped: dict[str, str]  # path -> why
    row_timing: str | None = None  # package key path of the row's own timing tag (the mart's meta.row_timing)
    row_timings_kept: list[str] | None = None  # row timing tags whose rows are kept

    @property
    def kept(self) -> set[str]:
        return set(self.kept_inputs) | set(self.kept_targets)

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "inputs_known_at": self.inputs_known_at,
            "targets": self.targets,
            "kept_inputs": self.kept_inputs,
            "kept_targets": self.kept_targets,
            "dropped": self.dropped,
            "row_filter": None
            if self.row_timing is None
            else {"row_timing": self.row_timing, "kept_timings": self.row_timings_kept},
        }


def load_tasks(path: Path) -> dict:
    if not path.exists():
        raise UsageError(f"task file {path} not found (pass --tasks-file PATH)")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise UsageError(f"cannot read task file {path}: {exc}") from exc
    tasks = data.get("tasks")
    if not isinstance(tasks, dict):
        raise UsageError(f"task file {path} has no `tasks:` mapping")
    return tasks


def _matches(path: str, pattern: str) -> bool:
    if pattern.endswith(".*"):
        return path.startswith(pattern[:-1])
    return path == pattern


def select_fields(
    tasks: dict,
    task_name: str,
    mart_name: str,
    fields: dict[str, dict],
    timings: Sequence[str],
    row_timing: str | None = None,
) -> TaskSelection:
    """Keep the fields whose timing is at or before the task's (in the mart's own order), plus its targets; with a
    row timing, name the row timing tags whose rows are kept."""
    timing_order = {timing: rank for rank, timing in enumerate(timings)}
    if task_name not in tasks:
        raise UsageError(f"unknown task {task_name!r} (tasks: {', '.join(sorted(tasks))})")
    task = tasks[task_name] or {}
    per_mart = (task.get("marts") or {}).get(mart_name)
    if per_mart is None:
        declared = ", ".join(sorted(task.get("marts") or {})) or "none"
        raise UsageError(f"task {task_name!r} is not declared for mart {mart_name} (it covers: {declared})")
    known_at = per_mart.get("inputs_known_at") or {}
    timing = known_at.get("timing")
    if timing not in timing_order:
        raise UsageError(
            f"task {task_name!r}: inputs_known_at.timing must be one of {mart_name}'s timings: {', '.join(timings)}"
        )
    after_hours = known_at.get("after_hours")
    targets = list(per_mart.get("targets") or [])
    unknown = [t for t in targets if not any(_matches(path, t) for path in fields)]
    if unknown:
        raise UsageError(f"task {task_name!r}: targets match no package field of {mart_name}: {', '.join(unknown)}")
    kept_inputs, kept_targets, dropped = [], [], {}
    for path, spec in fields.items():
        if any(_matches(path, t) for t in targets):
            kept_targets.append(path)
        elif timing_order[spec["timing"]] <= timing_order[timing] or (
            after_hours is not None
            and spec.get("available_after_hours") is not None
            and spec["available_after_hours"] <= after_hours
        ):
            kept_inputs.append(path)
        else:
            hours = spec.get("available_after_hours")
            why = spec["timing"] + (f" (available after {hours} h)" if hours is not None else "")
            dropped[path] = f"{why}: not known at {timing}" + (f" + {after_hours} h" if after_hours is not None else "")
    return TaskSelection(
        name=task_name,
        description=" ".join(str(task.get("description") or "").split()),
        inputs_known_at=dict(known_at),
        targets=targets,
        kept_inputs=kept_inputs,
        kept_targets=kept_targets,
        dropped=dropped,
        row_timing=row_timing,
        row_timings_kept=[t for t in timings if timing_order[t] <= timing_order[timing]] if row_timing else None,
    )
