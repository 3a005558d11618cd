{#
    The columns together identify a row: fails with each combination that appears more than once
    (a grain test for models keyed by more than one column, like a state history).
#}
{% test unique_combination(model, columns) %}
    select
        {{ columns | join(', ') }},
        count(*) as row_count
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
