{#
    One row per clean work order done by a clean technician, with how it was documented: its photos
    (count, a bounded list of the first `technician_photos_per_order_limit` by gallery position), whether
    the photos form a before/after pair (at least two photos whose capture times span at least
    `before_after_min_span_hours`: taken at the start and the end of the job), the description's length
    (never its text), whether the mileage was recorded, and the vehicle worked on. `recency_rank` 1 is the
    technician's latest order; `is_comeback_source` marks an order whose vehicle came back for the same
    category within `comeback_max_days` (to any technician: the job did not hold).
#}

with

service_records as (
    select * from {{ ref('stg_marketplace__service_records') }}
    where not has_blocking_issue
),

technicians as (
    select * from {{ ref('stg_marketplace__technicians') }}
    where not has_blocking_issue
),

vehicles as (
    select * from {{ ref('stg_marketplace__vehicles') }}
    where not has_blocking_issue
),

work_photos as (
    select
        images.*,
        row_number() over (
            partition by images.work_order_id
            order by images.gallery_position asc nulls last, images.taken_at asc nulls last, images.image_id asc
        ) as photo_rank
    from {{ ref('stg_marketplace__vehicle_images') }} as images
    where not images.has_blocking_issue and images.work_order_id is not null
),

photos_per_order as (
    select
        work_order_id,
        count(*) as photo_count,
        extract(epoch from max(taken_at) - min(taken_at)) / 3600.0 as photo_span_hours,
        jsonb_agg(
            jsonb_build_object(
                'image_id', image_id,
                'image_url', image_url,
                'category', image_category,
                'position', gallery_position
            )
            order by photo_rank
        ) filter (where photo_rank <= {{ var('technician_photos_per_order_limit') }}) as photos
    from work_photos
    group by work_order_id
),

orders as (
    select
        service_records.work_order_id,
        service_records.technician_id,
        service_records.vehicle_id,
        service_records.performed_date,
        service_records.work_category,
        service_records.labor_hours,
        service_records.total_cost,
        service_records.mileage_at_service is not null as is_mileage_recorded,
        char_length(btrim(coalesce(service_records.description, ''))) as description_length,
        vehicles.model_year,
        vehicles.make,
        vehicles.model
    from service_records
    inner join technicians
        on service_records.technician_id = technicians.technician_id
    left join vehicles
        on service_records.vehicle_id = vehicles.vehicle_id
),

next_same_category_visits as (
    {#- The same vehicle's next clean order of the same category, by anyone (one window pass, linear). #}
    select
        work_order_id,
        lead(performed_date) over (
            partition by vehicle_id, work_category
            order by performed_date asc, work_order_id asc
        ) as next_same_category_date
    from service_records
),

comebacks as (
    select
        orders.work_order_id,
        coalesce(
            next_same_category_visits.next_same_category_date - orders.performed_date
            between 1 and {{ rule_parameter('technician_experience', 'comeback_max_days') }},
            false
        ) as is_comeback_source
    from orders
    inner join next_same_category_visits
        on orders.work_order_id = next_same_category_visits.work_order_id
),

final as (
    select
        orders.*,
        case
            when orders.total_cost is null then null
            when orders.total_cost < {{ rule_parameter('work_order_cost_band', 'low_max_usd') }} then 'low'
            when orders.total_cost < {{ rule_parameter('work_order_cost_band', 'medium_max_usd') }} then 'medium'
            when orders.total_cost < {{ rule_parameter('work_order_cost_band', 'high_max_usd') }} then 'high'
            else 'major'
        end as cost_band,
        orders.description_length > 0 as has_description,
        coalesce(photos_per_order.photo_count, 0) as photo_count,
        coalesce(
            photos_per_order.photo_count >= 2
            and photos_per_order.photo_span_hours
            >= {{ rule_parameter('documentation_consistency', 'before_after_min_span_hours') }},
            false
        ) as has_before_after_pair,
        coalesce(photos_per_order.photos, '[]'::jsonb) as photos,
        comebacks.is_comeback_source,
        orders.performed_date - lag(orders.performed_date) over (
            partition by orders.technician_id
            order by orders.performed_date asc, orders.work_order_id asc
        ) as days_since_previous_order,
        row_number() over (
            partition by orders.technician_id
            order by orders.performed_date desc, orders.work_order_id desc
        ) as recency_rank
    from orders
    inner join comebacks
        on orders.work_order_id = comebacks.work_order_id
    left join photos_per_order
        on orders.work_order_id = photos_per_order.work_order_id
)

select * from final
