{#
    A cheap first look: anything that could be a control or zero-width character, an e-mail address
    (@) or a phone number (three digits in a row, or a +digit). Text without any of them is clean.
#}
{% macro needs_cleaning_pattern() -%}
    '[\u0001-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u200B-\u200F\u2060\uFEFF@]|[0-9]{3}|\+[0-9]'
{%- endmacro %}
