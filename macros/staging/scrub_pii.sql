{#
    Free text may quote an e-mail address or a phone number; packages must never carry either,
    so they are replaced by a marker that keeps the sentence readable.
#}
{% macro scrub_pii(expression) -%}
    regexp_replace(regexp_replace({{ expression }}, {{ email_pattern() }}, '[email]', 'g'), {{ phone_pattern() }}, '[phone]', 'g')
{%- endmacro %}
