{#
    Every raw row that arrived without an id, the primary key of the source contract: it cannot be
    deduplicated, joined or packaged, so the keyed staging models leave it out and this model keeps
    one row per such raw row, for the quarantine (reason missing_id, blocking) and the reconciliation.
    Reasoned exception to one staging model per source table: the rule is the same for all nine
    tables (README, exceptions). A row is named by a hash of its content and a copy number (two
    identical rows are two copies).
#}

with

unioned as (
    {%- for table in marketplace_tables() %}
        select
            '{{ table.table }}'::text as table_name,
            md5((to_jsonb(raw_rows) - '_loaded_at')::text) as row_hash,
            raw_rows._loaded_at as loaded_at
        from {{ source('marketplace', table.table) }} as raw_rows
        where raw_rows.id is null
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        table_name,
        'no id, row ' || row_hash || ' copy '
        || row_number() over (partition by table_name, row_hash order by loaded_at) as row_key,
        loaded_at
    from unioned
)

select * from final
