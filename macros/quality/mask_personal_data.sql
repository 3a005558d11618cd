{#
    Quarantine evidence for an e-mail address or phone number says where it is and how long it is,
    never what it is, nor anything shaped like it: the warehouse keeps no second copy of personal data,
    and a PII scanner run over the quarantine finds none.
#}
{% macro mask_personal_data(expression, pattern) -%}
    length(substring({{ expression }} from {{ pattern }})) || ' characters at character '
    || strpos({{ expression }}, substring({{ expression }} from {{ pattern }}))
{%- endmacro %}
