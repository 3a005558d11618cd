{#
    The pseudonym key as the session sees it: the setting `contextpack.pseudonym_key`, else, on the
    local throwaway warehouse only (scripts/warehouse.py sets contextpack.local_warehouse = on), the
    marked development key; null anywhere else. SQL, evaluated by the server: the key is never
    rendered into compiled SQL.
#}
{% macro pseudonym_key_setting() -%}
    coalesce(
        nullif(current_setting('contextpack.pseudonym_key', true), ''),
        case when current_setting('contextpack.local_warehouse', true) = 'on' then '{{ development_pseudonym_key() }}' end
    )
{%- endmacro %}
