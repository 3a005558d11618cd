{#
    A pseudonymous key for the id of a person (technician, owner, user): the hex sha256 of
    `<key>:<kind>:<id>`. The key comes from env var CONTEXTPACK_PSEUDONYM_KEY; without it a clearly
    marked development key is used, which must never protect real data. `kind` keeps the keys of
    different id spaces apart (technician 7 and owner 7 get unrelated keys). Without the secret key
    the hash cannot be reversed by enumerating ids; rotating the key re-keys every package.
    The key is inlined into the compiled SQL, so treat target/ and the server's query log as secret
    in production.
#}
{% macro pseudonymize(id_expression, kind) -%}
    {%- set development_key = 'contextpack-DEVELOPMENT-ONLY-pseudonym-key' -%}
    {#- `env_var is defined` only for linters that render macros without dbt's context. -#}
    {%- set key = env_var('CONTEXTPACK_PSEUDONYM_KEY', development_key) if env_var is defined else development_key -%}
    case
        when ({{ id_expression }}) is not null
            then encode(
                sha256(convert_to('{{ key | replace("'", "''") }}:{{ kind }}:' || ({{ id_expression }})::text, 'UTF8')),
                'hex'
            )
    end
{%- endmacro %}
