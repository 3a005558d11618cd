{% set text_columns = ['title', 'description'] %}
{% set counters = ['view_count', 'watcher_count', 'comment_count', 'bid_count'] %}
{% set status_cleaned = "replace(lower(btrim(status)), ' ', '_')" %}
{% set checks = [
    {'reason': 'orphan_reference', 'when': 'vehicle_id is not null and not vehicle_exists', 'value': 'vehicle_id'},
    {'reason': 'missing_required_value',
     'when': 'vehicle_id is null or started_at is null or status is null',
     'value': "'vehicle_id=' || coalesce(vehicle_id::text, '<null>') || '; started_at=' || coalesce(started_at::text, '<null>') || '; status=' || coalesce(status, '<null>')"},
    {'reason': 'unknown_enum_value',
     'when': status_cleaned ~ " not in ('live', 'sold', 'reserve_not_met', 'withdrawn')",
     'value': 'status'},
    {'reason': 'future_timestamp',
     'when': dq_any(['started_at', 'ended_at'], '{col} > _loaded_at'),
     'value': dq_evidence(['started_at', 'ended_at'], '{col} > _loaded_at')},
    {'reason': 'epoch_timestamp',
     'when': dq_any(['started_at', 'ended_at'], "{col} < timestamptz '1970-01-01 00:00:00+00' + " ~ rule_parameter('timestamps', 'epoch_line_days') ~ " * interval '1 day'"),
     'value': dq_evidence(['started_at', 'ended_at'], "{col} < timestamptz '1970-01-01 00:00:00+00' + " ~ rule_parameter('timestamps', 'epoch_line_days') ~ " * interval '1 day'")},
    {'reason': 'ended_before_started',
     'when': 'ended_at <= started_at',
     'value': "'started_at=' || started_at || '; ended_at=' || ended_at"},
    {'reason': 'missing_end_time',
     'when': "ended_at is null and " ~ status_cleaned ~ " in ('sold', 'reserve_not_met', 'withdrawn')",
     'value': 'status'},
    {'reason': 'price_not_positive',
     'when': dq_any(['sale_price', 'high_bid'], '{col} <= 0'),
     'value': dq_evidence(['sale_price', 'high_bid'], '{col} <= 0')},
    {'reason': 'price_absurd',
     'when': dq_any(['sale_price', 'high_bid'], '{col} >= ' ~ rule_parameter('money', 'max_usd')),
     'value': dq_evidence(['sale_price', 'high_bid'], '{col} >= ' ~ rule_parameter('money', 'max_usd'))},
    {'reason': 'sale_price_status_mismatch',
     'when': "(sale_price is not null and " ~ status_cleaned ~ " <> 'sold') or (sale_price is null and " ~ status_cleaned ~ " = 'sold')",
     'value': "'status=' || coalesce(status, '<null>') || '; sale_price=' || coalesce(sale_price::text, '<null>')"},
    {'reason': 'suspicious_sale_price',
     'when': 'sale_price > 0 and sale_price < 0.5 * high_bid',
     'value': "'sale_price=' || sale_price || '; high_bid=' || high_bid"},
    {'reason': 'negative_count',
     'when': dq_any(counters, '{col} < 0'),
     'value': dq_evidence(counters, '{col} < 0')},
    {'reason': 'unknown_user_reference', 'when': 'seller_id is not null and not seller_exists', 'value': 'seller_id'},
    {'reason': 'placeholder_value',
     'when': dq_any(['seller_type', 'location', 'lot_number'], is_placeholder('{col}')),
     'value': dq_evidence(['seller_type', 'location', 'lot_number'], is_placeholder('{col}'))},
    {'reason': 'control_characters',
     'when': dq_any(text_columns, "{col} ~ " ~ control_character_pattern()),
     'value': dq_evidence(text_columns, "{col} ~ " ~ control_character_pattern(), describe_odd_character('{col}', control_character_pattern()))},
    {'reason': 'zero_width_characters',
     'when': dq_any(text_columns, "{col} ~ " ~ zero_width_pattern()),
     'value': dq_evidence(text_columns, "{col} ~ " ~ zero_width_pattern(), describe_odd_character('{col}', zero_width_pattern()))},
    {'reason': 'oversized_text', 'when': 'length(description) > 100000', 'value': "length(description) || ' characters'"},
    {'reason': 'contains_email',
     'when': dq_any(text_columns, "{col} ~ " ~ email_pattern()),
     'value': dq_evidence(text_columns, "{col} ~ " ~ email_pattern(), mask_personal_data('{col}', email_pattern()))},
    {'reason': 'contains_phone',
     'when': dq_any(text_columns, "{col} ~ " ~ phone_pattern()),
     'value': dq_evidence(text_columns, "{col} ~ " ~ phone_pattern(), mask_personal_data('{col}', phone_pattern()))},
] %}

