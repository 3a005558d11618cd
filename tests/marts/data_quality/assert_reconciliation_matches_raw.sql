-- Every figure of the reconciliation recounted from the raw tables themselves: rows that arrived,
-- keys (current rows = clean + blocked), exact re-sends and corrected versions (superseded) and older
-- states (history, for tables delivered as a history of states: what a key said as of a valid-from time,
-- its last delivery for that time, is a new state when it changes something against the time before).
-- Nothing lost, nothing invented, nothing counted twice.
with

raw_counts as (
    {#- Tables delivered as a history of states: what each key said as of each valid-from time is its last
        delivery for that time (a later one corrects it; two in one batch: the larger content hash). #}
    {%- for table in marketplace_tables() if table.states_model %}
        {%- set valid_from = 'least(coalesce(raw_rows.updated_at, raw_rows._loaded_at), raw_rows._loaded_at)' if table.table == 'vehicles' else 'raw_rows._loaded_at' %}
        select
            '{{ table.table }}' as table_name,
            coalesce(sum(changes.deliveries), 0) as raw_rows,
            count(distinct changes.id) + (count(*) filter (where changes.id is null) > 0)::integer as raw_keys,
            count(*) filter (where changes.changes_something) as raw_states
        from (
            select
                versions.id,
                versions.deliveries,
                coalesce(
                    versions.delivered_content <> lag(versions.delivered_content) over (
                        partition by versions.id order by versions.valid_from
                    ),
                    true
                ) as changes_something
            from (
                select distinct on (raw_rows.id, {{ valid_from }})
                    raw_rows.id,
                    {{ valid_from }} as valid_from,
                    to_jsonb(raw_rows) - '_loaded_at' as delivered_content,
                    count(*) over (partition by raw_rows.id, {{ valid_from }}) as deliveries
                from {{ source('marketplace', table.table) }} as raw_rows
                order by
                    raw_rows.id, {{ valid_from }}, raw_rows._loaded_at desc,
                    md5((to_jsonb(raw_rows) - '_loaded_at')::text) desc
            ) as versions
        ) as changes
        union all
    {%- endfor %}
    {%- for table in marketplace_tables() if not table.states_model %}
        select
            '{{ table.table }}' as table_name,
            count(*) as raw_rows,
            count(distinct raw_rows.id) + (count(*) filter (where raw_rows.id is null) > 0)::integer as raw_keys,
            count(distinct raw_rows.id) + (count(*) filter (where raw_rows.id is null) > 0)::integer as raw_states
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
