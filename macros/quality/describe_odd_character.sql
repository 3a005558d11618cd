{#
    Evidence for an invisible character: its code point and position, never the surrounding text,
    which may hold personal data.
#}
{% macro describe_odd_character(expression, pattern) -%}
    'U+' || lpad(upper(to_hex(ascii(substring({{ expression }} from {{ pattern }})))), 4, '0')
    || ' at character ' || strpos({{ expression }}, substring({{ expression }} from {{ pattern }}))
{%- endmacro %}
