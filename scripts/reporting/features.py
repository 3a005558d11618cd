"""Which exported fields a model may learn from, and the pandas frame it reads.

Nothing here names a package field: inputs are whatever the export keeps as inputs (its manifest's
`kept_inputs`), less what the field specs and names say is not a feature:

- identifiers and bookkeeping: the mart's key and split group, `split`, `package_version`, every `as_of.*` and
  `rule_versions.*` key, and leaves named `id`, `*_id`, `*_key` or `*_url` (an id orders rows, it does not
  describe them; a model that learns from it memorizes);
- a spec that says `feature: false` or `pii: true`;
- list values (arrays of objects are the raw material for a sequence model, not a tabular one);
- for a mart that repeats its example over rows (one row per image of a listing), fields that vary within one
  example: they describe a row, not the example (found in the data, not from a list).

Objects whose values are numbers (counts per category) become one numeric column per key. Strings are
categorical (the model's own categorical support, through an OrdinalEncoder), booleans and numbers are
numeric, timestamps are seconds since the epoch. Null stays missing (NaN): unknown is not zero.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .exports import Export

ID_LEAF = re.compile(r"^id$|_id$|_key$|_url$")
NOT_FEATURE_SECTIONS = ("as_of", "rule_versions")
NOT_FEATURE_PATHS = ("split", "package_version")
LIST_VALUES = "list or nested object values (not a tabular feature)"


def _says_false(value) -> bool:
    """A spec flag written as YAML false, or as text (the Parquet field metadata holds strings)."""
    return value is False or (isinstance(value, str) and value.strip().lower() in ("false", "no", "0"))


def not_a_feature(path: str, spec: dict, manifest: dict) -> str | None:
    """Why a field is never an input, or None when it may be one."""
    leaf = path.split(".")[-1]
    if _says_false(spec.get("feature", True)):
        return "its spec says feature: false"
    if spec.get("pii") is True or str(spec.get("pii", "")).strip().lower() == "true":
        return "personal data (pii: true)"
    if spec.get("type") == "array":  # known from the spec: not read at all (orders can be 100s of kB each)
        return LIST_VALUES
    if path in NOT_FEATURE_PATHS or path.split(".")[0] in NOT_FEATURE_SECTIONS:
        return "bookkeeping (split, versions, as_of times)"
    if leaf in {manifest.get("key"), manifest.get("split_group")} or ID_LEAF.search(leaf):
        return "identifier"
    return None


def candidate_inputs(
    fields: Iterable[str], specs: dict[str, dict], manifest: dict, exclude: set[str]
) -> tuple[list[str], dict[str, str]]:
    """The fields that may be inputs, and why each other one is not."""
    inputs, dropped = [], {}
    for path in fields:
        if path in exclude:
            continue
        reason = not_a_feature(path, specs.get(path, {}), manifest)
        if reason:
            dropped[path] = reason
        else:
            inputs.append(path)
    return inputs, dropped


# ---------------------------------------------------------------------------------------------- reading rows


def read_examples(
    export: Export, columns: list[str], unit: str | None, vary_checked: list[str]
) -> tuple[pd.DataFrame, set[str], int]:
    """One row per example (the first row of each `unit`, or every row), with a `split` column.

    Returns the frame, the columns of `vary_checked` seen to take two values within one example, and the
    package rows read. Each batch is reduced to its examples before the next is read, so memory follows the
    examples, not the rows."""
    frames: list[pd.DataFrame] = []
    seen: set = set()
    varying: set[str] = set()
    rows_read = 0
    read = list(dict.fromkeys(([unit] if unit else []) + columns))
    for split, table in export.iter_tables(read):
        rows_read += table.num_rows
        if unit:
            checked = [c for c in vary_checked if c in table.column_names and c not in varying and c != unit]
            varying |= _varying_within(table, unit, checked)
            column = table.column(unit)
            table = table.take(pc.index_in(pc.unique(column), value_set=column))  # first row of each example
        frame = table.to_pandas()
        if unit:
            frame = frame[~frame[unit].isin(seen)]
            seen.update(frame[unit].tolist())
        frame["split"] = split
        frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=[*read, "split"]), varying, rows_read
    return pd.concat(frames, ignore_index=True), varying, rows_read


def _varying_within(table: pa.Table, unit: str, columns: list[str]) -> set[str]:
    if not columns:
        return set()
    counted = table.group_by(unit).aggregate([(c, "count_distinct", pc.CountOptions(mode="all")) for c in columns])
    return {c for c in columns if pc.max(counted.column(f"{c}_count_distinct")).as_py() > 1}


# ---------------------------------------------------------------------------------------------- the frame


def _json_values(series: pd.Series) -> list | None:
    """The parsed values when every non-null value of a text column is a JSON object or array, else None."""
    present = series.dropna()
    if present.empty or not present.map(lambda v: isinstance(v, str) and v[:1] in "{[").all():
        return None
    try:
        return [json.loads(v) if isinstance(v, str) else None for v in series]
    except ValueError:
        return None


def model_frame(frame: pd.DataFrame, inputs: list[str]) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """Columns a gradient-boosted tree reads: float columns and categorical (object) columns, named by path."""
    columns: dict[str, pd.Series] = {}
    categorical: list[str] = []
    dropped: dict[str, str] = {}
    for path in inputs:
        series = frame[path]
        if pd.api.types.is_bool_dtype(series) or (
            series.dtype == object and series.dropna().map(lambda v: isinstance(v, bool)).all() and series.notna().any()
        ):
            columns[path] = series.map(lambda v: np.nan if v is None or v is pd.NA else float(v)).astype(float)
        elif pd.api.types.is_datetime64_any_dtype(series):
            epoch = pd.Timestamp(0, tz="UTC") if getattr(series.dt, "tz", None) else pd.Timestamp(0)
            columns[path] = (series - epoch).dt.total_seconds()
        elif pd.api.types.is_numeric_dtype(series):
            columns[path] = series.astype(float)
        else:
            parsed = _json_values(series)
            if parsed is None:
                columns[path] = series.astype(object).where(series.notna(), np.nan)
                categorical.append(path)
                continue
            present = [v for v in parsed if v is not None]
            if all(isinstance(v, dict) for v in present) and all(
                isinstance(x, int | float) and not isinstance(x, bool) for v in present for x in v.values()
            ):
                keys = sorted({k for v in present for k in v})
                for key in keys:
                    columns[f"{path}.{key}"] = pd.Series(
                        [np.nan if v is None else v.get(key, np.nan) for v in parsed], index=series.index, dtype=float
                    )
            else:
                dropped[path] = LIST_VALUES
    return pd.DataFrame(columns, index=frame.index), categorical, dropped


def drop_uninformative(
    x: pd.DataFrame, train_mask: pd.Series, categorical: list[str]
) -> tuple[pd.DataFrame, list[str], dict[str, str]]:
    """Leave out columns with no value, or one value, in the training split: nothing to learn from."""
    dropped = {}
    train = x[train_mask]
    for column in list(x.columns):
        distinct = train[column].nunique(dropna=True)
        if distinct == 0:
            dropped[column] = "no value in the training split"
        elif distinct == 1 and train[column].notna().all():
            dropped[column] = "one value in the training split"
    keep = [c for c in x.columns if c not in dropped]
    return x[keep], [c for c in categorical if c in keep], dropped
