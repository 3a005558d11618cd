{#
    Every state a slowly changing row went through, as a validity interval (the shape of a dbt
    snapshot, rebuilt from the re-deliveries instead of from repeated runs). A state is one
    (key, valid_from); an exact re-send of a state with a later _loaded_at is a duplicate and the
    latest copy stands for it. valid_to is the next state's valid_from (null: still valid).
    is_current_delivery marks the state of the latest _loaded_at: the row the source contract calls
    current. delivery_count counts the raw rows of the key, state_count its distinct states.
    valid_from: SQL for when a delivered state became true (e.g. the row's updated_at).
#}
{% macro keep_delivered_states(relation, key_column, valid_from) %}
    select
        deduplicated.*,
        lead(deduplicated.valid_from) over (
            partition by deduplicated.{{ key_column }} order by deduplicated.valid_from
        ) as valid_to,
        row_number() over (
            partition by deduplicated.{{ key_column }}
            order by deduplicated._loaded_at desc, deduplicated.valid_from desc
        ) = 1 as is_current_delivery,
        count(*) over (partition by deduplicated.{{ key_column }}) as state_count
    from (
        select distinct on ({{ relation }}.{{ key_column }}, {{ valid_from }})
            {{ relation }}.*,
            {{ valid_from }} as valid_from,
            count(*) over (partition by {{ relation }}.{{ key_column }}) as delivery_count
        from {{ relation }}
        order by {{ relation }}.{{ key_column }} asc, {{ valid_from }} asc, {{ relation }}._loaded_at desc
    ) as deduplicated
{% endmacro %}
