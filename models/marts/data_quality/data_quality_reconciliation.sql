{#
    Per raw table: how many rows arrived and where each went. arrived = clean + blocked +
    superseded + history: the current row of every key is clean or blocked (a row without an id is
    blocked, a key of its own: stg_marketplace__rows_without_id), an exact older copy is
    superseded (quarantined as duplicate_delivery), and an older state of a table delivered as a
    history of states is kept in its *_states model. The singular test
    tests/marts/data_quality/assert_reconciliation_matches_raw.sql recounts every figure from the
    raw tables.
#}

with

counted as (
    {%- for table in marketplace_tables() %}
        select
            '{{ table.table }}'::text as table_name,
            sum(staged.delivery_count)::bigint as arrived_rows,
            count(*) filter (where not staged.has_blocking_issue)::bigint as clean_rows,
            count(*) filter (where staged.has_blocking_issue)::bigint as blocked_rows,
            {%- if table.states_model %}
                sum(staged.delivery_count - staged.state_count)::bigint as superseded_rows,
                sum(staged.state_count - 1)::bigint as history_rows,
            {%- else %}
                sum(staged.delivery_count - 1)::bigint as superseded_rows,
                0::bigint as history_rows,
            {%- endif %}
            count(*) filter (where cardinality(staged.dq_issues) > 0 and not staged.has_blocking_issue)::bigint
                as clean_rows_with_warnings
        from {{ ref(table.model) }} as staged
        {%- if not loop.last %}

            union all
        {% endif %}
    {%- endfor %}
),

unkeyed as (
    {#- A raw row without an id is a key of its own, blocked. #}
    select
        table_name,
        count(*)::bigint as unkeyed_rows
    from {{ ref('stg_marketplace__rows_without_id') }}
    group by table_name
),

final as (
    select
        counted.table_name,
        (coalesce(counted.arrived_rows, 0) + coalesce(unkeyed.unkeyed_rows, 0))::bigint as arrived_rows,
        counted.clean_rows,
        (counted.blocked_rows + coalesce(unkeyed.unkeyed_rows, 0))::bigint as blocked_rows,
        coalesce(counted.superseded_rows, 0)::bigint as superseded_rows,
        coalesce(counted.history_rows, 0)::bigint as history_rows,
        counted.clean_rows_with_warnings
    from counted
    left join unkeyed
        on counted.table_name = unkeyed.table_name
)

select * from final
