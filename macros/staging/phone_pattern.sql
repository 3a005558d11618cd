{#
    North American numbers written with separators, or any number written with a leading +.
    Bare ten-digit runs are left alone: chassis and lot numbers look like that. Groups are
    non-capturing so substring() returns the whole match.
#}
{% macro phone_pattern() -%}
    '(?:\+[0-9][0-9 ().-]{7,17}[0-9])|(?:(?:\([0-9]{3}\) ?|\m[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}\M)'
{%- endmacro %}
