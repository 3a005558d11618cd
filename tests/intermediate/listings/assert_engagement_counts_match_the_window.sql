-- Counted independently from staging: a comment or bid outside [start, end] is never counted as
-- in-window, and none inside is missed.
with

listings as (
    select * from {{ ref('int_listings_enriched') }}
),

engagement as (
    select * from {{ ref('int_listings_engagement_aggregated') }}
),

comments_in_window as (
    select
        comments.listing_id,
        count(*) as comment_count
    from {{ ref('stg_marketplace__comments') }} as comments
    inner join listings
        on comments.listing_id = listings.listing_id
    where
        not comments.has_blocking_issue
        and comments.posted_at between listings.started_at and coalesce(listings.ended_at, 'infinity')
    group by comments.listing_id
),

bids_in_window as (
    select
        bids.listing_id,
        count(*) as bid_count
    from {{ ref('stg_marketplace__bids') }} as bids
    inner join listings
        on bids.listing_id = listings.listing_id
    where
        not bids.has_blocking_issue
        and bids.placed_at between listings.started_at and coalesce(listings.ended_at, 'infinity')
    group by bids.listing_id
)

select
    engagement.listing_id,
    engagement.comment_count,
    comments_in_window.comment_count as expected_comment_count,
    engagement.bid_count,
    bids_in_window.bid_count as expected_bid_count
from engagement
left join comments_in_window
    on engagement.listing_id = comments_in_window.listing_id
left join bids_in_window
    on engagement.listing_id = bids_in_window.listing_id
where
    engagement.comment_count <> coalesce(comments_in_window.comment_count, 0)
    or engagement.bid_count <> coalesce(bids_in_window.bid_count, 0)
