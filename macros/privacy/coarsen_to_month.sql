{#
    A date or timestamp that could single a person out, coarsened to its month as 'YYYY-MM' text
    (null stays null). Person-centred packages carry months, never days.
#}
{% macro coarsen_to_month(expression) -%}
    to_char({{ expression }}, 'YYYY-MM')
{%- endmacro %}
