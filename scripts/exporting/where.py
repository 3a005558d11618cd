"""`--where`: a tiny filter grammar on the mart's plain columns, never spliced into SQL as text.

    condition  := comparison ("and" comparison)*
    comparison := COLUMN OP VALUE | COLUMN "in" "(" VALUE ("," VALUE)* ")"
    OP         := = | != | <> | < | <= | > | >=
    VALUE      := 'single quoted' | "double quoted" | a bare word without spaces, commas or parentheses

Columns must be plain (non-package) columns of the mart as the dbt manifest lists them; values are passed
as query parameters and cast to the column's declared type (a value that does not cast is reported before
the export starts).

    --where "listing_ended_at >= '2024-01-01' and split in (train, validation)"
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from psycopg import sql

from .errors import UsageError

OPERATORS = {"=": "=", "!=": "<>", "<>": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[(),])
      | '(?P<squote>(?:[^']|'')*)'
      | "(?P<dquote>(?:[^"]|"")*)"
      | (?P<word>[^\s(),'"<>=!]+)
    )""",
    re.VERBOSE,
)
_SAFE_TYPE = re.compile(r"^[a-z][a-z0-9_ ]*(\(\d+(,\s*\d+)?\))?(\[\])?$")


@dataclass(frozen=True)
class Comparison:
    column: str
    op: str  # an OPERATORS value, or "in"
    values: tuple[str, ...]


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise UsageError(f"bad --where near {text[pos : pos + 20]!r}: expected column op value [and ...]")
        pos = match.end()
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "squote":
            kind, value = "value", value.replace("''", "'")
        elif kind == "dquote":
            kind, value = "value", value.replace('""', '"')
        tokens.append((kind, value))
    return tokens


def parse_where(text: str, columns: dict[str, dict]) -> list[Comparison]:
    """Parse and validate against the plain columns ({name: {data_type}}); raise UsageError with one line."""
    tokens = _tokens(text)
    if not tokens:
        raise UsageError("bad --where: empty condition")
    comparisons: list[Comparison] = []
    i = 0

    def expect_value() -> str:
        nonlocal i
        if i >= len(tokens) or tokens[i][0] not in ("value", "word"):
            raise UsageError(f"bad --where {text!r}: expected a value after position {i}")
        i += 1
        return tokens[i - 1][1]

    while True:
        if i >= len(tokens) or tokens[i][0] != "word":
            raise UsageError(f"bad --where {text!r}: expected a column name")
        column = tokens[i][1]
        if column not in columns:
            raise UsageError(
                f"bad --where: {column!r} is not a plain column of the mart (one of: {', '.join(columns)})"
            )
        i += 1
        if i < len(tokens) and tokens[i][0] == "word" and tokens[i][1].lower() == "in":
            i += 1
            if i >= len(tokens) or tokens[i] != ("punct", "("):
                raise UsageError(f"bad --where {text!r}: expected '(' after in")
            i += 1
            values = [expect_value()]
            while i < len(tokens) and tokens[i] == ("punct", ","):
                i += 1
                values.append(expect_value())
            if i >= len(tokens) or tokens[i] != ("punct", ")"):
                raise UsageError(f"bad --where {text!r}: expected ')' to close the in list")
            i += 1
            comparisons.append(Comparison(column, "in", tuple(values)))
        elif i < len(tokens) and tokens[i][0] == "op":
            op = OPERATORS[tokens[i][1]]
            i += 1
            comparisons.append(Comparison(column, op, (expect_value(),)))
        else:
            raise UsageError(f"bad --where {text!r}: expected an operator (= != < <= > >= in) after {column}")
        if i >= len(tokens):
            return comparisons
        if tokens[i][0] == "word" and tokens[i][1].lower() == "and":
            i += 1
            continue
        raise UsageError(f"bad --where {text!r}: expected 'and' or the end after {column}'s value")


def column_type_sql(data_type: str) -> sql.Composable:
    norm = data_type.strip().lower()
    if not _SAFE_TYPE.match(norm):
        raise UsageError(f"unsupported column type {data_type!r} in --where")
    return sql.SQL(norm)


def where_sql(comparisons: list[Comparison], columns: dict[str, dict], alias: str = "t") -> tuple[sql.Composable, list]:
    """A composable condition and its parameters (values cast to each column's declared type)."""
    parts: list[sql.Composable] = []
    params: list = []
    for comp in comparisons:
        column = sql.Identifier(alias, comp.column)
        typ = column_type_sql(columns[comp.column]["data_type"])
        if comp.op == "in":
            parts.append(sql.SQL("{} = any({}::{}[])").format(column, sql.Placeholder(), typ))
            params.append(list(comp.values))
        else:
            parts.append(sql.SQL("{} {} {}::{}").format(column, sql.SQL(comp.op), sql.Placeholder(), typ))
            params.append(comp.values[0])
    return sql.SQL(" and ").join(parts) if parts else sql.SQL("true"), params
