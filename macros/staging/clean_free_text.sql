{#
    Free text as packages may see it: control and zero-width characters removed, e-mail addresses
    and phone numbers replaced by [email] / [phone], trimmed, cut to max_length. The replacements
    only run on rows that hold something to replace: most comments need none, and four regular
    expression passes over 10M comments are the costliest part of staging.
#}
{% macro clean_free_text(expression, max_length) -%}
    left(btrim(
        case
            when {{ expression }} ~ {{ needs_cleaning_pattern() }}
                then regexp_replace(regexp_replace(regexp_replace(regexp_replace(
                    {{ expression }},
                    {{ control_character_pattern() }}, '', 'g'),
                    {{ zero_width_pattern() }}, '', 'g'),
                    {{ email_pattern() }}, '[email]', 'g'),
                    {{ phone_pattern() }}, '[phone]', 'g')
            else {{ expression }}
        end
    ), {{ max_length }})
{%- endmacro %}
