"""The SQL of one export, all read inside one repeatable-read snapshot.

Within a split, rows are exported in one deterministic order: by default the relation's physical order
(ctid: what a serial scan returns, no sort), or with `order="key"` the mart's key (PostgreSQL then sorts
the packages, which spills gigabytes to disk at scale and costs about half the speed). Shard k of a split
holds its rows k*shard_rows .. (k+1)*shard_rows-1 in that order.

One planning query counts the rows and takes a fingerprint (relation oid and relfilenode; per split: rows, a
sum of row xmins, rows dropped by a task's row filter), so a resumed run in a new snapshot can prove the relation
is unchanged, which makes its physical order unchanged too (a rebuild, VACUUM FULL or CLUSTER gives a new
relfilenode; an insert, update or delete changes a count or an xmin). It also returns *anchors*: pairs (row number
in the split, position) such that the split's rows from that number on are exactly those at or after the
position. In table order an anchor starts every bucket of heap blocks (a hash aggregate, no sort; only when
needed: several streams, --limit or a resume, since a whole-table single stream reads from the start); in key
order every shard start (a window over the sorted keys). A stream copies the rows from the anchor at or before
its first shard to the anchor at or after its last, and skips the few rows of a bucket that belong to a
neighbouring shard.

The streams read `COPY ... TO STDOUT`: JSONL in binary format (the package's jsonb text as is, no CSV escaping,
about 15% less server time than CSV), Parquet as CSV of the package's leaf values (the server extracts them;
Arrow's CSV reader parses that about 2.5x faster per row than its JSON reader parses whole packages).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from psycopg import sql

from .marts import SPLIT_COLUMN, Mart
from .where import column_type_sql

COPY_CSV = sql.SQL("(format csv)")
COPY_BINARY = sql.SQL("(format binary)")
TEXT_TYPES = ("text", "character varying", "varchar", "character", "char")
# heap blocks per planning bucket: at least this many, more on big relations (at most ~8k buckets per split)
MIN_BUCKET_BLOCKS = 64
MAX_BUCKETS = 8192


@dataclass
class RowFilter:
    """A task's row filter: keep rows whose row-timing key holds one of `kept` (tags at or before the task's)."""

    path: str  # package key path, e.g. image_context.known_from
    kept: list[str]


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
    order: str = "table"  # "table": the relation's physical (ctid) order, no sort; "key": sorted by the mart's key
    row_filter: RowFilter | None = None
    leaf_fields: dict[str, dict] | None = None  # Parquet: the kept fields, streamed as CSV leaf columns

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
            # a row of unknown time could be the future: it is left out of every split, never trained on
            "case when {time} is null then null"
            " when {time} > {p}::timestamptz then 'test'"
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

    def row_ok_expr(self) -> tuple[sql.Composable, list]:
        if self.row_filter is None:
            return sql.SQL("true"), []
        value = _path(sql.Identifier("t", self.mart.package_column), self.row_filter.path.split("."), text=True)
        # a missing or null row timing is unknown, so the row is not known to be available: dropped
        return sql.SQL("coalesce({} = any({}::text[]), false)").format(value, sql.Placeholder()), [
            list(self.row_filter.kept)
        ]

    def holdout_sets_split(self) -> bool:
        return bool(self.holdout_after) and "split" in self.mart.fields and ["split"] not in self.drop_paths

    def package_expr(self) -> sql.Composable:
        """The package as exported: task-dropped paths removed; with a holdout, `split` set to the export's split."""
        expr: sql.Composable = sql.Identifier("a", "_package")
        for path in self.drop_paths:
            expr = sql.SQL("({} #- {})").format(expr, sql.Literal("{" + ",".join(path) + "}"))
        if self.holdout_sets_split():
            expr = sql.SQL("({} || jsonb_build_object('split', a._split))").format(expr)
        return expr

    def leaf_select(self, rows: sql.Composable) -> sql.Composable:
        """Parquet: `select _rank, <one text column per kept leaf>, <one 0/1 column per nested object>` over `rows`.

        Objects and arrays of free-form fields come as their JSON text; the 0/1 columns say whether the package
        holds the nested object as an object (0 or null: its Arrow struct is null). The package is taken apart
        once per row by jsonb_to_record (its top-level leaves as text, its top-level objects as jsonb): packages
        are stored compressed, and every `->` on the column decompresses the whole package again (67 s instead of
        19 s of server time for the listing mart at scale 0.1, where psql's copy of the column takes 21 s). Deeper
        objects are taken out once each, in a subquery per nesting level (`offset 0` stops PostgreSQL from folding
        them back into one `->` chain per leaf, which would copy the object again for every leaf)."""
        fields = self.leaf_fields or {}
        prefixes = struct_prefixes(fields)
        slot = {prefix: sql.Identifier(f"_o{i}") for i, prefix in enumerate(prefixes)}
        own_split = self.holdout_sets_split()
        top_leaves = [p for p in fields if "." not in p and not (p == "split" and own_split)]
        slot.update({p: sql.Identifier(f"_l{i}") for i, p in enumerate(top_leaves)})
        top = [(p, "jsonb") for p in prefixes if "." not in p] + [(p, "text") for p in top_leaves]

        def holder(path: str) -> sql.Composable:  # the column holding the object that a path's last key is in
            return slot[path.rpartition(".")[0]]

        query = sql.SQL("select a._rank, a._split{} from ({}) as a").format(
            sql.SQL("").join(sql.SQL(", r.{} as {}").format(sql.Identifier(p), slot[p]) for p, _ in top), rows
        )
        if top:  # a package that is not a JSON object stops the COPY here ("cannot call populate_composite")
            query = sql.SQL("{} left join lateral jsonb_to_record(a._package) as r({}) on true").format(
                query, sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(p), sql.SQL(t)) for p, t in top)
            )
        for depth in range(2, max((p.count(".") + 1 for p in prefixes), default=0) + 1):
            objects = [
                sql.SQL("{} -> {} as {}").format(holder(p), sql.Literal(p.rpartition(".")[2]), slot[p])
                for p in prefixes
                if p.count(".") + 1 == depth
            ]
            query = sql.SQL("select *, {} from ({}) as {} offset 0").format(
                sql.SQL(", ").join(objects), query, sql.Identifier(f"level{depth}")
            )
        columns = []
        for path in fields:
            if "." not in path:
                columns.append(sql.SQL("_split") if path == "split" and own_split else slot[path])
            else:
                columns.append(sql.SQL("{} ->> {}").format(holder(path), sql.Literal(path.rpartition(".")[2])))
        columns += [sql.SQL("(jsonb_typeof({}) = 'object')::int").format(slot[p]) for p in prefixes]
        return sql.SQL("select _rank, {} from ({}) as leaves").format(sql.SQL(", ").join(columns), query)

    def base(self, with_package: bool) -> tuple[sql.Composable, list]:
        """`select _rank, _split, _pos, _xmin, _row_ok[, _package]` over the selected rows (no order)."""
        split, split_params = self.split_expr()
        row_ok, row_ok_params = self.row_ok_expr()
        inner_package = sql.SQL(", t.{} as _package").format(sql.Identifier(self.mart.package_column))
        query = sql.SQL(
            "select * from (select array_position({splits}::text[], a._split) as _rank, a.*"
            " from (select {split} as _split, {pos} as _pos, t.xmin as _xmin, {row_ok} as _row_ok"
            "{inner_package} from {rel} as t where {where}) as a) as b where _rank is not null"
        ).format(
            splits=sql.Placeholder(),
            split=split,
            pos=self.pos_expr(),
            row_ok=row_ok,
            inner_package=inner_package if with_package else sql.SQL(""),
            rel=self.relation,
            where=self.where,
        )
        return query, [self.splits, *split_params, *row_ok_params, *self.where_params]


