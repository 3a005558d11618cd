{#
    Incremental staging (stg_marketplace__vehicle_images, __comments, __bids): a run recomputes only the keys whose
    staged row can have changed, and delete+insert by key replaces them. Staging keeps every delivered key (bad rows
    are flagged, never dropped; a row without an id has no key and is counted in stg_marketplace__rows_without_id),
    so replacing the affected keys gives exactly what a full rebuild gives.

    The watermark is the latest _loaded_at the model already holds. Raw rows arrive in daily batches whose
    _loaded_at only grows, so every row delivered since the last run has _loaded_at >= it. `>=` rather than `>`:
    a batch loaded in two parts with one _loaded_at is recomputed whole (recomputing a key twice is harmless).
#}
{% macro staging_watermark() -%}
    select coalesce(max(loaded_at), '-infinity'::timestamptz) as loaded_at from {{ this }}
{%- endmacro %}

{#
    Ids of the rows of a raw parent table delivered since the watermark: a child row that references one of them
    may change (an orphan that now has its parent, a listing whose window or vehicle moved).
    watermark_cte: the name of a CTE holding the watermark (staging_watermark()).
#}
{% macro parent_ids_loaded_since(table_name, watermark_cte) -%}
    select parent.id
    from {{ source('marketplace', table_name) }} as parent
    where parent._loaded_at >= (select {{ watermark_cte }}.loaded_at from {{ watermark_cte }})
{%- endmacro %}

{#
    Ids of the rows of a raw table that an incremental staging run must recompute for themselves: delivered since
    the watermark, or referencing a parent delivered since. references: {child column: parent raw table}.
    extra_columns: expressions over the alias child returned beside the id, read in the same scan.
#}
{% macro ids_loaded_since(table_name, watermark_cte, references, extra_columns=[]) -%}
    select
        child.id
        {%- for expression in extra_columns %},
        {{ expression }}
        {%- endfor %}
    from {{ source('marketplace', table_name) }} as child
    where
        child._loaded_at >= (select {{ watermark_cte }}.loaded_at from {{ watermark_cte }})
        {%- for column, parent_table in references.items() %}
            or child.{{ column }} in ({{ parent_ids_loaded_since(parent_table, watermark_cte) }})
        {%- endfor %}
{%- endmacro %}

{#
    The source CTE of a staging model whose rows read no other row of their table (comments, listings, work orders,
    ownerships): every raw row on a full build; on an incremental run every delivery of the ids delivered since the
    watermark or referencing a parent delivered since (ids_loaded_since). references: {child column: parent table}.
#}
{% macro raw_rows_to_stage(table_name, references) -%}
    select * from {{ source('marketplace', table_name) }}
    {%- if is_incremental() %}
        where id in (
            with watermark as (
                {{ staging_watermark() }}
            )

            {{ ids_loaded_since(table_name, 'watermark', references) }}
        )
    {%- else %}
        {#- a row without an id cannot be keyed: stg_marketplace__rows_without_id counts it #}
        where id is not null
    {%- endif %}
{%- endmacro %}

{#
    Rows that are ranked against each other (bids of one listing, images sharing one URL) must be recomputed
    together. These three macros take the directly affected ids to every row of their groups.
    group_expression: the group of a raw row, written over the alias raw_rows (e.g. "btrim(raw_rows.image_url)").
#}
{% macro groups_of_ids(table_name, group_expression, group_column, ids_cte) -%}
    {#- Every group any delivery of those ids is in: the one a row moves to and the one it leaves. #}
    select distinct {{ group_expression }} as {{ group_column }}
    from {{ source('marketplace', table_name) }} as raw_rows
    where raw_rows.id in (select {{ ids_cte }}.id from {{ ids_cte }})
{%- endmacro %}

{% macro is_in_groups(expression, groups_cte, group_column) -%}
    {#- One-element arrays compare null with null as equal, so a row without a group is in the null group, and the
        test is a single IN that PostgreSQL turns into a semi-join. `x in (...) or (x is null and ...)` was not: the
        `or` kept it a subplan, which at scale 0.4 (a group estimate of 5M rows, too large to hash) rescanned the
        groups for every row. #}
    array[{{ expression }}] in (select array[{{ groups_cte }}.{{ group_column }}] from {{ groups_cte }})
{%- endmacro %}

{% macro ids_in_groups(table_name, group_expression, groups_cte, group_column) -%}
    select raw_rows.id
    from {{ source('marketplace', table_name) }} as raw_rows
    where {{ is_in_groups(group_expression, groups_cte, group_column) }}
{%- endmacro %}

{#
    The guard of every incremental staging model (its pre-hook): a run adds to what the model holds only while the
    raw table still holds every row the model was built from. Raw tables only grow (the source contract: a row is
    re-delivered, never deleted or changed in place), so the raw rows with an id loaded by the model's latest
    `loaded_at` are exactly the deliveries it counted (delivery_count; per key_column when the model has several
    rows per key). A raw table that was replaced (a new extract, another platform's scrape loaded in its place),
    truncated or cut breaks the count, and the model is emptied here: this run then recomputes every raw row (its
    watermark is gone) instead of keeping rows whose raw rows are gone. One scan of the raw table per run. A row
    corrected in place, leaving the count as it was, is not seen: that needs `--full-refresh` (README).
#}
{% macro empty_if_raw_was_replaced(table_name, key_column=none) -%}
    {%- if not is_incremental() -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set counts -%}
        select
            (
                select count(*)
                from {{ source('marketplace', table_name) }} as raw_rows
                where
                    raw_rows.id is not null
                    and raw_rows._loaded_at <= (select max(staged.loaded_at) from {{ this }} as staged)
            ) as raw_rows,
            {%- if key_column %}
            (
                select coalesce(sum(per_key.delivery_count), 0)
                from (
                    select max(staged.delivery_count) as delivery_count
                    from {{ this }} as staged
                    group by staged.{{ key_column }}
                ) as per_key
            ) as counted_rows
            {%- else %}
            (select coalesce(sum(staged.delivery_count), 0) from {{ this }} as staged) as counted_rows
            {%- endif %}
    {%- endset -%}
    {%- set found = run_query(counts).rows[0] -%}
    {%- if found[0] != found[1] -%}
        {%- do log(
            "raw." ~ table_name ~ " holds " ~ found[0] ~ " rows up to the last run's mark, but " ~ this.identifier
            ~ " was built from " ~ found[1] ~ ": the raw table was replaced or cut, so this run rebuilds "
            ~ this.identifier ~ " from every raw row", info=True) -%}
        {{ return('truncate ' ~ this) }}
    {%- endif -%}
    {{ return('select 1') }}
{%- endmacro %}
