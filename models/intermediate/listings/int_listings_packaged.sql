{#
    Everything of a listing image package that is the same for every image of the listing, each
    section built once per listing as jsonb. The mart then assembles the package per image: building
    these sections per image row was most of the naive cost (shared/design/performance.md), so the
    image grain only pays for copying them.
#}

with

listings as (
    select * from {{ ref('int_listings_enriched') }}
    where listing_status in ('sold', 'reserve_not_met', 'withdrawn') and ended_at is not null
),

engagement as (
    select * from {{ ref('int_listings_engagement_aggregated') }}
),

estimates as (
    select * from {{ ref('int_listings_price_estimated') }}
),

labels as (
    select * from {{ ref('int_listings_labeled') }}
),

sentiment_rule as (
    select max(sentiment_rule_version) as sentiment_rule_version
    from {{ ref('int_comments_sentiment_scored') }}
),

snapshot as (
    {#- The data's own clock, not the build's: the same data always yields the same packages. #}
    select max(loaded_at) as snapshot_at
    from {{ ref('stg_marketplace__bat_listings') }}
),

final as (
    select
        listings.listing_id,
        listings.vehicle_id,
        listings.ended_at as listing_ended_at,
        {{ split_name('listings.vehicle_id') }} as split,
        cast('{{ var("listing_image_package_version") }}' as text) as package_version,
        jsonb_build_object(
            'year', listings.model_year,
            'make', listings.make,
            'model', listings.model,
            'color', listings.color,
            'mileage', listings.mileage,
            'transmission', listings.transmission_family,
            'condition_rating', listings.condition_rating
        ) as vehicle_context,
        jsonb_build_object(
            'image_count', listings.image_count,
            'description_length', listings.description_length,
            'has_service_records', listings.service_records_before_start > 0 or listings.mentions_service_records,
            'has_documentation', listings.document_photo_count > 0 or listings.mentions_documentation,
            'seller_type', listings.seller_type
        ) as listing_context,
        jsonb_build_object(
            'comment_count', engagement.comment_count,
            'bid_count', engagement.bid_count,
            'view_count', listings.platform_view_count,
            'avg_comment_sentiment', engagement.avg_comment_sentiment,
            'question_count', engagement.question_count,
            'seller_responses', engagement.seller_response_count
        ) as behavioral_signals,
        jsonb_build_object(
            'window_hours', {{ var("early_signal_hours") }},
            'comment_count', engagement.early_comment_count,
            'bid_count', engagement.early_bid_count,
            'avg_comment_sentiment', engagement.early_avg_comment_sentiment,
            'question_count', engagement.early_question_count,
            'seller_responses', engagement.early_seller_response_count,
            'high_bid', engagement.early_high_bid
        ) as early_signals,
        jsonb_build_object(
            'sale_price', labels.sale_price,
            'sold', listings.listing_status = 'sold',
            'price_vs_estimate', labels.price_vs_estimate,
            'days_on_market', listings.ended_at::date - listings.vehicle_first_listed_at::date
        ) as outcome,
        jsonb_build_object(
            'listing_quality', labels.listing_quality,
            'documentation_level', labels.documentation_level,
            'price_tier', labels.price_tier
        ) as training_labels,
        jsonb_build_object(
            'listing_quality', labels.listing_quality_rule_version,
            'documentation_level', labels.documentation_level_rule_version,
            'price_tier', labels.price_tier_rule_version,
            'price_vs_estimate', estimates.estimate_rule_version,
            'avg_comment_sentiment', sentiment_rule.sentiment_rule_version,
            'split', 'grouped_md5_bucket@1'
        ) as rule_versions,
        jsonb_build_object(
            'listing_started_at', listings.started_at,
            'listing_ended_at', listings.ended_at,
            'snapshot_at', snapshot.snapshot_at
        ) as as_of
    from listings
    inner join engagement
        on listings.listing_id = engagement.listing_id
    inner join estimates
        on listings.listing_id = estimates.listing_id
    inner join labels
        on listings.listing_id = labels.listing_id
    cross join sentiment_rule
    cross join snapshot
)

select * from final
