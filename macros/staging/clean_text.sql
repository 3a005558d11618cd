{#
    Control and zero-width characters never carry meaning in marketplace text but break
    tokenizers and string equality downstream, so staging removes them. Line breaks and tabs stay.
    max_length cuts pathological text (1 MB descriptions) to a size every consumer can afford.
#}
{% macro clean_text(expression, max_length=none) -%}
    {%- set stripped -%}
        btrim(regexp_replace(regexp_replace({{ expression }}, {{ control_character_pattern() }}, '', 'g'), {{ zero_width_pattern() }}, '', 'g'))
    {%- endset -%}
    {%- if max_length is not none -%}
        left({{ stripped }}, {{ max_length }})
    {%- else -%}
        {{ stripped }}
    {%- endif -%}
{%- endmacro %}
