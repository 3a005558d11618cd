{#
    True when the condition holds for any of the columns. The template names the column as {col};
    coalesce keeps a null column from turning the whole check into null.
#}
{% macro dq_any(columns, template) -%}
    ({%- for column in columns %}coalesce({{ template | replace('{col}', column) }}, false){{ " or " if not loop.last }}{% endfor -%})
{%- endmacro %}
