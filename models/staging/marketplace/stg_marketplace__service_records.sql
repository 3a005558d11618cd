{% set money_columns = ['labor_hours', 'parts_cost', 'total_cost'] %}
{% set checks = [
    {'reason': 'orphan_reference',
     'when': 'not vehicle_exists or not technician_exists',
     'value': "concat_ws('; ', case when not vehicle_exists then 'vehicle_id=' || vehicle_id end, case when not technician_exists then 'technician_id=' || technician_id end)"},
    {'reason': 'missing_required_value',
     'when': 'vehicle_id is null or performed_at is null',
     'value': "'vehicle_id=' || coalesce(vehicle_id::text, '<null>') || '; performed_at=' || coalesce(performed_at::text, '<null>')"},
    {'reason': 'future_timestamp', 'when': 'performed_at > _loaded_at::date', 'value': 'performed_at'},
    {'reason': 'epoch_timestamp', 'when': "performed_at < date '1970-01-01' + " ~ rule_parameter('timestamps', 'epoch_line_days') ~ "::integer", 'value': 'performed_at'},
    {'reason': 'unknown_enum_value',
     'when': "lower(btrim(category)) not in ('maintenance', 'repair', 'restoration', 'modification', 'inspection') or category is null",
     'value': 'category'},
    {'reason': 'mileage_out_of_range',
     'when': 'mileage_at_service < 0 or mileage_at_service > ' ~ rule_parameter('vehicle_mileage', 'max_miles'),
     'value': 'mileage_at_service'},
    {'reason': 'price_not_positive',
     'when': dq_any(money_columns, '{col} < 0'),
     'value': dq_evidence(money_columns, '{col} < 0')},
    {'reason': 'price_absurd',
     'when': dq_any(['parts_cost', 'total_cost'], '{col} >= ' ~ rule_parameter('money', 'max_usd')),
     'value': dq_evidence(['parts_cost', 'total_cost'], '{col} >= ' ~ rule_parameter('money', 'max_usd'))},
    {'reason': 'control_characters', 'when': "description ~ " ~ control_character_pattern(), 'value': describe_odd_character('description', control_character_pattern())},
    {'reason': 'zero_width_characters', 'when': "description ~ " ~ zero_width_pattern(), 'value': describe_odd_character('description', zero_width_pattern())},
    {'reason': 'contains_email', 'when': "description ~ " ~ email_pattern(), 'value': mask_personal_data('description', email_pattern())},
    {'reason': 'contains_phone', 'when': "description ~ " ~ phone_pattern(), 'value': mask_personal_data('description', phone_pattern())},
] %}

{{
    config(
        materialized='incremental',
        unique_key='work_order_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook=["{{ empty_if_raw_was_replaced('service_records', 'work_order_id') }}"],
    )
}}

with

source as (
    {#- Incremental run (macros/staging/incremental_staging.sql): the work orders delivered since the watermark,
        or whose vehicle or technician was. A work order reads no other work order. #}
    {{ raw_rows_to_stage('service_records', {'vehicle_id': 'vehicles', 'technician_id': 'technicians'}) }}
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
        latest_delivery.technician_id is null or exists (
            select 1 from {{ source('marketplace', 'technicians') }} as technicians
            where technicians.id = latest_delivery.technician_id
        ) as technician_exists
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
        id as work_order_id,
        vehicle_id,
        technician_id,
        performed_at as performed_date,
        case when not 'mileage_out_of_range' = any(dq_issues) then mileage_at_service end as mileage_at_service,
        lower(btrim(category)) as work_category,
        {{ clean_free_text('description', 20000) }} as description,
        {%- for column in money_columns %}
            case when {{ column }} >= 0 and {{ column }} < {{ rule_parameter('money', 'max_usd') }} then {{ column }} end as {{ column }},
        {%- endfor %}
        _loaded_at as loaded_at,
        delivery_count,
        dq_issues,
        {{ dq_evidence_column(checks) }},
        {{ dq_has_blocking_issue('service_records') }} as has_blocking_issue
    from checked
)

select * from renamed
