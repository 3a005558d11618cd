{#
    Names each column for which the condition holds, with its value (or a masked form of it when
    the value itself is personal data), so the quarantine says exactly what was wrong.
#}
{% macro dq_evidence(columns, template, value_template='{col}') -%}
    concat_ws('; '
    {%- for column in columns %},
        case when {{ template | replace('{col}', column) }} then '{{ column | replace('"', '') }}=' || coalesce(({{ value_template | replace('{col}', column) }})::text, '<null>') end
    {%- endfor %})
{%- endmacro %}
