{#
    The marketplace sends unknown values as literal words instead of null (source contract).
#}
{% macro is_placeholder(expression) -%}
    (lower(btrim({{ expression }})) in ('unknown', 'n/a', 'na', '-', '--', '', 'null', 'none'))
{%- endmacro %}
