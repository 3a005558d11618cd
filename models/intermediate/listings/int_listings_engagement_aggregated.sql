{#
    Engagement per listing counted from the comments and bids tables themselves (the platform's
    counters are kept beside them for comparison, never mixed in). In-window means between the
    start and the end, both included; comments after the end are counted apart as post-outcome
    data. The early window covers the first `early_signal_hours` hours only, so a model can
    predict mid-auction without seeing the end.

    Unknown is not zero: the counts of a source are null, not 0, when it gave no evidence for the
    listing: no row of that kind arrived for its auction and the platform's own counter does not say
    there were none (a platform that delivers no comment rows, a counter that announces comments none
    of which arrived, a platform without counters). *_coverage says how much of what the counter
    announces arrived (in-window rows delivered / counter; null without a counter). Only this
    listing's own rows decide, so rows that arrive later for other listings change nothing.
    The early counts have only the early window's own evidence: they are known when a row of that kind
    from the window arrived, and null otherwise. Whether later rows arrived, and the end-of-auction
    counters, are not known after 24 hours; letting them decide between 0 and null told the outcome (a
    counter ending at 0 meant no bid at all, so no sale).
#}

with

{#- Not materialized, so PostgreSQL keeps the statistics of the listings when it joins them to the comments and bids
    (a materialized CTE has none: it hashed 777K comments to probe them with 12.7K listings). #}
listings as not materialized (
    select * from {{ ref('int_listings_enriched') }}
),

comments as (
    select * from {{ ref('stg_marketplace__comments') }}
    where not has_blocking_issue
),

comment_sentiment as (
    select * from {{ ref('int_comments_sentiment_scored') }}
),

bids as (
    select * from {{ ref('stg_marketplace__bids') }}
    where not has_blocking_issue
),

classified_comments as (
    select
        comments.listing_id,
        comment_sentiment.sentiment_compound,
        comments.posted_at >= listings.started_at
        and (listings.ended_at is null or comments.posted_at <= listings.ended_at) as is_in_window,
        comments.posted_at > listings.ended_at as is_after_end,
        comments.posted_at >= listings.started_at
        and comments.posted_at < listings.started_at + interval '{{ var("early_signal_hours") }} hours'
        and (listings.ended_at is null or comments.posted_at <= listings.ended_at) as is_early,
        {#- null when the commenter or the seller is unknown (not in the users table, or no users delivered): such a
            comment may be the seller's, so the listing's count of seller responses is unknown too. #}
        comments.user_id = listings.seller_id as is_seller_response,
        {#- A question is a commenter asking: the seller's own "?" is usually rhetorical or a reply. A "?" not known
            to be the seller's counts (the question_count describes what is known, not who might have asked). #}
        coalesce(comments.body like '%?%' and not coalesce(comments.user_id = listings.seller_id, false), false)
            as is_question
    from comments
    inner join listings
        on comments.listing_id = listings.listing_id
    left join comment_sentiment
        on comments.comment_id = comment_sentiment.comment_id
),

comment_counts as (
    select
        listing_id,
        count(*) filter (where is_in_window) as delivered_comment_count,
        count(*) filter (where is_in_window) as comment_count,
        count(*) filter (where is_in_window and is_question) as question_count,
        count(*) filter (where is_in_window and is_seller_response) as seller_response_count,
        count(*) filter (where is_in_window and is_seller_response is null) as unattributed_comment_count,
        avg(sentiment_compound) filter (where is_in_window) as avg_comment_sentiment,
        count(*) filter (where is_after_end) as post_end_comment_count,
        count(*) filter (where is_early) as early_comment_count,
        count(*) filter (where is_early and is_question) as early_question_count,
        count(*) filter (where is_early and is_seller_response) as early_seller_response_count,
        count(*) filter (where is_early and is_seller_response is null) as early_unattributed_comment_count,
        avg(sentiment_compound) filter (where is_early) as early_avg_comment_sentiment
    from classified_comments
    group by listing_id
),

classified_bids as (
    select
        bids.listing_id,
        bids.bid_amount,
        bids.placed_at >= listings.started_at
        and (listings.ended_at is null or bids.placed_at <= listings.ended_at) as is_in_window,
        bids.placed_at >= listings.started_at
        and bids.placed_at < listings.started_at + interval '{{ var("early_signal_hours") }} hours'
        and (listings.ended_at is null or bids.placed_at <= listings.ended_at) as is_early
    from bids
    inner join listings
        on bids.listing_id = listings.listing_id
),

bid_counts as (
    select
        listing_id,
        count(*) filter (where is_in_window) as delivered_bid_count,
        count(*) filter (where is_in_window) as bid_count,
        max(bid_amount) filter (where is_in_window) as max_bid_amount,
        count(*) filter (where is_early) as early_bid_count,
        max(bid_amount) filter (where is_early) as early_high_bid
    from classified_bids
    group by listing_id
),

evidence as (
    {#- Known from this listing's own evidence only, so no later row of another listing can change it:
        comments delivered for its auction, or the platform's own counter saying there were none. #}
    select
        listings.listing_id,
        coalesce(comment_counts.delivered_comment_count > 0 or listings.platform_comment_count = 0, false)
            as comments_are_known,
        coalesce(bid_counts.delivered_bid_count > 0 or listings.platform_bid_count = 0, false) as bids_are_known,
        round(
            coalesce(comment_counts.delivered_comment_count, 0)::numeric / nullif(listings.platform_comment_count, 0), 4
        ) as comment_coverage,
        round(coalesce(bid_counts.delivered_bid_count, 0)::numeric / nullif(listings.platform_bid_count, 0), 4)
            as bid_coverage
    from listings
    left join comment_counts
        on listings.listing_id = comment_counts.listing_id
    left join bid_counts
        on listings.listing_id = bid_counts.listing_id
),

final as (
    select
        listings.listing_id,
        evidence.comments_are_known,
        evidence.bids_are_known,
        evidence.comment_coverage,
        evidence.bid_coverage,
        {%- for column in ['comment_count', 'question_count', 'post_end_comment_count'] %}
            case when evidence.comments_are_known then coalesce(comment_counts.{{ column }}, 0) end::integer
                as {{ column }},
        {%- endfor %}
        case
            when evidence.comments_are_known and coalesce(comment_counts.unattributed_comment_count, 0) = 0
                then coalesce(comment_counts.seller_response_count, 0)
        end::integer as seller_response_count,
        {%- for column in ['early_comment_count', 'early_question_count'] %}
            case when comment_counts.early_comment_count > 0 then comment_counts.{{ column }} end::integer
                as {{ column }},
        {%- endfor %}
        case
            when comment_counts.early_comment_count > 0 and comment_counts.early_unattributed_comment_count = 0
                then comment_counts.early_seller_response_count
        end::integer as early_seller_response_count,
        round(comment_counts.avg_comment_sentiment::numeric, 4) as avg_comment_sentiment,
        round(comment_counts.early_avg_comment_sentiment::numeric, 4) as early_avg_comment_sentiment,
        case when evidence.bids_are_known then coalesce(bid_counts.bid_count, 0) end::integer as bid_count,
        case when bid_counts.early_bid_count > 0 then bid_counts.early_bid_count end::integer as early_bid_count,
        bid_counts.max_bid_amount,
        bid_counts.early_high_bid,
        {#- the rule that tells questions and seller responses above (is_question, is_seller_response); version 2
            leaves the seller responses unknown when the seller or a commenter is #}
        'comment_roles@2'::text as comment_roles_rule_version
    from listings
    inner join evidence
        on listings.listing_id = evidence.listing_id
    left join comment_counts
        on listings.listing_id = comment_counts.listing_id
    left join bid_counts
        on listings.listing_id = bid_counts.listing_id
)

select * from final
