{#
    Every reason a staging model writes into dq_issues must be on the closed list of seeds/dq_rules.csv
    for that table, so a new rule cannot appear without its severity, rule version and documentation.
#}
{% test dq_issues_are_known(model, column_name, table_name) %}
    with issues as (
        select unnest({{ column_name }}) as reason
        from {{ model }}
    )

    select distinct issues.reason
    from issues
    where not exists (
        select 1
        from {{ ref('dq_rules') }} as dq_rules
        where dq_rules.table_name = '{{ table_name }}' and dq_rules.reason = issues.reason
    )
{% endtest %}
