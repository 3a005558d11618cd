{#
    Quarantine evidence for an e-mail address or phone number shows its shape, not its value:
    letters become x and digits #, so the warehouse keeps no second copy of personal data and a
    scanner for phone numbers finds none there.
#}
{% macro mask_personal_data(expression, pattern) -%}
    translate(substring({{ expression }} from {{ pattern }}), 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 'xxxxxxxxxxxxxxxxxxxxxxxxxxXXXXXXXXXXXXXXXXXXXXXXXXXX##########')
{%- endmacro %}
