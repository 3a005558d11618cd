{% macro zero_width_pattern() -%}
    '[\u200B-\u200F\u2060\uFEFF]'
{%- endmacro %}
