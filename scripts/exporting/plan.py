"""The SQL of one export, all read inside one repeatable-read snapshot.

Within a split, rows are exported in one deterministic order: by default the relation's physical order
(ctid: what a serial scan returns, no sort), or with `order="key"` the mart's key (PostgreSQL then sorts
the packages, which spills gigabytes to disk at scale and costs about half the speed). Shard k of a split
holds its rows k*shard_rows .. (k+1)*shard_rows-1 in that order. One planning query (a sort of the
positions only, not the packages) returns every split's row count, the first position of every shard and a
fingerprint (relation oid and relfilenode, per split: rows, a sum of key hashes and a sum of row xmins), so
a resumed run in a new snapshot can prove the relation is unchanged, which makes its physical order
unchanged too. The streams then copy contiguous runs of shards, each with one COPY.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from psycopg import sql

from .marts import SPLIT_COLUMN, Mart
from .where import column_type_sql

COPY_OPTIONS = sql.SQL("(format csv, quote e'\\x01', delimiter e'\\x02')")
TEXT_TYPES = ("text", "character varying", "varchar", "character", "char")


@dataclass
class Selection:
    """Which rows, in which split, with which package keys: everything that shapes the export's content."""

    mart: Mart
    schema: str
    splits: list[str]
    where: sql.Composable = field(default_factory=lambda: sql.SQL("true"))
    where_params: list = field(default_factory=list)
    holdout_after: str | None = None
    drop_paths: list[list[str]] = field(default_factory=list)  # key paths removed from each package (task)
    limit: int | None = None
    json_text_paths: list[str] = field(default_factory=list)  # Parquet only: values replaced by their JSON text
    order: str = "table"  # "table": the relation's physical (ctid) order, no sort; "key": sorted by the mart's key

    @property
    def relation(self) -> sql.Composable:
        return sql.Identifier(self.schema, self.mart.identifier)

    def key_expr(self, alias: str = "t") -> sql.Composable:
        key = sql.Identifier(alias, self.mart.key)
        if self.mart.column_type(self.mart.key).split("(")[0].strip() in TEXT_TYPES:
            return sql.SQL('{} collate "C"').format(key)
        return key

    def key_type(self) -> sql.Composable:
        return column_type_sql(self.mart.column_type(self.mart.key))

    def pos_expr(self) -> sql.Composable:
        return self.key_expr() if self.order == "key" else sql.SQL("t.ctid")

    def pos_type(self) -> sql.Composable:
        return self.key_type() if self.order == "key" else sql.SQL("tid")

    def split_expr(self) -> tuple[sql.Composable, list]:
        split = sql.Identifier("t", SPLIT_COLUMN)
        if not self.holdout_after:
            return split, []
        mart = self.mart
        time_col = sql.Identifier("t", mart.time_column)
        group = sql.Identifier("t", mart.split_group)
        expr = sql.SQL(
            "case when {time} > {p}::timestamptz then 'test'"
            " when {split} = 'test' then null"
            " when {group} in (select {hgroup} from {rel} as h where {htime} > {p}::timestamptz) then null"
            " else {split} end"
        ).format(
            time=time_col,
            split=split,
            group=group,
            hgroup=sql.Identifier("h", mart.split_group),
            htime=sql.Identifier("h", mart.time_column),
            rel=self.relation,
            p=sql.Placeholder(),
        )
        return expr, [self.holdout_after, self.holdout_after]

    def package_expr(self) -> sql.Composable:
        """The package as exported: task-dropped paths removed; with a holdout, `split` set to the export's split."""
        expr: sql.Composable = sql.Identifier("a", "_package")
        for path in self.drop_paths:
            expr = sql.SQL("({} #- {})").format(expr, sql.Literal("{" + ",".join(path) + "}"))
        if self.holdout_after and "split" in self.mart.fields and ["split"] not in self.drop_paths:
            expr = sql.SQL("({} || jsonb_build_object('split', a._split))").format(expr)
        for path in self.json_text_paths:
            pointer = sql.Literal("{" + ",".join(path.split(".")) + "}")
            value = sql.SQL("(a._package #> {})").format(pointer)
            expr = sql.SQL(
                "jsonb_set({e}, {p}, coalesce(case when jsonb_typeof({v}) in ('object', 'array')"
                " then to_jsonb({v}::text) else {v} end, 'null'::jsonb), false)"
            ).format(e=expr, p=pointer, v=value)
        return expr

    def base(self, with_package: bool) -> tuple[sql.Composable, list]:
        """`select _rank, _split, _key, _pos[, _package], _xmin` over the selected rows (no order)."""
        split, split_params = self.split_expr()
        package = sql.SQL(", {} as _package").format(self.package_expr()) if with_package else sql.SQL("")
        inner_package = sql.SQL(", t.{} as _package").format(sql.Identifier(self.mart.package_column))
        query = sql.SQL(
            "select * from (select array_position({splits}::text[], a._split) as _rank,"
            " a._split, a._key, a._pos{package},"
            " a._xmin from (select {split} as _split, {key} as _key, {pos} as _pos{inner_package}, t.xmin as _xmin"
            " from {rel} as t where {where}) as a) as b where _rank is not null"
        ).format(
            splits=sql.Placeholder(),
            split=split,
            key=self.key_expr(),
            pos=self.pos_expr(),
            package=package,
            inner_package=inner_package if with_package else sql.SQL(""),
            rel=self.relation,
            where=self.where,
        )
        return query, [self.splits, *split_params, *self.where_params]


