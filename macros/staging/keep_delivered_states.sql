{#
    Every state a slowly changing row went through, as a validity interval (the shape of a dbt
    snapshot, rebuilt from the re-deliveries instead of from repeated runs). Deliveries of a key are
    ordered by when they became true (valid_from, then _loaded_at); one that changes nothing against
    the delivery before it (every column but _loaded_at equal) is an exact re-send, a duplicate, and
    otherwise it starts a new state. A state is valid from its first delivery's valid_from until the
    next state's (valid_to null: still valid). is_current_delivery marks the state holding the latest
    _loaded_at (of two versions loaded in one batch, the one that became true last), the row the
    source contract calls current; state_loaded_at is the latest copy of the state. delivery_count counts the raw rows of the key, state_count its states.
    Versions the source corrects: of two versions of one time loaded in one batch, the larger content hash
    stands. A later delivery that says something else than what was first said for its time is a correction:
    of the latest time the key had at its load, it is a state valid from its own _loaded_at, so no package
    made before it arrived changes; of an older time, it would rewrite history and is left out. Versions
    left out count as older copies (delivery_count - state_count).
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
                        order by deliveries._loaded_at desc, deliveries.delivered_valid_from desc
                    ) = 1 as is_latest_delivery
                from (
                    select
                        corrected.*,
                        {#- Safety: of versions that still share a valid_from, the latest load, then the larger hash. #}
                        first_value(corrected.content_hash) over (
                            partition by corrected.{{ key_column }}, corrected.valid_from
                            order by corrected._loaded_at desc, corrected.content_hash desc
                        ) as kept_content_hash
                    from (
                        select
                            timed.*,
                            case
                                {#- What was first said for this time (or a re-send of it): true from that time. #}
                                when timed.content_hash = timed.first_said_hash then timed.delivered_valid_from
                                {#- A correction of the latest time the key had at this load: true from the load. #}
                                when timed.delivered_valid_from = timed.latest_time_at_load then timed._loaded_at
                                {#- A correction of an older time would rewrite history: left out (superseded). #}
                            end as valid_from
                        from (
                            select
                                batched.*,
                                first_value(batched.content_hash) over (
                                    partition by batched.{{ key_column }}, batched.delivered_valid_from
                                    order by batched._loaded_at
                                ) as first_said_hash,
                                max(batched.delivered_valid_from) over (
                                    partition by batched.{{ key_column }}
                                    order by batched._loaded_at
                                    range between unbounded preceding and current row
                                ) as latest_time_at_load
                            from (
                                select
                                    versions.*,
                                    {#- Two versions of one time in one batch: the larger content hash stands. #}
                                    first_value(versions.content_hash) over (
                                        partition by versions.{{ key_column }}, versions.delivered_valid_from, versions._loaded_at
                                        order by versions.content_hash desc
                                    ) as batch_hash
                                from (
                                    select
                                        {{ relation }}.*,
                                        {{ valid_from }} as delivered_valid_from,
                                        md5((to_jsonb({{ relation }}) - '_loaded_at')::text) as content_hash,
                                        count(*) over (partition by {{ relation }}.{{ key_column }}) as delivery_count
                                    from {{ relation }}
                                ) as versions
                            ) as batched
                            where batched.content_hash = batched.batch_hash
                        ) as timed
                    ) as corrected
                    where corrected.valid_from is not null
                ) as deliveries
                {#- delivery_count still counts the versions left out here. #}
                where deliveries.content_hash = deliveries.kept_content_hash
            ) as flagged
        ) as numbered
        order by numbered.{{ key_column }} asc, numbered.state_number asc, numbered.valid_from asc, numbered._loaded_at asc
    ) as first_delivery
{% endmacro %}
