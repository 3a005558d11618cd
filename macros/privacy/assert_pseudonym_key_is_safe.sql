{#
    Stops a person-centred mart before it writes a pseudonym nobody should trust: when the session
    has no key (macro pseudonym_key_setting: no `contextpack.pseudonym_key` and not the local
    warehouse), or has the development key on a warehouse that is not the local throwaway one
    (scripts/warehouse.py marks its server with contextpack.local_warehouse = on).
    Only booleans come back from the server, so the key itself never reaches dbt's logs or files.
    Called from the models' bodies at run time (it needs the connection).
#}
{% macro assert_pseudonym_key_is_safe() %}
    {%- if execute -%}
        {%- set checked = run_query(
            "select " ~ pseudonym_key_setting() ~ " is null as is_missing, "
            ~ "coalesce(" ~ pseudonym_key_setting() ~ " = '" ~ development_pseudonym_key() ~ "', false) as is_development_key, "
            ~ "coalesce(current_setting('contextpack.local_warehouse', true), 'off') = 'on' as is_local_warehouse"
        ) -%}
        {%- set is_missing, is_development_key, is_local_warehouse = checked.rows[0][0], checked.rows[0][1], checked.rows[0][2] -%}
        {%- if is_missing -%}
            {{ exceptions.raise_compiler_error(
                "contextpack.pseudonym_key is not set: person-centred packages need a secret key. Set the session "
                ~ "setting contextpack.pseudonym_key (e.g. PGOPTIONS='-c contextpack.pseudonym_key=<secret>' or "
                ~ "ALTER ROLE <dbt user> SET contextpack.pseudonym_key = '<secret>'; make build passes "
                ~ "CONTEXTPACK_PSEUDONYM_KEY through)."
            ) }}
        {%- elif is_development_key and not is_local_warehouse -%}
            {{ exceptions.raise_compiler_error(
                "contextpack.pseudonym_key is the development key, and this is not the local warehouse: set a secret "
                ~ "contextpack.pseudonym_key (PGOPTIONS or ALTER ROLE ... SET; make build passes CONTEXTPACK_PSEUDONYM_KEY "
                ~ "through) before building technician or owner packages."
            ) }}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}
