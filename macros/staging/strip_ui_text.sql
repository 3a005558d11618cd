{#
    A delivered text field without the platform UI text scraped into it: whatever follows a line break
    ("M3\nSave") and button or price labels glued to its end ("Guards Red View all photos", "... Sold for
    $28,500"); patterns model_ui_text and model_ui_words in seeds/name_patterns.csv.
#}
{% macro strip_ui_text(expression) -%}
    btrim(regexp_replace(
        regexp_replace({{ expression }}, {{ name_pattern('model_ui_text') }}, ''),
        {{ name_pattern('model_ui_words') }}, '', 'i'
    ))
{%- endmacro %}
