{#
    Every delivered state of every account, as a validity interval from its delivery (a users row
    carries no update time, so a state is known from when it arrived): an account re-delivered as a
    dealer was a dealer from then on, never before. Without its personal data: username, e-mail and
    phone stop here and never reach a later layer. stg_marketplace__users picks the current state.
#}
{% set checks = [
    {'reason': 'future_timestamp', 'when': 'joined_at > _loaded_at', 'value': 'joined_at'},
    {'reason': 'placeholder_value',
     'when': dq_any(['user_type', 'location'], is_placeholder('{col}')),
     'value': dq_evidence(['user_type', 'location'], is_placeholder('{col}'))},
    {'reason': 'unknown_enum_value',
     'when': "not " ~ is_placeholder('user_type') ~ " and lower(btrim(user_type)) not in ('private', 'dealer', 'shop')",
     'value': 'user_type'},
] %}

with

source as (
    select * from {{ source('marketplace', 'users') }}
    {#- a row without an id cannot be keyed: stg_marketplace__rows_without_id counts it #}
    where id is not null
),

states as (
    {{ keep_delivered_states('source', 'id', 'source._loaded_at') }}
),

checked as (
    select
        states.*,
        {{ dq_issue_columns(checks) }}
    from states
    {#- offset 0 keeps this step a plan node of its own: otherwise PostgreSQL copies the dq_issues
        expression into every later reference and evaluates each rule several times per row. #}
    offset 0  -- noqa: AM09
),

renamed as (
    select
        id as user_id,
        valid_from,
        valid_to,
        is_current_delivery,
        case
            when lower(btrim(user_type)) in ('private', 'dealer', 'shop') then lower(btrim(user_type))
        end as user_type,
        {{ null_if_placeholder(clean_text('location')) }} as location,
        case when not 'future_timestamp' = any(dq_issues) then joined_at end as joined_at,
        _loaded_at as first_loaded_at,
        state_loaded_at as loaded_at,
        delivery_count,
        state_count,
        dq_issues,
        {{ dq_evidence_column(checks) }},
        {{ dq_has_blocking_issue('users') }} as has_blocking_issue
    from checked
)

select * from renamed
