{#
    Every state a slowly changing row went through, as a validity interval (the shape of a dbt
    snapshot, rebuilt from the re-deliveries instead of from repeated runs). Deliveries of a key are
    ordered by when they became true (valid_from, then _loaded_at); one that changes nothing against
    the delivery before it (every column but _loaded_at equal) is an exact re-send, a duplicate, and
    otherwise it starts a new state. A state is valid from its first delivery's valid_from until the
    next state's (valid_to null: still valid). is_current_delivery marks the state holding the latest
    _loaded_at (of two versions loaded in one batch, the one that became true last), the row the
    source contract calls current; state_loaded_at is the latest copy of the state. delivery_count counts the raw rows of the key, state_count its states.
    A delivery that says something else than the first delivery for the same valid_from (a correction
    re-sent later without a new update time) is known only from its own load: it starts a state valid from its
    _loaded_at, so no package made before it arrived changes. Two versions in one batch for one valid_from
    cannot both be states: the larger content hash is kept (a rebuild picks the same one) and the other
    counts as an older copy (delivery_count - state_count).
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
                        corrected.*,
                        {#- Of versions that still share a valid_from (one batch), the larger content hash. #}
                        first_value(corrected.content_hash) over (
                            partition by corrected.{{ key_column }}, corrected.valid_from
                            order by corrected._loaded_at desc, corrected.content_hash desc
                        ) as kept_content_hash
                    from (
                        select
                            versions.*,
                            case
                                when
                                    versions._loaded_at > min(versions._loaded_at) over same_time
                                    and versions.content_hash <> first_value(versions.content_hash) over first_said
                                    then versions._loaded_at
                                else versions.delivered_valid_from
                            end as valid_from
                        from (
                            select
                                {{ relation }}.*,
                                {{ valid_from }} as delivered_valid_from,
                                md5((to_jsonb({{ relation }}) - '_loaded_at')::text) as content_hash,
                                count(*) over (partition by {{ relation }}.{{ key_column }}) as delivery_count
                            from {{ relation }}
                        ) as versions
                        window
                            same_time as (partition by versions.{{ key_column }}, versions.delivered_valid_from),
                            first_said as (
                                partition by versions.{{ key_column }}, versions.delivered_valid_from
                                order by versions._loaded_at, versions.content_hash
                            )
                    ) as corrected
                ) as deliveries
                {#- delivery_count still counts the versions left out here. #}
                where deliveries.content_hash = deliveries.kept_content_hash
            ) as flagged
        ) as numbered
        order by numbered.{{ key_column }} asc, numbered.state_number asc, numbered.valid_from asc, numbered._loaded_at asc
    ) as first_delivery
{% endmacro %}
