with

quarantined_rows as (
    select * from {{ ref('quarantined_rows') }}
),

dq_rules as (
    select * from {{ ref('dq_rules') }}
),

counted as (
    select
        table_name,
        reason,
        count(*) as flagged_rows,
        count(distinct record_key) as distinct_keys
    from quarantined_rows
    group by table_name, reason
),

final as (
    {#- Every rule appears, with zero when nothing broke it, so a dashboard shows quiet rules too. #}
    select
        dq_rules.table_name,
        dq_rules.reason,
        dq_rules.severity,
        dq_rules.rule_version,
        coalesce(counted.flagged_rows, 0)::bigint as flagged_rows,
        coalesce(counted.distinct_keys, 0)::bigint as distinct_keys,
        dq_rules.description
    from dq_rules
    left join counted
        on
            dq_rules.table_name = counted.table_name
            and dq_rules.reason = counted.reason
)

select * from final
