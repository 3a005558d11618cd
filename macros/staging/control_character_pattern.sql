{#
    Regular expressions (PostgreSQL ARE) shared by the cleaning macros, the data-quality checks
    and the PII tests, so a pattern is defined once.
#}
{% macro control_character_pattern() -%}
    '[\u0001-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]'
{%- endmacro %}
