{#
    One row per clean work order done by a clean technician, with how it was documented: its photos
    (count, a bounded list of the first `technician_photos_per_order_limit` by gallery position), whether
    the photos form a before/after pair (at least two photos whose capture times span at least
    `before_after_min_span_hours`: taken at the start and the end of the job; unknown when capture times
    are missing and the known ones do not span it), the description's length
    (never its text), whether the mileage was recorded, and the vehicle worked on. `recency_rank` 1 is the
    technician's latest order; `is_comeback_source` marks an order whose vehicle came back for the same
    category within `comeback_max_days` to a technician, any technician (the job did not hold).
    As of the package cutoff: orders performed by it, photos uploaded by it, the technician's state at
    it, and a comeback only when the return falls by the cutoff; an order whose comeback window is
    still open at the cutoff is undecided (null), not "held". When no work photo was delivered at all (a
    platform without them), every order's photo count and before/after pair are unknown (null), not none.
    The vehicle is described as it was when
    the job was done. Orders, vehicles and photos are named by pseudonyms of the technician package's
    own key domains (no id or URL would lead back to the technician).
#}
{{ assert_pseudonym_key_is_safe() }}

with

cutoff as (
    select
        {{ package_cutoff() }} as cutoff_at,
        ({{ package_cutoff() }})::date as cutoff_date
),

service_records as (
    select staged_records.*
    from {{ ref('stg_marketplace__service_records') }} as staged_records
    cross join cutoff
    where
        not staged_records.has_blocking_issue
        and staged_records.performed_date <= cutoff.cutoff_date
),

technicians as (
    select technician_states.*
    from {{ ref('stg_marketplace__technician_states') }} as technician_states
    cross join cutoff
    where not technician_states.has_blocking_issue and {{ valid_at('technician_states', 'cutoff.cutoff_at') }}
),

vehicle_states as (
    select * from {{ ref('stg_marketplace__vehicle_states') }}
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
    cross join cutoff
    where
        not images.has_blocking_issue
        and images.work_order_id is not null
        and {{ photo_uploaded_by('images', 'cutoff.cutoff_at') }}
),

work_photo_history as (
    {#- Whether any work photo was delivered by the cutoff: on a platform that sends none, an order's photos are
        unknown, not none. #}
    select exists(select 1 from work_photos) as is_delivered
),

photos_per_order as (
    select
        work_order_id,
        count(*) as photo_count,
        count(taken_at) as dated_photo_count,
        extract(epoch from max(taken_at) - min(taken_at)) / 3600.0 as photo_span_hours,
        jsonb_agg(
            jsonb_build_object(
                'image_key', {{ pseudonymize('image_id', 'technician_package_image') }},
                'category', image_category,
                'position', gallery_position
            )
            order by photo_rank
        ) filter (where photo_rank <= {{ var('technician_photos_per_order_limit') }}) as photos,
        array_agg(image_id order by photo_rank) filter (
            where photo_rank <= {{ var('technician_photos_per_order_limit') }}
        ) as photo_image_ids
    from work_photos
    group by work_order_id
),

state_at_job as (
    {#- The vehicle as it was on the day of the job. #}
    select
        service_records.work_order_id,
        vehicle_states.model_year,
        vehicle_states.make,
        vehicle_states.model
    from service_records
    inner join vehicle_states
        on
            service_records.vehicle_id = vehicle_states.vehicle_id
            and {{ valid_at('vehicle_states', 'service_records.performed_date::timestamptz') }}
),

first_delivered_state as (
    {#- Without a state from the day of the job, the identity of the first state delivered. #}
    select distinct on (vehicle_states.vehicle_id)
        vehicle_states.vehicle_id,
        vehicle_states.model_year,
        vehicle_states.make,
        vehicle_states.model
    from vehicle_states
    order by vehicle_states.vehicle_id asc, vehicle_states.first_loaded_at asc, vehicle_states.valid_from asc
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
        case when state_at_job.work_order_id is not null then state_at_job.model_year else first_delivered_state.model_year end
            as model_year,
        case when state_at_job.work_order_id is not null then state_at_job.make else first_delivered_state.make end
            as make,
        case when state_at_job.work_order_id is not null then state_at_job.model else first_delivered_state.model end
            as model
    from service_records
    inner join technicians
        on service_records.technician_id = technicians.technician_id
    left join state_at_job
        on service_records.work_order_id = state_at_job.work_order_id
    left join first_delivered_state
        on service_records.vehicle_id = first_delivered_state.vehicle_id
),

next_same_category_visits as (
    {#- The same vehicle's next clean order of the same category at a technician, any technician (one window
        pass, linear). Work its owner did without a technician is not a return: it says nothing of the job. #}
    select
        work_order_id,
        {#- The first visit on a later day: a second order the same day is the same visit, not a return, and must
            not hide a return that came later. #}
        min(performed_date) over (
            partition by vehicle_id, work_category
            order by performed_date asc
            range between interval '1 day' following and unbounded following
        ) as next_same_category_date
    from service_records
    where technician_id is not null
),

comebacks as (
    select
        orders.work_order_id,
        case
            when
                next_same_category_visits.next_same_category_date - orders.performed_date
                between 1 and {{ rule_parameter('technician_experience', 'comeback_max_days') }}
                then true
            {#- No return yet, but the window is still open at the cutoff: undecided. #}
            when
                orders.performed_date + {{ rule_parameter('technician_experience', 'comeback_max_days') }}::integer
                > cutoff.cutoff_date
                then null
            else false
        end as is_comeback_source
    from orders
    cross join cutoff
    inner join next_same_category_visits
        on orders.work_order_id = next_same_category_visits.work_order_id
),

documented as (
    select
        orders.*,
        case
            when orders.total_cost is null then null
            when orders.total_cost < {{ rule_parameter('work_order_cost_band', 'low_max_usd') }} then 'low'
            when orders.total_cost < {{ rule_parameter('work_order_cost_band', 'medium_max_usd') }} then 'medium'
            when orders.total_cost < {{ rule_parameter('work_order_cost_band', 'high_max_usd') }} then 'high'
            else 'major'
        end as cost_band,
        {#- Bands, not the exact figures: hours to the hundredth and a description's exact length single out the
            work order in the raw tables (and through it the technician), as an exact price finds a sale. #}
        case
            when orders.labor_hours is null then null
            when orders.labor_hours < {{ rule_parameter('work_order_labor_band', 'short_max_hours') }} then 'short'
            when orders.labor_hours < {{ rule_parameter('work_order_labor_band', 'day_max_hours') }} then 'day'
            when orders.labor_hours < {{ rule_parameter('work_order_labor_band', 'week_max_hours') }} then 'week'
            when orders.labor_hours >= {{ rule_parameter('work_order_labor_band', 'week_max_hours') }} then 'long'
        end as labor_band,
        case
            when orders.description_length = 0 then 'none'
            when orders.description_length < {{ rule_parameter('documentation_consistency', 'min_description_length') }}
                then 'short'
            when
                orders.description_length
                < {{ rule_parameter('work_order_description_band', 'detailed_min_characters') }}
                then 'documented'
            when
                orders.description_length
                >= {{ rule_parameter('work_order_description_band', 'detailed_min_characters') }}
                then 'detailed'
        end as description_band,
        orders.description_length > 0 as has_description,
        case when work_photo_history.is_delivered then coalesce(photos_per_order.photo_count, 0) end as photo_count,
        case
            when not work_photo_history.is_delivered then null
            when coalesce(photos_per_order.photo_count, 0) < 2 then false
            when
                photos_per_order.photo_span_hours
                >= {{ rule_parameter('documentation_consistency', 'before_after_min_span_hours') }}
                then true
            {#- Every capture time known and too close together: no pair. A photo without one could widen the
                span, so with one missing the pair is unknown (null), never a confident no. #}
            when photos_per_order.dated_photo_count = photos_per_order.photo_count then false
        end as has_before_after_pair,
        case when work_photo_history.is_delivered then coalesce(photos_per_order.photos, '[]'::jsonb) end as photos,
        coalesce(photos_per_order.photo_image_ids, array[]::uuid[]) as photo_image_ids,
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
    cross join work_photo_history
    inner join comebacks
        on orders.work_order_id = comebacks.work_order_id
    left join photos_per_order
        on orders.work_order_id = photos_per_order.work_order_id
),

final as (
    {#- The package's bounded work history: the only orders (and photos) a technician package shows. #}
    select
        documented.*,
        documented.recency_rank <= {{ var('technician_work_history_limit') }} as is_in_work_history
    from documented
)

select * from final
