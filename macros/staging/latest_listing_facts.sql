{#
    The listing facts a child row is checked against (its window, its vehicle), from the latest
    delivery of each listing, read from the raw table so staging models stay independent of each other.
    columns: raw bat_listings columns, each returned as listing_<column>.
#}
{% macro latest_listing_facts(columns) -%}
    select distinct on (bat_listings.id)
        bat_listings.id as listing_id
        {%- for column in columns %},
        bat_listings.{{ column }} as listing_{{ column }}
        {%- endfor %}
    from {{ source('marketplace', 'bat_listings') }} as bat_listings
    order by bat_listings.id asc, bat_listings._loaded_at desc
{%- endmacro %}
