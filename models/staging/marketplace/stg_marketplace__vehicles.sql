{#
    One row per vehicle: its current state (the latest delivery), cleaned and checked in
    stg_marketplace__vehicle_states. Packages that describe a vehicle at a point in time read the
    states; this model serves the quarantine and the current view of a vehicle.
#}

with

vehicle_states as (
    select * from {{ ref('stg_marketplace__vehicle_states') }}
),

current_state as (
    select
        vehicle_id,
        vin,
        model_year,
        make,
        model,
        model_key,
        model_generation,
        model_alias_id,
        model_as_delivered,
        trim_level,
        color,
        interior_color,
        mileage,
        transmission,
        transmission_family,
        gear_count,
        engine,
        body_style,
        drivetrain,
        condition_rating,
        current_owner_id,
        lot_category,
        lot_rule,
        created_at,
        updated_at,
        valid_from as current_state_valid_from,
        loaded_at,
        delivery_count,
        state_count,
        dq_issues,
        dq_evidence,
        has_blocking_issue
    from vehicle_states
    where is_current_delivery
)

select * from current_state
