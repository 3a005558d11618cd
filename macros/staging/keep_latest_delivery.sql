{#
    One row per key: a re-delivered row carries the same id with a later _loaded_at, and the
    latest delivery wins. delivery_count tells the quarantine how many older copies were dropped,
    so raw rows still reconcile with clean + quarantined rows.
#}
{% macro keep_latest_delivery(relation, key_column, tie_breakers=[]) %}
    select ranked.*
    from (
        select
            {{ relation }}.*,
            row_number() over (
                partition by {{ key_column }}
                order by _loaded_at desc{% for column in tie_breakers %}, {{ column }} desc nulls last{% endfor %}
            ) as delivery_rank,
            count(*) over (partition by {{ key_column }}) as delivery_count
        from {{ relation }}
    ) as ranked
    where ranked.delivery_rank = 1
{% endmacro %}
