-- Point in time: every comparable behind an estimate is a sale that ended strictly before the
-- estimated listing started. Any row returned is leakage.
with

estimates as (
    select * from {{ ref('int_listings_price_estimated') }}
),

listings as (
    select * from {{ ref('int_listings_enriched') }}
),

comparables_used as (
    select
        estimates.listing_id,
        comparable.comparable_listing_id
    from estimates
    cross join lateral unnest(estimates.comparable_listing_ids) as comparable (comparable_listing_id)
)

select
    comparables_used.listing_id,
    estimated.started_at,
    comparables_used.comparable_listing_id,
    comparable.ended_at as comparable_ended_at,
    comparable.listing_status as comparable_status
from comparables_used
inner join listings as estimated
    on comparables_used.listing_id = estimated.listing_id
left join listings as comparable
    on comparables_used.comparable_listing_id = comparable.listing_id
where
    comparable.listing_id is null
    or comparable.listing_status <> 'sold'
    or not comparable.ended_at < estimated.started_at
