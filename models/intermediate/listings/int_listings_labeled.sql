{#
    The three rule-based training labels per finished listing, each from thresholds in a seed with
    a rule version:
    - documentation_level: what the seller could show at the start (service records dated before
      it, documents photos, a description naming documents);
    - price_tier: the sale price, or the high bid when unsold, against seeds/price_tiers.csv;
    - listing_quality: the outcome against the pre-sale estimate, and the engagement.
#}

with

listings as (
    select * from {{ ref('int_listings_enriched') }}
),

engagement as (
    select * from {{ ref('int_listings_engagement_aggregated') }}
),

estimates as (
    select * from {{ ref('int_listings_price_estimated') }}
),

price_tiers as (
    select * from {{ ref('price_tiers') }}
),

outcomes as (
    select
        listings.listing_id,
        listings.listing_status,
        listings.service_records_before_start,
        listings.document_photo_count,
        listings.mentions_service_records,
        listings.mentions_documentation,
        engagement.comment_count,
        estimates.price_estimate,
        case when listings.listing_status = 'sold' then listings.sale_price end as sale_price,
        coalesce(listings.high_bid, engagement.max_bid_amount) as high_bid,
        case
            when listings.listing_status = 'sold' and estimates.price_estimate > 0
                then round(listings.sale_price / estimates.price_estimate, 4)
        end as price_vs_estimate
    from listings
    inner join engagement
        on listings.listing_id = engagement.listing_id
    inner join estimates
        on listings.listing_id = estimates.listing_id
    where listings.listing_status in ('sold', 'reserve_not_met', 'withdrawn')
),

labeled as (
    select
        outcomes.*,
        price_tiers.price_tier,
        case
            when
                outcomes.service_records_before_start
                >= {{ rule_parameter('documentation_level', 'comprehensive_min_service_records') }}
                and (
                    outcomes.document_photo_count
                    >= {{ rule_parameter('documentation_level', 'comprehensive_min_document_photos') }}
                    or outcomes.mentions_documentation
                )
                then 'comprehensive'
            when
                outcomes.service_records_before_start + outcomes.document_photo_count
                + outcomes.mentions_service_records::integer + outcomes.mentions_documentation::integer
                >= {{ rule_parameter('documentation_level', 'basic_min_evidence') }}
                then 'basic'
            else 'none'
        end as documentation_level,
        case
            when
                outcomes.listing_status = 'sold'
                and outcomes.price_vs_estimate >= {{ rule_parameter('listing_quality', 'excellent_min_price_ratio') }}
                and outcomes.comment_count >= {{ rule_parameter('listing_quality', 'excellent_min_comments') }}
                then 'excellent'
            when
                outcomes.listing_status = 'sold'
                and (
                    outcomes.price_vs_estimate is null
                    or outcomes.price_vs_estimate >= {{ rule_parameter('listing_quality', 'good_min_price_ratio') }}
                )
                then 'good'
            when outcomes.listing_status = 'sold' then 'fair'
            when
                outcomes.listing_status = 'reserve_not_met'
                and outcomes.high_bid
                >= outcomes.price_estimate * {{ rule_parameter('listing_quality', 'fair_min_high_bid_ratio') }}
                then 'fair'
            else 'poor'
        end as listing_quality
    from outcomes
    left join price_tiers
        on
            coalesce(outcomes.sale_price, outcomes.high_bid) >= price_tiers.min_price_usd
            and coalesce(outcomes.sale_price, outcomes.high_bid) < price_tiers.max_price_usd
),

final as (
    select
        listing_id,
        sale_price,
        high_bid,
        price_estimate,
        price_vs_estimate,
        documentation_level,
        price_tier,
        listing_quality,
        {{ rule_version('documentation_level') }} as documentation_level_rule_version,
        {{ rule_version('price_tier', seed='price_tiers', name_column=none) }} as price_tier_rule_version,
        {{ rule_version('listing_quality') }} as listing_quality_rule_version
    from labeled
)

select * from final