{{
    config(
        materialized='incremental',
        unique_key='listing_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook=["{{ empty_if_raw_was_replaced('bat_listings', 'listing_id') }}"],
    )
}}

with

source as (
    {#- Incremental run (macros/staging/incremental_staging.sql): the listings delivered since the watermark, or whose
        vehicle or seller was. A listing reads no other listing. #}
    {{ raw_rows_to_stage('bat_listings', {'vehicle_id': 'vehicles', 'seller_id': 'users'}) }}
),

latest_delivery as (
    {{ keep_latest_delivery('source', 'id', ['ended_at']) }}
),

with_references as (
    {#- Reasoned exception to "no joins in staging": a listing whose vehicle or seller is unknown
        breaks the source contract, and the contract asks staging to name every rule a row breaks. #}
    select
        latest_delivery.*,
        exists(
            select 1 from {{ source('marketplace', 'vehicles') }} as vehicles
            where vehicles.id = latest_delivery.vehicle_id
        ) as vehicle_exists,
        exists(
            select 1 from {{ source('marketplace', 'users') }} as users
            where users.id = latest_delivery.seller_id
        ) as seller_exists
    from latest_delivery
),

platforms as (
    select * from {{ ref('platforms') }}
),

checked as (
    select
        with_references.*,
        (
            {#- The platform from the listing URL's host (seeds/platforms.csv), else the host itself. #}
            select platforms.platform
            from platforms
            where
                substring(lower({{ clean_text('with_references.url') }}) from '^[a-z][a-z0-9+.-]*://([^/:?#]+)')
                ~ platforms.host_pattern
            order by platforms.platform
            limit 1
        ) as platform_from_seed,
        {{ dq_issue_columns(checks) }}
    from with_references
    {#- offset 0 keeps this step a plan node of its own: otherwise PostgreSQL copies the dq_issues
        expression into every later reference and evaluates each rule several times per row. #}
    offset 0  -- noqa: AM09
),

renamed as (
    select
        id as listing_id,
        vehicle_id,
        case when seller_exists then seller_id end as seller_id,
        {{ null_if_placeholder(clean_text('lot_number')) }} as lot_number,
        {{ clean_text('url') }} as listing_url,
        {{ clean_free_text('title', 1000) }} as title,
        {#- A description that was not delivered is unknown, not empty. #}
        {{ clean_free_text('description', 100000) }} as description,
        case
            when lower(btrim(seller_type)) in ('private', 'dealer') then lower(btrim(seller_type))
            when seller_type ~* {{ name_pattern('seller_dealer') }} then 'dealer'
            when seller_type ~* {{ name_pattern('seller_private') }} then 'private'
        end as seller_type,
        {{ null_if_placeholder(clean_text('seller_type')) }} as seller_type_as_delivered,
        coalesce(
            platform_from_seed,
            substring(lower({{ clean_text('url') }}) from '^[a-z][a-z0-9+.-]*://(?:www\.)?([^/:?#]+)')
        ) as platform,
        {{ null_if_placeholder(clean_text('location')) }} as location,
        started_at,
        ended_at,
        {{ status_cleaned }} as listing_status,
        high_bid,
        sale_price,
        no_reserve as is_no_reserve,
        {%- for counter in counters %}
            case when {{ counter }} >= 0 then {{ counter }} end as {{ 'platform_' ~ counter }},
        {%- endfor %}
        _loaded_at as loaded_at,
        delivery_count,
        dq_issues,
        {{ dq_evidence_column(checks) }},
        {{ dq_has_blocking_issue('bat_listings') }} as has_blocking_issue
    from checked
)

select * from renamed
