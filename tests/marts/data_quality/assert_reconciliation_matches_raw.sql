-- Every figure of the reconciliation recounted from the raw tables themselves: rows that arrived,
-- keys (current rows = clean + blocked), exact re-sends (superseded) and older states (history, for
-- tables delivered as a history of states: a delivery that changes something against the one before
-- it, in the order they became true, is a new state). Nothing lost, nothing invented, nothing counted
-- twice.
with

raw_counts as (
    {%- for table in marketplace_tables() %}
        {%- set valid_from = 'least(coalesce(raw_rows.updated_at, raw_rows._loaded_at), raw_rows._loaded_at)' if table.table == 'vehicles' else 'raw_rows._loaded_at' %}
        select
            '{{ table.table }}' as table_name,
            count(*) as raw_rows,
            count(distinct changes.id) + (count(*) filter (where changes.id is null) > 0)::integer as raw_keys,
            {%- if table.states_model %}
                count(*) filter (where changes.changes_something) as raw_states
            {%- else %}
                count(distinct changes.id) + (count(*) filter (where changes.id is null) > 0)::integer as raw_states
            {%- endif %}
        from (
            select
                raw_rows.id,
                coalesce(
                    (to_jsonb(raw_rows) - '_loaded_at') <> lag(to_jsonb(raw_rows) - '_loaded_at') over (
                        partition by raw_rows.id order by {{ valid_from }}, raw_rows._loaded_at
                    ),
                    true
                ) as changes_something
            from {{ source('marketplace', table.table) }} as raw_rows
        ) as changes
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
