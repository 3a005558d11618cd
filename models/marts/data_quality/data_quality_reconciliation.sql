{#
    Per raw table: how many rows arrived, how many reach clean models, how many are quarantined.
    arrived = clean + blocked + superseded holds by construction here; the singular test
    tests/marts/assert_reconciliation_matches_raw.sql compares `arrived_rows` with the raw tables.
#}
{% set staging_tables = [
    ('users', 'stg_marketplace__users'),
    ('vehicles', 'stg_marketplace__vehicles'),
    ('bat_listings', 'stg_marketplace__bat_listings'),
    ('vehicle_images', 'stg_marketplace__vehicle_images'),
    ('comments', 'stg_marketplace__comments'),
    ('bids', 'stg_marketplace__bids'),
    ('technicians', 'stg_marketplace__technicians'),
    ('service_records', 'stg_marketplace__service_records'),
    ('ownerships', 'stg_marketplace__ownerships'),
] %}

with

counted as (
    {%- for table_name, model_name in staging_tables %}
        select
            '{{ table_name }}'::text as table_name,
            sum(staged.delivery_count)::bigint as arrived_rows,
            count(*) filter (where not staged.has_blocking_issue)::bigint as clean_rows,
            count(*) filter (where staged.has_blocking_issue)::bigint as blocked_rows,
            sum(staged.delivery_count - 1)::bigint as superseded_rows,
            count(*) filter (where cardinality(staged.dq_issues) > 0 and not staged.has_blocking_issue)::bigint
                as clean_rows_with_warnings
        from {{ ref(model_name) }} as staged
        {%- if not loop.last %}

            union all
        {% endif %}
    {%- endfor %}
),

final as (
    select
        table_name,
        coalesce(arrived_rows, 0)::bigint as arrived_rows,
        clean_rows,
        blocked_rows,
        coalesce(superseded_rows, 0)::bigint as superseded_rows,
        clean_rows_with_warnings
    from counted
)

select * from final
