-- Every figure of the reconciliation recounted from the raw tables themselves: rows that arrived,
-- keys (current rows = clean + blocked), exact re-sends and versions left out (superseded) and older
-- states (history, for tables delivered as a history of states, by the rules below).
-- A row without an id is a key (and a state) of its own. Nothing lost, nothing invented, nothing counted
-- twice.
with

raw_counts as (
    {#- Tables delivered as a history of states, recounted with joins and group-bys: of versions of one time in one
        batch the larger content hash stands; a later one that says something else than what was first said for its
        time is a correction, true from its own load when its time is the latest the key had by then, else left
        out; a state starts where what stands changes. #}
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

            batch_winners as (
                select
                    raw_rows.id,
                    {{ valid_from }} as delivered_from,
                    raw_rows._loaded_at,
                    max(md5((to_jsonb(raw_rows) - '_loaded_at')::text)) as content_hash
                from {{ source('marketplace', table.table) }} as raw_rows
                where raw_rows.id is not null
                group by raw_rows.id, {{ valid_from }}, raw_rows._loaded_at
            ),

            said_first as (
                select distinct on (batch_winners.id, batch_winners.delivered_from)
                    batch_winners.id,
                    batch_winners.delivered_from,
                    batch_winners.content_hash
                from batch_winners
                order by batch_winners.id, batch_winners.delivered_from, batch_winners._loaded_at
            ),

            latest_times as (
                select
                    loads.id,
                    loads._loaded_at,
                    max(earlier.delivered_from) as latest_time
                from (
                    select distinct
                        batch_winners.id,
                        batch_winners._loaded_at
                    from batch_winners
                ) as loads
                inner join batch_winners as earlier
                    on loads.id = earlier.id and loads._loaded_at >= earlier._loaded_at
                group by loads.id, loads._loaded_at
            ),

            timed as (
                select
                    batch_winners.*,
                    case
                        when batch_winners.content_hash = said_first.content_hash then batch_winners.delivered_from
                        when batch_winners.delivered_from = latest_times.latest_time then batch_winners._loaded_at
                    end as effective_from
                from batch_winners
                inner join said_first
                    on
                        batch_winners.id = said_first.id
                        and batch_winners.delivered_from = said_first.delivered_from
                inner join latest_times
                    on batch_winners.id = latest_times.id and batch_winners._loaded_at = latest_times._loaded_at
            ),

            standing as (
                select
                    timed.id,
                    timed.effective_from,
                    (array_agg(timed.content_hash order by timed._loaded_at desc, timed.content_hash desc))[1]
                        as content_hash
                from timed
                where timed.effective_from is not null
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
