{#
    A keyed pseudonym for an identifier that links back to a person (the person's own id, and any id
    of their vehicles, work orders or photos in a person-centred package): the hex HMAC-SHA256 of
    `<kind>:<id>` under the secret key. `kind` is the key domain: the same id in two domains
    (technician 7, owner 7; a vehicle in the owner and in the technician package) gets unrelated
    pseudonyms, so packages cannot be joined on them. Without the key the pseudonym cannot be
    reversed by enumerating ids; rotating the key re-keys every package.

    The key is read at run time from the session setting `contextpack.pseudonym_key` (PGOPTIONS,
    or ALTER ROLE/DATABASE ... SET), never from Jinja, so it never lands in compiled SQL or in a
    file dbt writes; assert_pseudonym_key_is_safe() refuses a missing key, and the development key
    anywhere but the local warehouse. The HMAC pads are derived from the key once per query.
#}
{% macro pseudonymize(id_expression, kind) -%}
    case
        when ({{ id_expression }}) is not null
            then encode(
                sha256(
                    {{ pseudonym_key_pad(92) }}
                    || sha256({{ pseudonym_key_pad(54) }} || convert_to('{{ kind }}:' || ({{ id_expression }})::text, 'UTF8'))
                ),
                'hex'
            )
    end
{%- endmacro %}

{#
    The keyed pseudonym of an id as one person's package shows it: pseudonymize of `<person id>:<id>`, so the
    same vehicle or photo in two people's packages gets two unrelated keys and never links the two people.
    Every model that writes or resolves such a key (the packages, pseudonymous_photo_urls) calls this macro, so
    they cannot drift apart.
#}
{% macro pseudonymize_per_person(person_expression, id_expression, kind) -%}
    {{ pseudonymize("(" ~ person_expression ~ ")::text || ':' || (" ~ id_expression ~ ")::text", kind) }}
{%- endmacro %}
