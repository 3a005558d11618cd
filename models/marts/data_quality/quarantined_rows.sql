{#
    One row per rule a raw row breaks (blocking or warning), plus one row per superseded older
    copy of a re-delivered id. Tables delivered as a history of states (macro marketplace_tables)
    report the rules every state breaks, ranked from the current state (1) back, and count only
    exact re-sends of a state (and a version not kept of two delivered for one time in one batch) as
    duplicates: an older state is history, not a defect. Non-car lots
    that only the listing title gives away are flagged on the listing (int_listings_enriched), and a
    raw row without an id is reported by a name of its content (stg_marketplace__rows_without_id).
#}

with

dq_rules as (
    select * from {{ ref('dq_rules') }}
),

flagged_rows as (
    {%- for table in marketplace_tables() %}
        {%- if table.states_model %}
            select
                '{{ table.table }}'::text as table_name,
                staged.{{ table.key }}::text as record_key,
                flag.delivery_rank,
                flag.reason,
                flag.evidence,
                staged.loaded_at as latest_loaded_at
            from (
                select
                    states.*,
                    row_number() over (
                        partition by states.{{ table.key }} order by states.loaded_at desc, states.valid_from desc
                    ) as state_rank
                from {{ ref(table.states_model) }} as states
            ) as staged
            cross join
                lateral (
                    select
                        staged.state_rank as delivery_rank,
                        issue.reason,
                        issue.evidence
                    from unnest(staged.dq_issues, staged.dq_evidence) as issue (reason, evidence)
                    union all
                    select
                        staged.state_count + resent.copy_number as delivery_rank,
                        'duplicate_delivery' as reason,
                        'delivered ' || staged.delivery_count || ' times as ' || staged.state_count
                        || ' states; re-sent copy number ' || resent.copy_number as evidence
                    from generate_series(1, staged.delivery_count - staged.state_count) as resent (copy_number)
                    where staged.is_current_delivery
                ) as flag
            where cardinality(staged.dq_issues) > 0 or staged.delivery_count > staged.state_count
        {%- else %}
            select
                '{{ table.table }}'::text as table_name,
                staged.{{ table.key }}::text as record_key,
                flag.delivery_rank,
                flag.reason,
                flag.evidence,
                staged.loaded_at as latest_loaded_at
            from {{ ref(table.model) }} as staged
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
        {%- endif %}

        union all
    {% endfor %}

    select
        'bat_listings'::text as table_name,
        listings.listing_id::text as record_key,
        1 as delivery_rank,
        listings.lot_category || '_lot' as reason,
        listings.lot_rule as evidence,
        listings.loaded_at as latest_loaded_at
    from {{ ref('int_listings_enriched') }} as listings
    where listings.lot_category <> 'car'

    union all

    select
        unkeyed.table_name,
        unkeyed.row_key as record_key,
        1 as delivery_rank,
        'missing_id' as reason,
        'id=<null>' as evidence,
        unkeyed.loaded_at as latest_loaded_at
    from {{ ref('stg_marketplace__rows_without_id') }} as unkeyed
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
