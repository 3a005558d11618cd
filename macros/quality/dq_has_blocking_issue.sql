{#
    Whether the severity seed calls any of the row's issues blocking for this table. The sub-select
    is uncorrelated, so PostgreSQL evaluates it once per query, not per row.
#}
{% macro dq_has_blocking_issue(table_name, issues_column='dq_issues') -%}
    coalesce({{ issues_column }} && array(
        select dq_rules.reason::text
        from {{ ref('dq_rules') }} as dq_rules
        where dq_rules.table_name = '{{ table_name }}' and dq_rules.severity = 'blocking'
    ), false)
{%- endmacro %}
