{#
    The time the person-centred packages (technicians, owners) describe: var `package_cutoff` (an
    ISO timestamp) when given, else the data's own snapshot, the latest delivery of listings, work
    orders or ownerships. Nothing dated after it enters those packages, and every slowly changing
    fact is taken as of it. SQL for a timestamptz.
#}
{% macro package_cutoff() -%}
    {%- if var('package_cutoff', none) -%}
        '{{ var("package_cutoff") }}'::timestamptz
    {%- else -%}
        (
            select max(snapshot.loaded_at)
            from (
                select max(loaded_at) as loaded_at from {{ ref('stg_marketplace__bat_listings') }}
                union all
                select max(loaded_at) from {{ ref('stg_marketplace__service_records') }}
                union all
                select max(loaded_at) from {{ ref('stg_marketplace__ownerships') }}
            ) as snapshot
        )
    {%- endif -%}
{%- endmacro %}
