{#
    One row per owner with at least one clean holding by the package cutoff: what they hold at the
    cutoff and held before, how long they keep vehicles, how they trade, how far they drive them and
    how much they modify and restore them; every figure over all their holdings up to the cutoff.
    `vehicles` is the bounded per-vehicle list of the package (the `owner_vehicle_limit` most recent
    acquisitions), with pseudonymous vehicle keys of this package's own key domain, a band for how long
    each was held instead of its dates, and prices to two significant digits (macros in
    macros/privacy/): a garage's dates, even as months, single its owner out in the raw tables. The
    account type is the one delivered by the cutoff; unknown (null) when no state of the account was
    delivered by then.
#}
{{ assert_pseudonym_key_is_safe() }}

with

holdings as (
    select * from {{ ref('int_ownerships_measured') }}
),

users_at_cutoff as (
    select user_states.*
    from {{ ref('stg_marketplace__user_states') }} as user_states
    where
        not user_states.has_blocking_issue
        and {{ valid_at('user_states', package_cutoff()) }}
),

per_owner as (
    select
        owner_id,
        count(distinct vehicle_id) filter (where is_held_now) as vehicles_held_now,
        count(distinct vehicle_id) - count(distinct vehicle_id) filter (where is_held_now) as vehicles_held_before,
        count(*) as holding_count,
        count(*) as buy_count,
        count(*) filter (where not is_held_now) as sell_count,
        count(distinct make) as distinct_make_count,
        sum(value_estimate) filter (where is_held_now) as value_estimate_held_now,
        count(*) filter (where is_held_now and value_estimate is null) as held_now_without_value_count,
        round(
            (percentile_cont(0.5) within group (order by holding_years))::numeric, 4
        ) as median_holding_years,
        round(avg(holding_years), 4) as mean_holding_years,
        round(
            (percentile_cont(0.5) within group (order by holding_years) filter (where not is_held_now))::numeric, 4
        ) as median_completed_holding_years,
        {#- Over the completed holdings whose length is known: one with an unknown start is no evidence of a flip
            or of none (is_flipped null). #}
        round(
            (count(*) filter (where is_flipped))::numeric / nullif(count(is_flipped) filter (where not is_held_now), 0), 4
        ) as flipped_share,
        count(*) filter (where not is_held_now and is_flipped is null) as completed_unknown_length_count,
        {#- The share's bounds over every completed holding, those of unknown length counted as no flip (min) or as
            flips (max): what the owner_type rule may conclude whatever they were. #}
        round(
            (count(*) filter (where is_flipped))::numeric / nullif(count(*) filter (where not is_held_now), 0), 4
        ) as flipped_share_min,
        round(
            (count(*) filter (where is_flipped or (not is_held_now and is_flipped is null)))::numeric
            / nullif(count(*) filter (where not is_held_now), 0),
            4
        ) as flipped_share_max,
        count(resale_margin) as margin_count,
        round((percentile_cont(0.5) within group (order by resale_margin))::numeric, 4) as median_resale_margin,
        sum(acquisition_price) filter (where resale_margin is not null) as priced_purchase_total,
        sum(disposal_price) filter (where resale_margin is not null) as priced_sale_total,
        sum(miles_added) as miles_added,
        sum(mileage_span_years) as mileage_span_years,
        count(miles_added) as mileage_measured_holding_count,
        round(sum(miles_added) / nullif(sum(mileage_span_years), 0), 1) as miles_per_year,
        {#- A holding whose start is unknown has no record count (int_ownerships_measured): the sums below are over
            the others, and this says how many were left out. #}
        count(*) - count(service_record_count) as holdings_without_record_count,
        sum(service_record_count) as service_record_count,
        sum(modification_record_count) as modification_record_count,
        sum(restoration_record_count) as restoration_record_count,
        round(sum(holding_years), 4) as vehicle_years,
        round(
            sum(modification_record_count + restoration_record_count) / nullif(sum(holding_years), 0), 4
        ) as modification_records_per_vehicle_year,
        round(
            sum(modification_record_count + restoration_record_count)::numeric / nullif(sum(service_record_count), 0), 4
        ) as modification_record_share,
        min(acquired_date) as first_acquired_date,
        greatest(max(acquired_date), max(disposed_date)) as last_activity_date
    from holdings
    group by owner_id
),

makes as (
    select
        owner_id,
        jsonb_agg(make order by make) filter (where make_rank <= {{ var('owner_make_limit') }}) as makes
    from (
        select
            owner_id,
            make,
            row_number() over (partition by owner_id order by count(*) desc, make asc) as make_rank
        from holdings
        where make is not null
        group by owner_id, make
    ) as ranked_makes
    group by owner_id
),

eras as (
    select
        owner_id,
        jsonb_object_agg(vehicle_era, vehicles order by vehicle_era) as vehicles_by_era
    from (
        select
            owner_id,
            coalesce(vehicle_era, 'unknown') as vehicle_era,
            count(distinct vehicle_id) as vehicles
        from holdings
        group by owner_id, coalesce(vehicle_era, 'unknown')
    ) as era_counts
    group by owner_id
),

recent_holdings as (
    select
        holdings.*,
        row_number() over (
            partition by holdings.owner_id
            order by holdings.acquired_date desc nulls last, holdings.ownership_id desc
        ) as recency_rank
    from holdings
),

vehicle_entries as (
    select
        owner_id,
        jsonb_agg(
            jsonb_build_object(
                'vehicle_key', {{ pseudonymize_per_person('owner_id', 'vehicle_id', 'owner_package_vehicle') }},
                'year', model_year,
                'make', make,
                'model', model,
                'lot_category', lot_category,
                'era', vehicle_era,
                'held_now', is_held_now,
                'holding_length', {{ holding_length_band('holding_years') }},
                'acquired_via', acquired_via,
                'acquisition_price', {{ round_to_significant('acquisition_price') }},
                'disposal_price', {{ round_to_significant('disposal_price') }},
                'value_estimate', {{ round_to_significant('value_estimate') }},
                'modification_records', modification_record_count,
                'restoration_records', restoration_record_count,
                'service_records', service_record_count,
                {#- 2 significant digits, like the prices: computed from raw odometer readings, an exact value is a key #}
                'miles_per_year', {{ round_to_significant('miles_added / nullif(mileage_span_years, 0)') }}
            )
            order by recency_rank
        ) as vehicles
    from recent_holdings
    where recency_rank <= {{ var('owner_vehicle_limit') }}
    group by owner_id
),

final as (
    select
        per_owner.*,
        users_at_cutoff.user_type = 'dealer' as is_dealer_account,
        coalesce(makes.makes, '[]'::jsonb) as makes,
        eras.vehicles_by_era,
        vehicle_entries.vehicles
    from per_owner
    left join users_at_cutoff
        on per_owner.owner_id = users_at_cutoff.user_id
    left join makes
        on per_owner.owner_id = makes.owner_id
    inner join eras
        on per_owner.owner_id = eras.owner_id
    inner join vehicle_entries
        on per_owner.owner_id = vehicle_entries.owner_id
)

select * from final
