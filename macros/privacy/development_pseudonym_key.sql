{#
    The marked development pseudonym key, used only on the local throwaway warehouse (macro
    pseudonym_key_setting). Public by design: assert_pseudonym_key_is_safe() refuses it anywhere else.
#}
{% macro development_pseudonym_key() -%}
    contextpack-DEVELOPMENT-ONLY-pseudonym-key
{%- endmacro %}
