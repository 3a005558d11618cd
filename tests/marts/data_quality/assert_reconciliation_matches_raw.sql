-- Every figure of the reconciliation recounted from the raw tables themselves: rows that arrived,
-- keys (current rows = clean + blocked), exact re-sends (superseded) and older states (history, for
-- tables delivered as a history of states). Nothing lost, nothing invented, nothing double counted.
with raw_counts as (
    {%- for table in marketplace_tables() %}
        select
            '{{ table.table }}' as table_name,
            count(*) as raw_rows,
            count(distinct raw.id) + (count(*) filter (where raw.id is null) > 0)::integer as raw_keys,
            {%- if table.states_model %}
                {%- set valid_from = 'least(coalesce(raw.updated_at, raw._loaded_at), raw._loaded_at)' if table.table == 'vehicles' else 'raw._loaded_at' %}
                count(distinct raw.id::text || '|' || {{ valid_from }}::text)
                + (count(*) filter (where raw.id is null) > 0)::integer as raw_states
            {%- else %}
                count(distinct raw.id) + (count(*) filter (where raw.id is null) > 0)::integer as raw_states
            {%- endif %}
        from {{ source('marketplace', table.table) }} as raw
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
