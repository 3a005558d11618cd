{#
    One row per account: its current state (the latest delivery), cleaned and checked in
    stg_marketplace__user_states, which packages built as of a cutoff read instead.
#}

with

user_states as (
    select * from {{ ref('stg_marketplace__user_states') }}
),

current_state as (
    select
        user_id,
        user_type,
        location,
        joined_at,
        valid_from as current_state_valid_from,
        loaded_at,
        delivery_count,
        state_count,
        dq_issues,
        dq_evidence,
        has_blocking_issue
    from user_states
    where is_current_delivery
)

select * from current_state
