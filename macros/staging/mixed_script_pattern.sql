{% macro mixed_script_pattern() -%}
    '[A-Za-z][\u0370-\u03FF\u0400-\u04FF]|[\u0370-\u03FF\u0400-\u04FF][A-Za-z]'
{%- endmacro %}
