-- Every figure of the reconciliation recounted from the raw tables themselves: rows that arrived,
-- keys (current rows = clean + blocked), exact re-sends and corrected versions (superseded) and older
-- states (history, for tables delivered as a history of states: what a key said as of a valid-from time,
-- its last delivery for that time, is a new state when it changes something against the time before).
-- A row without an id is a key (and a state) of its own. Nothing lost, nothing invented, nothing counted
-- twice.
with

raw_counts as (
    {#- Tables delivered as a history of states. A delivery that says something else than the first one loaded for
        its valid-from time is a correction, true from its own load; of versions still sharing a time (one batch)
        the larger content hash stands. A state starts where what stands changes. #}
    {%- for table in marketplace_tables() if table.states_model %}
        {%- set valid_from = 'least(coalesce(raw_rows.updated_at, raw_rows._loaded_at), raw_rows._loaded_at)' if table.table == 'vehicles' else 'raw_rows._loaded_at' %}
        {%- set unkeyed = "(select count(*) from " ~ source('marketplace', table.table) ~ " where id is null)" %}
        select
            '{{ table.table }}' as table_name,
            (select count(*) from {{ source('marketplace', table.table) }}) as raw_rows,
            recount.key_count + {{ unkeyed }} as raw_keys,
            recount.state_count + {{ unkeyed }} as raw_states
        from (
            with

            delivered as (
                select
                    raw_rows.id,
                    raw_rows._loaded_at,
                    {{ valid_from }} as delivered_from,
                    md5((to_jsonb(raw_rows) - '_loaded_at')::text) as content_hash
                from {{ source('marketplace', table.table) }} as raw_rows
                where raw_rows.id is not null
            ),

            said_first as (
                select distinct on (delivered.id, delivered.delivered_from)
                    delivered.id,
                    delivered.delivered_from,
                    delivered._loaded_at,
                    delivered.content_hash
                from delivered
                order by delivered.id, delivered.delivered_from, delivered._loaded_at, delivered.content_hash
            ),

            timed as (
                select
                    delivered.*,
                    case
                        when
                            delivered._loaded_at > said_first._loaded_at
                            and delivered.content_hash <> said_first.content_hash
                            then delivered._loaded_at
                        else delivered.delivered_from
                    end as effective_from
                from delivered
                inner join said_first
                    on delivered.id = said_first.id and delivered.delivered_from = said_first.delivered_from
            ),

            standing as (
                select
                    timed.id,
                    timed.effective_from,
                    (array_agg(timed.content_hash order by timed._loaded_at desc, timed.content_hash desc))[1]
                        as content_hash
                from timed
                group by timed.id, timed.effective_from
            ),

            kept as (
                select
                    timed.*,
                    lag(timed.content_hash) over (
                        partition by timed.id order by timed.effective_from, timed._loaded_at
                    ) as previous_hash
                from timed
                inner join standing
                    on
                        timed.id = standing.id
                        and timed.effective_from = standing.effective_from
                        and timed.content_hash = standing.content_hash
            )

            select
                count(distinct kept.id) as key_count,
                count(*) filter (where kept.content_hash is distinct from kept.previous_hash) as state_count
            from kept
        ) as recount
        union all
    {%- endfor %}
    {%- for table in marketplace_tables() if not table.states_model %}
        select
            '{{ table.table }}' as table_name,
            count(*) as raw_rows,
            count(distinct raw_rows.id) + count(*) filter (where raw_rows.id is null) as raw_keys,
            count(distinct raw_rows.id) + count(*) filter (where raw_rows.id is null) as raw_states
        from {{ source('marketplace', table.table) }} as raw_rows
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select
    raw_counts.table_name,
    raw_counts.raw_rows,
    reconciliation.arrived_rows,
    raw_counts.raw_keys,
    reconciliation.clean_rows + reconciliation.blocked_rows as reconciled_keys,
    raw_counts.raw_rows - raw_counts.raw_states as raw_resent,
    reconciliation.superseded_rows,
    raw_counts.raw_states - raw_counts.raw_keys as raw_history,
    reconciliation.history_rows
from raw_counts
left join {{ ref('data_quality_reconciliation') }} as reconciliation
    on raw_counts.table_name = reconciliation.table_name
where
    reconciliation.arrived_rows is distinct from raw_counts.raw_rows
    or reconciliation.clean_rows + reconciliation.blocked_rows is distinct from raw_counts.raw_keys
    or reconciliation.superseded_rows is distinct from raw_counts.raw_rows - raw_counts.raw_states
    or reconciliation.history_rows is distinct from raw_counts.raw_states - raw_counts.raw_keys
