{#
    Every state a slowly changing row went through, as a validity interval (the shape of a dbt
    snapshot, rebuilt from the re-deliveries instead of from repeated runs). Deliveries of a key are
    ordered by when they became true (valid_from, then _loaded_at); one that changes nothing against
    the delivery before it (every column but _loaded_at equal) is an exact re-send, a duplicate, and
    otherwise it starts a new state. A state is valid from its first delivery's valid_from until the
    next state's (valid_to null: still valid). is_current_delivery marks the state holding the latest
    _loaded_at (of two versions loaded in one batch, the one that became true last), the row the
    source contract calls current; state_loaded_at is the latest copy of the state. delivery_count counts the raw rows of the key, state_count its states.
    Two deliveries of a key that became true at the same time but say different things (a correction re-sent
    without a new update time, or two versions in one batch) cannot both be states: the later load (then the
    larger content hash, so a rebuild picks the same one) is the state, and the other counts as an older copy
    of it (delivery_count - state_count). version_first_loaded_at is when that valid_from was first delivered.
    valid_from: SQL over `relation` for when a delivered row became true (e.g. its updated_at).
#}
{% macro keep_delivered_states(relation, key_column, valid_from) %}
    select
        first_delivery.*,
        lead(first_delivery.valid_from) over (
            partition by first_delivery.{{ key_column }} order by first_delivery.state_number
        ) as valid_to,
        count(*) over (partition by first_delivery.{{ key_column }}) as state_count
    from (
        select distinct on (numbered.{{ key_column }}, numbered.state_number)
            numbered.*,
            bool_or(numbered.is_latest_delivery) over (
                partition by numbered.{{ key_column }}, numbered.state_number
            ) as is_current_delivery,
            max(numbered._loaded_at) over (
                partition by numbered.{{ key_column }}, numbered.state_number
            ) as state_loaded_at
        from (
            select
                flagged.*,
                sum(flagged.starts_state::integer) over (
                    partition by flagged.{{ key_column }}
                    order by flagged.valid_from, flagged._loaded_at
                    rows between unbounded preceding and current row
                ) as state_number
            from (
                select
                    deliveries.*,
                    coalesce(
                        deliveries.content_hash <> lag(deliveries.content_hash) over (
                            partition by deliveries.{{ key_column }}
                            order by deliveries.valid_from, deliveries._loaded_at
                        ),
                        true
                    ) as starts_state,
                    {#- The latest delivery; two versions loaded in the same batch: the one that became true last. #}
                    row_number() over (
                        partition by deliveries.{{ key_column }}
                        order by deliveries._loaded_at desc, deliveries.valid_from desc
                    ) = 1 as is_latest_delivery
                from (
                    select
                        versions.*,
                        row_number() over (
                            partition by versions.{{ key_column }}, versions.valid_from
                            order by versions._loaded_at desc, versions.content_hash desc
                        ) as version_rank,
                        min(versions._loaded_at) over (
                            partition by versions.{{ key_column }}, versions.valid_from
                        ) as version_first_loaded_at
                    from (
                        select
                            {{ relation }}.*,
                            {{ valid_from }} as valid_from,
                            md5((to_jsonb({{ relation }}) - '_loaded_at')::text) as content_hash,
                            count(*) over (partition by {{ relation }}.{{ key_column }}) as delivery_count
                        from {{ relation }}
                    ) as versions
                ) as deliveries
                {#- One delivery per key and valid_from (see above); delivery_count still counts them all. #}
                where deliveries.version_rank = 1
            ) as flagged
        ) as numbered
        order by numbered.{{ key_column }} asc, numbered.state_number asc, numbered.valid_from asc, numbered._loaded_at asc
    ) as first_delivery
{% endmacro %}