def _path(root: sql.Composable, parts: list[str], text: bool) -> sql.Composable:
    """`root -> 'a' -> 'b' ->> 'c'`: a key lookup per level (cheaper than `#>` with a path array)."""
    expr = root
    for i, part in enumerate(parts):
        op = "->>" if text and i == len(parts) - 1 else "->"
        expr = sql.SQL("{} {} {}").format(expr, sql.SQL(op), sql.Literal(part))
    return sql.SQL("({})").format(expr)


def struct_prefixes(fields: dict[str, dict]) -> list[str]:
    """Every nested object of the field tree, parents first, in the fields' declaration order."""
    seen: dict[str, None] = {}
    for path in fields:
        parts = path.split(".")
        for depth in range(1, len(parts)):
            seen.setdefault(".".join(parts[:depth]), None)
    return list(seen)


def bucket_blocks(relation_blocks: int) -> int:
    blocks = MIN_BUCKET_BLOCKS
    while relation_blocks / blocks > MAX_BUCKETS:
        blocks *= 2
    return blocks


def relation_blocks_query(selection: Selection) -> tuple[sql.Composable, list]:
    return sql.SQL("select pg_relation_size({}::regclass) / current_setting('block_size')::bigint").format(
        sql.Literal(f'"{selection.schema}"."{selection.mart.identifier}"')
    ), []


