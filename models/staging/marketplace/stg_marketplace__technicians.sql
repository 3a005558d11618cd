{#
    One row per technician: the current state (the latest delivery), cleaned and checked in
    stg_marketplace__technician_states, which packages built as of a cutoff read instead.
#}

with

technician_states as (
    select * from {{ ref('stg_marketplace__technician_states') }}
),

current_state as (
    select
        technician_id,
        user_id,
        shop_name,
        certifications,
        started_in_trade_date,
        valid_from as current_state_valid_from,
        loaded_at,
        delivery_count,
        state_count,
        dq_issues,
        dq_evidence,
        has_blocking_issue
    from technician_states
    where is_current_delivery
)

select * from current_state
