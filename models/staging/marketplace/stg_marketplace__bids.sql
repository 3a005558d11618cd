{# The window is written 'a to b': '+00 .. 2015-12-30' would read as an international phone number. #}
{% set checks = [
    {'reason': 'orphan_reference', 'when': 'listing_id is not null and not listing_exists', 'value': 'listing_id'},
    {'reason': 'missing_required_value',
     'when': 'listing_id is null or amount is null or placed_at is null',
     'value': "'listing_id=' || coalesce(listing_id::text, '<null>') || '; amount=' || coalesce(amount::text, '<null>') || '; placed_at=' || coalesce(placed_at::text, '<null>')"},
    {'reason': 'price_not_positive', 'when': 'amount <= 0', 'value': 'amount'},
    {'reason': 'price_absurd', 'when': 'amount >= ' ~ rule_parameter('money', 'max_usd'), 'value': 'amount'},
    {'reason': 'future_timestamp', 'when': 'placed_at > _loaded_at', 'value': 'placed_at'},
    {'reason': 'bid_outside_window',
     'when': 'placed_at < listing_started_at or placed_at > listing_ended_at',
     'value': "'placed_at=' || placed_at || '; window=' || coalesce(listing_started_at::text, '?') || ' to ' || coalesce(listing_ended_at::text, 'live')"},
    {'reason': 'bid_not_increasing',
     'when': 'amount <= previous_amount',
     'value': "'amount=' || amount || '; previous bid=' || previous_amount"},
    {'reason': 'unknown_user_reference', 'when': 'bidder_id is not null and not bidder_exists', 'value': 'bidder_id'},
] %}

{{
    config(
        materialized='incremental',
        unique_key='bid_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook=["{{ empty_if_raw_was_replaced('bids', 'bid_id') }}"],
    )
}}

with

{% if is_incremental() %}
{#- Incremental run (macros/staging/incremental_staging.sql): the bids delivered since the watermark or whose
    listing or bidder was, plus every bid of a listing such a bid is (or was) placed on: previous_amount reads
    the listing's bids in order. #}
    watermark as (
        {{ staging_watermark() }}
    ),

    directly_affected as (
        {{ ids_loaded_since('bids', 'watermark', {'listing_id': 'bat_listings', 'bidder_id': 'users'}) }}
    ),

    affected_listings as (
        {{ groups_of_ids('bids', 'raw_rows.listing_id', 'listing_id', 'directly_affected') }}
    ),

    recomputed_ids as (
        {{ ids_in_groups('bids', 'raw_rows.listing_id', 'affected_listings', 'listing_id') }}
    ),
{% endif %}

source as (
    select * from {{ source('marketplace', 'bids') }}
    {%- if is_incremental() %}
        where id in (select recomputed_ids.id from recomputed_ids)
    {%- else %}
        {#- a row without an id is no bid of anyone's: stg_marketplace__rows_without_id counts it #}
        where id is not null
    {%- endif %}
),

latest_delivery as (
    {{ keep_latest_delivery('source', 'id', ['placed_at']) }}
),

listings as (
    {{ latest_listing_facts(['started_at', 'ended_at']) }}
),

with_references as (
    {#- Reasoned exception to "no joins in staging": bids must fall strictly inside their listing's
        window (source contract), which only the listing knows. #}
    select
        latest_delivery.*,
        listings.listing_started_at,
        listings.listing_ended_at,
        listings.listing_id is not null as listing_exists,
        lag(latest_delivery.amount) over (
            partition by latest_delivery.listing_id
            order by latest_delivery.placed_at, latest_delivery.id
        ) as previous_amount,
        exists(
            select 1 from {{ source('marketplace', 'users') }} as users
            where users.id = latest_delivery.bidder_id
        ) as bidder_exists
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
        id as bid_id,
        listing_id,
        case when bidder_exists then bidder_id end as bidder_id,
        amount as bid_amount,
        placed_at,
        _loaded_at as loaded_at,
        delivery_count,
        dq_issues,
        {{ dq_evidence_column(checks) }},
        {{ dq_has_blocking_issue('bids') }} as has_blocking_issue
    from checked
)

select * from renamed
{%- if is_incremental() %}
    {#- Only bids whose listing was re-read whole: another bid read above may have named it in an old delivery only. #}
    where {{ is_in_groups('listing_id', 'affected_listings', 'listing_id') }}
{%- endif %}