def bucket_starts(relation_blocks: int) -> list[str]:
    """The first position of every bucket of heap blocks."""
    blocks = bucket_blocks(relation_blocks)
    return [f"({start},0)" for start in range(0, max(relation_blocks, 1), blocks)]


def table_planning_query(selection: Selection, starts: list[str] | None) -> tuple[sql.Composable, list]:
    """Per split (and bucket of heap blocks, if given their starts): kept rows, dropped rows and the xmin sum.

    A hash aggregate, no sort; the bucket is a binary search of the row's ctid in the starts (width_bucket),
    which costs a third of turning every ctid into text."""
    base, params = selection.base(with_package=False)
    bucket = sql.SQL("0")
    if starts:
        bucket = sql.SQL("width_bucket(_pos, {}::tid[])").format(sql.Placeholder())
    query = sql.SQL(
        "select _rank, {bucket} as bucket, count(*) filter (where _row_ok), count(*) filter (where not _row_ok),"
        " coalesce(sum((_xmin::text)::bigint) filter (where _row_ok), 0)"
        " from ({base}) as s group by 1, 2 order by 1, 2"
    ).format(base=base, bucket=bucket)
    return query, ([starts] if starts else []) + params


def key_planning_query(selection: Selection, shard_rows: int) -> tuple[sql.Composable, list]:
    """Per split: count, xmin sum, and the key of every shard's first row (and of the row after --limit)."""
    base, params = selection.base(with_package=False)
    limit = selection.limit
    query = sql.SQL(
        "select _rank, rn, _pos::text, n, xmin_sum from ("
        " select _rank, _pos, row_number() over w as rn, count(*) over p as n,"
        " sum((_xmin::text)::bigint) over p as xmin_sum"
        " from ({base}) as s where _row_ok window p as (partition by _rank), w as (partition by _rank order by _pos)"
        ") as r where (rn - 1) %% {shard_rows} = 0 {limit_cond} order by _rank, rn"
    ).format(
        base=base,
        shard_rows=sql.Literal(shard_rows),
        limit_cond=sql.SQL("or rn = {}").format(sql.Literal(limit + 1)) if limit else sql.SQL(""),
    )
    return query, params


def dropped_rows_query(selection: Selection) -> tuple[sql.Composable, list]:
    base, params = selection.base(with_package=False)
    return sql.SQL("select _rank, count(*) from ({}) as s where not _row_ok group by 1").format(base), params


def versions_query(selection: Selection) -> tuple[sql.Composable, list] | None:
    """Distinct values of the package's version fields (`package_version`, `rule_versions.*`), if it has them."""
    wanted = [p for p in selection.mart.fields if p == "package_version" or p.startswith("rule_versions.")]
    if not wanted:
        return None
    package = sql.Identifier("t", selection.mart.package_column)
    parts = [_path(package, p.split("."), text=True) for p in wanted]
    return sql.SQL("select distinct {} from {} as t").format(sql.SQL(", ").join(parts), selection.relation), wanted


