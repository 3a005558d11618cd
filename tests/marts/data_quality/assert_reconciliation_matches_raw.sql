-- Raw rows per table must equal what the reconciliation says arrived: nothing lost, nothing invented.
{% set raw_tables = ['users', 'vehicles', 'bat_listings', 'vehicle_images', 'comments', 'bids', 'technicians',
    'service_records', 'ownerships'] %}

with raw_counts as (
    {%- for table_name in raw_tables %}
        select
            '{{ table_name }}' as table_name,
            count(*) as raw_rows
        from {{ source('marketplace', table_name) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select
    raw_counts.table_name,
    raw_counts.raw_rows,
    reconciliation.arrived_rows
from raw_counts
left join {{ ref('data_quality_reconciliation') }} as reconciliation
    on raw_counts.table_name = reconciliation.table_name
where reconciliation.arrived_rows is distinct from raw_counts.raw_rows
