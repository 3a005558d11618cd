{#
    A money amount in a person-centred package rounded to `digits` significant digits (23,456.78 ->
    23,000 with 2): an exact price is as good as an id for finding the sale in the raw tables, while
    its magnitude is what a model learns from. Null and zero stay as they are.
#}
{% macro round_to_significant(expression, digits=2) -%}
    case
        when coalesce({{ expression }}, 0) = 0 then {{ expression }}
        else round(({{ expression }})::numeric, ({{ digits }} - 1 - floor(log(abs(({{ expression }})::numeric))))::integer)
    end
{%- endmacro %}