@dataclass
class Range:
    """Rows [first, end) of one split (row numbers in export order), copied as positions [lo, hi)."""

    rank: int
    first: int
    end: int
    lo: str | None
    hi: str | None


@dataclass
class Shard:
    name: str
    split: str
    rank: int
    index: int
    rows: int
    first: int  # number of the shard's first row in its split (0-based, export order)
    sha256: str | None = None
    bytes: int | None = None


@dataclass
class Plan:
    """What the planning query found in the snapshot: the shards, and where each split's rows can be read from."""

    shards: list[Shard]
    counts: dict[str, int]  # rows exported per split (after the row filter and --limit)
    dropped: dict[str, int]  # rows per split that a task's row filter dropped
    fingerprint: dict
    anchors: dict[int, list[tuple[int, str]]]  # rank -> [(row number, position)], row numbers ascending
    totals: dict[int, int]  # rank -> rows that pass every filter (before --limit)

    def shard(self, rank: int, index: int) -> Shard | None:
        return next((s for s in self.shards if s.rank == rank and s.index == index), None)

    def ranges(self, shards: list[Shard]) -> tuple[list[Range], dict[int, list]]:
        """The position ranges one stream copies for its shards, and per rank what to do with each row read:
        a list of (shard, rows) and (None, rows to skip) in read order."""
        ranges: list[Range] = []
        for rank in sorted({s.rank for s in shards}):
            mine = sorted((s for s in shards if s.rank == rank), key=lambda s: s.index)
            anchors = self.anchors[rank]
            numbers = [number for number, _ in anchors]
            for shard in mine:
                start = anchors[bisect.bisect_right(numbers, shard.first) - 1]
                after = bisect.bisect_left(numbers, shard.first + shard.rows)
                end = anchors[after] if after < len(anchors) else (self.totals[rank], None)
                if ranges and ranges[-1].rank == rank and start[0] <= ranges[-1].end:
                    ranges[-1].end, ranges[-1].hi = end[0], end[1]
                else:
                    ranges.append(Range(rank=rank, first=start[0], end=end[0], lo=start[1], hi=end[1]))
        actions: dict[int, list] = {}
        for r in ranges:
            steps = actions.setdefault(r.rank, [])
            cursor = r.first
            for shard in sorted((s for s in shards if s.rank == r.rank), key=lambda s: s.index):
                if r.first <= shard.first < r.end:
                    if shard.first > cursor:
                        steps.append((None, shard.first - cursor))
                    steps.append((shard, shard.rows))
                    cursor = shard.first + shard.rows
            if r.end > cursor:
                steps.append((None, r.end - cursor))
        return ranges, actions


def copy_query(selection: Selection, ranges: list[Range]) -> tuple[sql.Composable, list]:
    """COPY of the rows in the given ranges, one row per split rank and position range.

    JSONL: binary rows (int2 rank, text package). Parquet: CSV rows `rank,leaf,...`. In table order no ORDER BY
    is needed: a serial scan (no parallel workers, no synchronized scans) returns rows in ctid order; the reader
    routes each row to its split by the rank."""
    base, params = selection.base(with_package=True)
    conds = []
    for r in ranges:
        cond = sql.SQL("(_rank = {}").format(sql.Literal(r.rank))
        for bound, op in ((r.lo, ">="), (r.hi, "<")):
            if bound is not None:
                cond = sql.SQL("{} and _pos {} {}::{}").format(
                    cond, sql.SQL(op), sql.Placeholder(), selection.pos_type()
                )
                params.append(bound)
        conds.append(sql.SQL("{})").format(cond))
    order = sql.SQL(" order by _rank, _pos") if selection.order == "key" else sql.SQL("")
    rows = sql.SQL("select * from ({base}) as a where _row_ok and ({conds}){order}").format(
        base=base, conds=sql.SQL(" or ").join(conds), order=order
    )
    if selection.leaf_fields is not None:
        select, options = selection.leaf_select(rows), COPY_CSV
    else:
        select = sql.SQL("select _rank::int2, {}::text from ({}) as a").format(selection.package_expr(), rows)
        options = COPY_BINARY
    return sql.SQL("copy ({}) to stdout {}").format(select, options), params
