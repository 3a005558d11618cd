{#
    Every delivered state of every technician, as a validity interval from its delivery (a row
    carries no update time): certifications earned later are counted from when they arrived.
    stg_marketplace__technicians picks the current state.
#}
{% set checks = [
    {'reason': 'future_timestamp', 'when': 'started_at > _loaded_at::date', 'value': 'started_at'},
    {'reason': 'placeholder_value',
     'when': dq_any(['shop_name', 'certifications'], is_placeholder('{col}')),
     'value': dq_evidence(['shop_name', 'certifications'], is_placeholder('{col}'))},
    {'reason': 'unknown_user_reference', 'when': 'user_id is not null and not user_exists', 'value': 'user_id'},
] %}

with

source as (
    select * from {{ source('marketplace', 'technicians') }}
    {#- a row without an id cannot be keyed: stg_marketplace__rows_without_id counts it #}
    where id is not null
),

states as (
    {{ keep_delivered_states('source', 'id', 'source._loaded_at') }}
),

with_references as (
    select
        states.*,
        exists(
            select 1 from {{ source('marketplace', 'users') }} as users
            where users.id = states.user_id
        ) as user_exists
    from states
),

checked as (
    select
        with_references.*,
        {{ dq_issue_columns(checks) }}
    from with_references
    {#- offset 0 keeps this step a plan node of its own: otherwise PostgreSQL copies the dq_issues
        expression into every later reference and evaluates each rule several times per row. #}
    offset 0  -- noqa: AM09
),

renamed as (
    select
        id as technician_id,
        valid_from,
        valid_to,
        is_current_delivery,
        case when user_exists then user_id end as user_id,
        {{ null_if_placeholder(clean_text('shop_name')) }} as shop_name,
        {{ null_if_placeholder(clean_text('certifications')) }} as certifications,
        case when not 'future_timestamp' = any(dq_issues) then started_at end as started_in_trade_date,
        _loaded_at as first_loaded_at,
        state_loaded_at as loaded_at,
        delivery_count,
        state_count,
        dq_issues,
        {{ dq_evidence_column(checks) }},
        {{ dq_has_blocking_issue('technicians') }} as has_blocking_issue
    from checked
)

select * from renamed
