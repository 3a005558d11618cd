{#
    The three rule-based training labels per finished car listing, each from thresholds in a seed
    with a rule version:
    - documentation_level: what the seller could show at the start (service records dated before
      it, documents photos uploaded by then, a description naming documents);
    - price_tier: the sale price, or the high bid when unsold, against seeds/price_tiers.csv;
    - listing_quality: the outcome against the pre-sale estimate, and the engagement.
    Unknown inputs give the label `unknown`, never a guess: the rules are written in SQL's
    three-valued logic, so a condition that depends on a null input is itself null, and a null
    condition that could have decided the label makes it `unknown` (a listing whose description was
    not delivered may or may not name its documents).
#}

with

listings as (
    select * from {{ ref('int_listings_enriched') }}
    where lot_category = 'car'
),

engagement as (
    select * from {{ ref('int_listings_engagement_aggregated') }}
),

estimates as (
    select * from {{ ref('int_listings_price_adjusted') }}
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
        listings.document_photo_count_at_least,
        listings.mentions_service_records,
        listings.mentions_documentation,
        engagement.comment_count,
        engagement.bids_are_known,
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

decided as (
    {#- Each rule's conditions, true, false or null (unknown). #}
    select
        outcomes.*,
        outcomes.service_records_before_start
        >= {{ rule_parameter('documentation_level', 'comprehensive_min_service_records') }}
        and (
            {{ document_photos_reach('outcomes', rule_parameter('documentation_level', 'comprehensive_min_document_photos')) }}
            or outcomes.mentions_documentation
        ) as is_comprehensively_documented,
        (
            outcomes.service_records_before_start >= {{ rule_parameter('documentation_level', 'basic_min_evidence') }}
            or {{ document_photos_reach('outcomes', rule_parameter('documentation_level', 'basic_min_evidence')) }}
            or outcomes.mentions_service_records
            or outcomes.mentions_documentation
        ) as has_basic_documentation,
        outcomes.price_vs_estimate >= {{ rule_parameter('listing_quality', 'excellent_min_price_ratio') }}
        and outcomes.comment_count >= {{ rule_parameter('listing_quality', 'excellent_min_comments') }}
            as is_excellent_sale,
        outcomes.price_vs_estimate >= {{ rule_parameter('listing_quality', 'good_min_price_ratio') }} as is_good_sale,
        case
            {#- An unsold listing without any bid reached nothing; a high bid not delivered is unknown. #}
            when outcomes.high_bid is null and outcomes.bids_are_known then false
            else outcomes.high_bid >= outcomes.price_estimate * {{ rule_parameter('listing_quality', 'fair_min_high_bid_ratio') }}
        end as came_close_to_estimate
    from outcomes
),

labeled as (
    select
        decided.*,
        price_tiers.price_tier,
        case
            when decided.is_comprehensively_documented then 'comprehensive'
            when decided.is_comprehensively_documented is null then 'unknown'
            when decided.has_basic_documentation then 'basic'
            when decided.has_basic_documentation is null then 'unknown'
            else 'none'
        end as documentation_level,
        case
            when decided.listing_status = 'sold'
                then
                    case
                        when decided.is_excellent_sale then 'excellent'
                        when decided.is_excellent_sale is null then 'unknown'
                        when decided.is_good_sale then 'good'
                        when decided.is_good_sale is null then 'unknown'
                        else 'fair'
                    end
            when decided.listing_status = 'reserve_not_met'
                then
                    case
                        when decided.came_close_to_estimate then 'fair'
                        when decided.came_close_to_estimate is null then 'unknown'
                        else 'poor'
                    end
            else 'poor'
        end as listing_quality
    from decided
    left join price_tiers
        on
            coalesce(decided.sale_price, decided.high_bid) >= price_tiers.min_price_usd
            and coalesce(decided.sale_price, decided.high_bid) < price_tiers.max_price_usd
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
