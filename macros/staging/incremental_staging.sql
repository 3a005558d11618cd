{#
    Incremental staging (stg_marketplace__vehicle_images, __comments, __bids): a run recomputes only the keys whose
    staged row can have changed, and delete+insert by key replaces them. Staging keeps every delivered key (bad rows
    are flagged, never dropped), so replacing the affected keys gives exactly what a full rebuild gives.

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
#}
{% macro ids_loaded_since(table_name, watermark_cte, references) -%}
    select child.id
    from {{ source('marketplace', table_name) }} as child
    where
        child._loaded_at >= (select {{ watermark_cte }}.loaded_at from {{ watermark_cte }})
        {%- for column, parent_table in references.items() %}
            or child.{{ column }} in ({{ parent_ids_loaded_since(parent_table, watermark_cte) }})
        {%- endfor %}
{%- endmacro %}
