{% macro null_if_placeholder(expression) -%}
    case when not {{ is_placeholder(expression) }} then {{ expression }} end
{%- endmacro %}
