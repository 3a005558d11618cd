{#
    Fails with every row for which the SQL expression is not true; row_condition narrows the rows
    checked (the dbt-expectations shape).
#}
{% test expression_is_true(model, expression, row_condition=none) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
    {%- if row_condition %}
        and ({{ row_condition }})
    {%- endif %}
{% endtest %}
