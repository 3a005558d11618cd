{% set price_columns = ['acquisition_price', 'disposal_price'] %}
{% set checks = [
    {'reason': 'orphan_reference',
     'when': 'not vehicle_exists or not owner_exists',
     'value': "concat_ws('; ', case when not vehicle_exists then 'vehicle_id=' || vehicle_id end, case when not owner_exists then 'owner_id=' || owner_id end)"},
    {'reason': 'missing_required_value',
     'when': 'vehicle_id is null or owner_id is null',
     'value': "'vehicle_id=' || coalesce(vehicle_id::text, '<null>') || '; owner_id=' || coalesce(owner_id::text, '<null>')"},
    {'reason': 'missing_optional_value', 'when': 'acquired_at is null', 'value': "'acquired_at=<null>'"},
    {'reason': 'future_timestamp',
     'when': dq_any(['acquired_at', 'disposed_at'], '{col} > _loaded_at::date'),
     'value': dq_evidence(['acquired_at', 'disposed_at'], '{col} > _loaded_at::date')},
    {'reason': 'ended_before_started',
     'when': 'disposed_at < acquired_at',
     'value': "'acquired_at=' || acquired_at || '; disposed_at=' || disposed_at"},
    {'reason': 'price_not_positive',
     'when': dq_any(price_columns, '{col} <= 0'),
     'value': dq_evidence(price_columns, '{col} <= 0')},
    {'reason': 'price_absurd',
     'when': dq_any(price_columns, '{col} >= ' ~ rule_parameter('money', 'max_usd')),
     'value': dq_evidence(price_columns, '{col} >= ' ~ rule_parameter('money', 'max_usd'))},
] %}

{{
    config(
        materialized='incremental',
        unique_key='ownership_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook=["{{ empty_if_raw_was_replaced('ownerships', 'ownership_id') }}"],
    )
}}

with

source as (
    {#- Incremental run (macros/staging/incremental_staging.sql): the ownerships delivered since the watermark, or whose
        vehicle or owner was. An ownership reads no other ownership. #}
    {{ raw_rows_to_stage('ownerships', {'vehicle_id': 'vehicles', 'owner_id': 'users'}) }}
),

latest_delivery as (
    {{ keep_latest_delivery('source', 'id') }}
),

with_references as (
    select
        latest_delivery.*,
        exists(
            select 1 from {{ source('marketplace', 'vehicles') }} as vehicles
            where vehicles.id = latest_delivery.vehicle_id
        ) as vehicle_exists,
        exists(
            select 1 from {{ source('marketplace', 'users') }} as users
            where users.id = latest_delivery.owner_id
        ) as owner_exists
    from latest_delivery
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
        id as ownership_id,
        vehicle_id,
        owner_id,
        acquired_at as acquired_date,
        disposed_at as disposed_date,
        {%- for column in price_columns %}
            case when {{ column }} > 0 and {{ column }} < {{ rule_parameter('money', 'max_usd') }} then {{ column }} end as {{ column }},
        {%- endfor %}
        coalesce(
            case
                when lower(btrim(acquired_via)) in ('bat', 'private', 'dealer', 'inheritance') then lower(btrim(acquired_via))
            end,
            'unknown'
        ) as acquired_via,
        _loaded_at as loaded_at,
        delivery_count,
        dq_issues,
        {{ dq_evidence_column(checks) }},
        {{ dq_has_blocking_issue('ownerships') }} as has_blocking_issue
    from checked
)

select * from renamed
