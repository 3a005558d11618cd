{#
    One row per clean technician known at the package cutoff: documentation patterns and experience over
    ALL their clean work orders up to the cutoff, and the bounded work history of the package (the
    `technician_work_history_limit` most recent orders, newest first, each named by a pseudonymous key
    and without its date: a technician's order dates, even as months, single them out in the raw
    tables). Technicians without orders keep a row (zeros, null shares, an empty history). Years in the
    trade and certifications are the technician's state at the cutoff, the data's own clock, never the
    build's. A comeback share counts only orders whose comeback window closed by the cutoff.
#}
{{ assert_pseudonym_key_is_safe() }}

with

technicians as (
    select technician_states.*
    from {{ ref('stg_marketplace__technician_states') }} as technician_states
    where not technician_states.has_blocking_issue and {{ valid_at('technician_states', package_cutoff()) }}
),

orders as (
    select * from {{ ref('int_work_orders_documented') }}
),

cutoff as (
    select {{ package_cutoff() }} as cutoff_at
),

category_labor_medians as (
    select
        work_category,
        percentile_cont(0.5) within group (order by labor_hours) as median_labor_hours
    from orders
    where labor_hours > 0
    group by work_category
),

order_measures as (
    select
        orders.*,
        orders.labor_hours / nullif(category_labor_medians.median_labor_hours, 0) as labor_ratio
    from orders
    left join category_labor_medians
        on orders.work_category = category_labor_medians.work_category
),

per_technician as (
    select
        technician_id,
        count(*) as order_count,
        sum(photo_count) as photo_total,
        round(avg((photo_count > 0)::integer), 4) as orders_with_photos_share,
        round(avg(photo_count), 4) as photos_per_order_mean,
        round(stddev_pop(photo_count), 4) as photos_per_order_stddev,
        round(avg(has_description::integer), 4) as description_share,
        round(avg(
            (description_length >= {{ rule_parameter('documentation_consistency', 'min_description_length') }})::integer
        ), 4) as documented_description_share,
        round(avg(description_length), 1) as description_length_mean,
        round(stddev_pop(description_length), 1) as description_length_stddev,
        round(avg(has_before_after_pair::integer), 4) as before_after_share,
        round(avg(is_mileage_recorded::integer), 4) as mileage_recorded_share,
        round(avg(days_since_previous_order), 1) as order_gap_days_mean,
        (percentile_cont(0.5) within group (order by days_since_previous_order))::numeric as order_gap_days_median,
        max(days_since_previous_order) as order_gap_days_max,
        count(distinct vehicle_id) as distinct_vehicle_count,
        count(distinct make) as distinct_make_count,
        count(*) filter (where is_comeback_source) as comeback_count,
        round(avg(is_comeback_source::integer), 4) as comeback_share,
        sum(labor_hours) as labor_hours_total,
        round((percentile_cont(0.5) within group (order by labor_ratio))::numeric, 4) as labor_efficiency_ratio,
        min(performed_date) as first_order_date,
        max(performed_date) as last_order_date
    from order_measures
    group by technician_id
),

categories as (
    select
        technician_id,
        jsonb_object_agg(work_category, orders order by work_category) as orders_by_category
    from (
        select
            technician_id,
            work_category,
            count(*) as orders
        from orders
        group by technician_id, work_category
    ) as category_counts
    group by technician_id
),

work_history as (
    select
        technician_id,
        count(*) as orders_shown,
        jsonb_agg(
            jsonb_build_object(
                'work_order_key', {{ pseudonymize('work_order_id', 'technician_package_work_order') }},
                'category', work_category,
                'labor_band', labor_band,
                'cost_band', cost_band,
                'description_band', description_band,
                'mileage_recorded', is_mileage_recorded,
                'vehicle', jsonb_build_object(
                    {#- Keyed per technician: two technicians who worked on one car get two keys for it. #}
                    'vehicle_key', {{ pseudonymize_per_person('technician_id', 'vehicle_id', 'technician_package_vehicle') }},
                    'year', model_year,
                    'make', make,
                    'model', model
                ),
                'photo_count', photo_count,
                'before_after_pair', has_before_after_pair,
                'photos', photos
            )
            order by recency_rank
        ) as orders
    from orders
    where is_in_work_history
    group by technician_id
),

final as (
    select
        technicians.technician_id,
        technicians.started_in_trade_date,
        floor((cutoff.cutoff_at::date - technicians.started_in_trade_date) / 365.25)::integer as years_in_trade,
        {#- No certifications field (null or a placeholder, nulled in staging) is unknown, not none listed. #}
        case
            when technicians.certifications is not null
                then cardinality(array_remove(
                    array(
                        select btrim(certification)
                        from unnest(string_to_array(technicians.certifications, ',')) as certification
                    ),
                    ''
                ))
        end as certification_count,
        coalesce(per_technician.order_count, 0) as order_count,
        {#- Without orders there are no photos; with orders whose photos are unknown, the total is unknown. #}
        case when per_technician.technician_id is null then 0 else per_technician.photo_total end as photo_total,
        per_technician.orders_with_photos_share,
        per_technician.photos_per_order_mean,
        per_technician.photos_per_order_stddev,
        per_technician.description_share,
        per_technician.documented_description_share,
        per_technician.description_length_mean,
        per_technician.description_length_stddev,
        per_technician.before_after_share,
        per_technician.mileage_recorded_share,
        per_technician.order_gap_days_mean,
        per_technician.order_gap_days_median,
        per_technician.order_gap_days_max,
        coalesce(categories.orders_by_category, '{}'::jsonb) as orders_by_category,
        coalesce(per_technician.distinct_vehicle_count, 0) as distinct_vehicle_count,
        coalesce(per_technician.distinct_make_count, 0) as distinct_make_count,
        coalesce(per_technician.comeback_count, 0) as comeback_count,
        per_technician.comeback_share,
        per_technician.labor_hours_total,
        per_technician.labor_efficiency_ratio,
        per_technician.first_order_date,
        per_technician.last_order_date,
        coalesce(work_history.orders_shown, 0) as orders_shown,
        coalesce(work_history.orders, '[]'::jsonb) as work_history,
        cutoff.cutoff_at
    from technicians
    cross join cutoff
    left join per_technician
        on technicians.technician_id = per_technician.technician_id
    left join categories
        on technicians.technician_id = categories.technician_id
    left join work_history
        on technicians.technician_id = work_history.technician_id
)

select * from final