def planning_query(selection: Selection, shard_rows: int) -> tuple[sql.Composable, list]:
    """Per split: count, fingerprint sums, and the first key of every shard (and the key after --limit)."""
    base, params = selection.base(with_package=False)
    limit = selection.limit
    query = sql.SQL(
        "select _rank, rn, _pos::text, n, key_hash, xmin_sum from ("
        " select _rank, _pos, row_number() over w as rn, count(*) over p as n,"
        " sum(hashtextextended(_key::text, 0)) over p as key_hash,"
        " sum((_xmin::text)::bigint) over p as xmin_sum"
        " from ({base}) as s window p as (partition by _rank), w as (partition by _rank order by _pos)"
        ") as r where (rn - 1) %% {shard_rows} = 0 {limit_cond} order by _rank, rn"
    ).format(
        base=base,
        shard_rows=sql.Literal(shard_rows),
        limit_cond=sql.SQL("or rn = {}").format(sql.Literal(limit + 1)) if limit else sql.SQL(""),
    )
    return query, params


def versions_query(selection: Selection) -> tuple[sql.Composable, list] | None:
    """Distinct values of the package's version fields (`package_version`, `rule_versions.*`), if it has them."""
    wanted = [p for p in selection.mart.fields if p == "package_version" or p.startswith("rule_versions.")]
    if not wanted:
        return None
    package = sql.Identifier("t", selection.mart.package_column)
    parts = [sql.SQL("{} #>> {}").format(package, sql.Literal("{" + ",".join(p.split(".")) + "}")) for p in wanted]
    return sql.SQL("select distinct {} from {} as t").format(sql.SQL(", ").join(parts), selection.relation), wanted


def relation_identity_query(selection: Selection) -> tuple[sql.Composable, list]:
    return (
        sql.SQL("select c.oid::bigint, c.relfilenode::bigint from pg_class c where c.oid = {}::regclass").format(
            sql.Literal(f'"{selection.schema}"."{selection.mart.identifier}"')
        ),
        [],
    )


def copy_query(selection: Selection, segments: list[tuple[int, str, str | None]]) -> tuple[sql.Composable, list]:
    """COPY of the packages of position ranges [lo, hi) per split rank: one line `<rank>\x02<package text>` each.

    In table order no ORDER BY is needed: a serial scan (no parallel workers, no synchronized scans) returns
    rows in ctid order; the reader routes each line to its split's shard by the rank digit."""
    base, params = selection.base(with_package=True)
    conds = []
    for rank, lo, hi in segments:
        cond = sql.SQL("(_rank = {} and _pos >= {}::{}").format(
            sql.Literal(rank), sql.Placeholder(), selection.pos_type()
        )
        params.append(lo)
        if hi is not None:
            cond = sql.SQL("{} and _pos < {}::{}").format(cond, sql.Placeholder(), selection.pos_type())
            params.append(hi)
        conds.append(sql.SQL("{})").format(cond))
    order = sql.SQL(" order by _rank, _pos") if selection.order == "key" else sql.SQL("")
    query = sql.SQL("copy (select _rank, _package::text from ({base}) as s where {conds}{order}) to stdout {opts}")
    return query.format(base=base, conds=sql.SQL(" or ").join(conds), order=order, opts=COPY_OPTIONS), params


def plain_copy_query(selection: Selection) -> sql.Composable:
    """The benchmark's baseline: every package as text, in no particular order."""
    return sql.SQL("copy (select {} ::text from {}) to stdout {}").format(
        sql.Identifier(selection.mart.package_column), selection.relation, COPY_OPTIONS
    )
