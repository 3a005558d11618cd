{#
    Fails with every row for which the SQL expression is not true; row_condition narrows the rows
    checked (the dbt-expectations shape). It may sit on a model or on a column; either way the
    expression is written out in full, column name included.
#}
{% test expression_is_true(model, expression, column_name=none, row_condition=none) %}
    select *
    from {{ model }}
    where
        not coalesce(({{ expression }}), false)
        {%- if row_condition %}
            and ({{ row_condition }})
        {%- endif %}
{% endtest %}
