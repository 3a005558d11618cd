{#
    One row per rule a raw row breaks (blocking or warning), plus one row per superseded older
    delivery of a re-delivered id. Each staging view is read once.
#}
{% set staging_tables = [
    ('users', 'stg_marketplace__users', 'user_id'),
    ('vehicles', 'stg_marketplace__vehicles', 'vehicle_id'),
    ('bat_listings', 'stg_marketplace__bat_listings', 'listing_id'),
    ('vehicle_images', 'stg_marketplace__vehicle_images', 'image_id'),
    ('comments', 'stg_marketplace__comments', 'comment_id'),
    ('bids', 'stg_marketplace__bids', 'bid_id'),
    ('technicians', 'stg_marketplace__technicians', 'technician_id'),
    ('service_records', 'stg_marketplace__service_records', 'work_order_id'),
    ('ownerships', 'stg_marketplace__ownerships', 'ownership_id'),
] %}

with

dq_rules as (
    select * from {{ ref('dq_rules') }}
),

flagged_rows as (
    {%- for table_name, model_name, key_column in staging_tables %}
        select
            '{{ table_name }}'::text as table_name,
            staged.{{ key_column }}::text as record_key,
            flag.delivery_rank,
            flag.reason,
            flag.evidence,
            staged.loaded_at as latest_loaded_at
        from {{ ref(model_name) }} as staged
        cross join
            lateral (
                select
                    1 as delivery_rank,
                    issue.reason,
                    issue.evidence
                from unnest(staged.dq_issues, staged.dq_evidence) as issue (reason, evidence)
                union all
                select
                    superseded.delivery_rank,
                    'duplicate_delivery' as reason,
                    'delivered ' || staged.delivery_count || ' times; older copy number ' || superseded.delivery_rank as evidence
                from generate_series(2, staged.delivery_count) as superseded (delivery_rank)
            ) as flag
        where cardinality(staged.dq_issues) > 0 or staged.delivery_count > 1
        {%- if not loop.last %}

            union all
        {% endif %}
    {%- endfor %}
),

final as (
    select
        md5(
            flagged_rows.table_name || '|' || flagged_rows.record_key || '|'
            || flagged_rows.delivery_rank || '|' || flagged_rows.reason
        ) as quarantine_id,
        flagged_rows.table_name,
        flagged_rows.record_key,
        flagged_rows.delivery_rank::integer as delivery_rank,
        flagged_rows.reason,
        coalesce(dq_rules.severity, 'blocking') as severity,
        dq_rules.rule_version,
        flagged_rows.evidence as offending_value,
        flagged_rows.latest_loaded_at
    from flagged_rows
    left join dq_rules
        on
            flagged_rows.table_name = dq_rules.table_name
            and flagged_rows.reason = dq_rules.reason
)

select * from final
