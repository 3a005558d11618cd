{% set checks = [
    {'reason': 'orphan_reference', 'when': 'listing_id is not null and not listing_exists', 'value': 'listing_id'},
    {'reason': 'missing_required_value',
     'when': 'listing_id is null or posted_at is null or body is null',
     'value': "'listing_id=' || coalesce(listing_id::text, '<null>') || '; posted_at=' || coalesce(posted_at::text, '<null>') || '; body=' || case when body is null then '<null>' else 'present' end"},
    {'reason': 'future_timestamp', 'when': 'posted_at > _loaded_at', 'value': 'posted_at'},
    {'reason': 'comment_before_start',
     'when': 'posted_at < listing_started_at',
     'value': "'posted_at=' || posted_at || '; listing started_at=' || listing_started_at"},
    {'reason': 'unknown_user_reference', 'when': 'user_id is not null and not user_exists', 'value': 'user_id'},
    {'reason': 'control_characters', 'when': "body ~ " ~ control_character_pattern(), 'value': describe_odd_character('body', control_character_pattern())},
    {'reason': 'zero_width_characters', 'when': "body ~ " ~ zero_width_pattern(), 'value': describe_odd_character('body', zero_width_pattern())},
    {'reason': 'oversized_text', 'when': 'length(body) > 20000', 'value': "length(body) || ' characters'"},
    {'reason': 'contains_email', 'when': "body ~ " ~ email_pattern(), 'value': mask_personal_data('body', email_pattern())},
    {'reason': 'contains_phone', 'when': "body ~ " ~ phone_pattern(), 'value': mask_personal_data('body', phone_pattern())},
] %}

{{
    config(
        materialized='incremental',
        unique_key='comment_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook=["{{ empty_if_raw_was_replaced('comments', 'comment_id') }}"],
    )
}}

with

source as (
    {#- Incremental run (macros/staging/incremental_staging.sql): the comments delivered since the watermark, or whose
        listing or user was. A comment reads no other comment. #}
    {{ raw_rows_to_stage('comments', {'listing_id': 'bat_listings', 'user_id': 'users'}) }}
),

latest_delivery as (
    {{ keep_latest_delivery('source', 'id', ['posted_at']) }}
),

listings as (
    {{ latest_listing_facts(['started_at']) }}
),

with_references as (
    {#- Reasoned exception to "no joins in staging": a comment posted before its listing started
        breaks the source contract, and staging names every rule a row breaks. The listing's start is
        taken from its latest delivery. #}
    select
        latest_delivery.*,
        listings.listing_started_at,
        listings.listing_id is not null as listing_exists,
        exists(
            select 1 from {{ source('marketplace', 'users') }} as users
            where users.id = latest_delivery.user_id
        ) as user_exists
    from latest_delivery
    left join listings
        on latest_delivery.listing_id = listings.listing_id
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
        id as comment_id,
        listing_id,
        case when user_exists then user_id end as user_id,
        parent_id as parent_comment_id,
        {{ clean_free_text('body', 20000) }} as body,
        posted_at,
        greatest(coalesce(likes, 0), 0) as like_count,
        _loaded_at as loaded_at,
        delivery_count,
        dq_issues,
        {{ dq_evidence_column(checks) }},
        {{ dq_has_blocking_issue('comments') }} as has_blocking_issue
    from checked
)

select * from renamed
