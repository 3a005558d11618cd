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
    re-delivered, never deleted or changed in place), so for every key without a raw row at or after the model's
    mark (its latest `loaded_at`) the raw rows are exactly the deliveries the model counted (delivery_count): the
    same number, of the same keys (a checksum of the keys, each counted once per delivery). A raw table that was
    replaced (a new extract, another platform's scrape loaded in its place), truncated or cut breaks that, and the
    model is emptied here: this run then recomputes every raw row (its watermark is gone) instead of keeping rows
    whose raw rows are gone. Two scans of the raw table and one of the model per run. Not seen: a row corrected in place, and rows deleted
    from a parent table only (the children still count their parent as present): both need `--full-refresh`.
#}
{% macro empty_if_raw_was_replaced(table_name, key_column, several_rows_per_key=false) -%}
    {%- if not is_incremental() -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set counts -%}
        with

        mark as (
            {{ staging_watermark() }}
        ),

        {#- Keys with a raw row at or after the mark are left out on both sides: the last batch may have been loaded
            in two parts with one _loaded_at, and rows at or after the mark are this run's anyway. Without the
            null id, which would make every `not in` below unknown. #}
        keys_since_mark as (
            select loaded_since.id
            from ({{ parent_ids_loaded_since(table_name, 'mark') }}) as loaded_since
            where loaded_since.id is not null
        ),

        raw_side as (
            select
                count(*) as deliveries,
                coalesce(sum(hashtext(raw_rows.id::text)::bigint), 0) as key_checksum
            from {{ source('marketplace', table_name) }} as raw_rows
            where
                raw_rows.id is not null
                and raw_rows._loaded_at < (select mark.loaded_at from mark)
                and raw_rows.id not in (select keys_since_mark.id from keys_since_mark)
        ),

        staged_side as (
            select
                coalesce(sum(per_key.delivery_count), 0) as deliveries,
                coalesce(sum(per_key.delivery_count * hashtext(per_key.key::text)::bigint), 0) as key_checksum
            from (
                {%- if several_rows_per_key %}
                {#- a model with several rows per key repeats the key's delivery_count on each #}
                select
                    staged.{{ key_column }} as key,
                    max(staged.delivery_count) as delivery_count
                from {{ this }} as staged
                group by staged.{{ key_column }}
                {%- else %}
                select
                    staged.{{ key_column }} as key,
                    staged.delivery_count
                from {{ this }} as staged
                {%- endif %}
            ) as per_key
            where per_key.key not in (select keys_since_mark.id from keys_since_mark)
        )

        select
            raw_side.deliveries as raw_deliveries,
            staged_side.deliveries as staged_deliveries,
            raw_side.key_checksum = staged_side.key_checksum as same_keys
        from raw_side cross join staged_side
    {%- endset -%}
    {%- set found = run_query(counts).rows[0] -%}
    {%- if found[0] != found[1] or not found[2] -%}
        {%- do log(
            "raw." ~ table_name ~ " holds " ~ found[0] ~ " deliveries before the last run's mark"
            ~ ("" if found[2] else " of other keys") ~ ", but " ~ this.identifier ~ " was built from " ~ found[1]
            ~ ": the raw table was replaced or cut, so this run rebuilds " ~ this.identifier ~ " from every raw row",
            info=True) -%}
        {{ return('truncate ' ~ this) }}
    {%- endif -%}
    {{ return('select 1') }}
{%- endmacro %}
