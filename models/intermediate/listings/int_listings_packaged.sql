{#
    Everything of a listing image package that is the same for every image of the listing, each
    section built once per listing as jsonb. The mart then assembles the package per image: building
    these sections per image row was most of the naive cost (shared/design/performance.md), so the
    image grain only pays for copying them. Finished listings of cars only.
    Null is unknown and 0 is counted none (the package docs, doc block package_null_semantics).
#}

with

listings as (
    select * from {{ ref('int_listings_enriched') }}
    where
        listing_status in ('sold', 'reserve_not_met', 'withdrawn')
        and ended_at is not null
        and lot_category = 'car'
),

engagement as (
    select * from {{ ref('int_listings_engagement_aggregated') }}
),

estimates as (
    select * from {{ ref('int_listings_price_adjusted') }}
),

labels as (
    select * from {{ ref('int_listings_labeled') }}
),

name_rules as (
    {#- The versions of the seeded rules behind the vehicle's canonical names, the lot category (the title's clauses
        in name_patterns decide which words of the title are the lot), the transmission family, the platform and the
        description's signals (has_service_records, has_documentation). #}
    {%- set seed_version = {} %}
    {%- for seed in ['lot_keywords', 'make_aliases', 'model_aliases', 'canonical_models', 'name_patterns',
                     'transmission_families', 'platforms', 'description_signals'] %}
        {%- do seed_version.update({seed: rule_version(seed, seed=seed, name_column=none)}) %}
    {%- endfor %}
    select
        {{ seed_version['lot_keywords'] }} || '+' || {{ seed_version['make_aliases'] }}
        || '+' || {{ seed_version['name_patterns'] }} as lot_category_rule_version,
        {{ seed_version['make_aliases'] }} || '+' || {{ seed_version['model_aliases'] }}
        || '+' || {{ seed_version['canonical_models'] }} || '+' || {{ seed_version['name_patterns'] }}
            as vehicle_names_rule_version,
        {#- mileage_as_of_start@3: a record holding the reading the listing states in km is converted to miles;
            2: a listing that says TMU has no mileage from any source (1: not from its text). #}
        'mileage_as_of_start@3+' || {{ seed_version['name_patterns'] }} as mileage_rule_version,
        {{ seed_version['transmission_families'] }} as transmission_rule_version,
        {{ seed_version['platforms'] }} as platform_rule_version,
        {{ seed_version['description_signals'] }} as description_signals_rule_version
),

final as (
    select
        listings.listing_id,
        listings.vehicle_id,
        listings.started_at as listing_started_at,
        listings.ended_at as listing_ended_at,
        {{ split_name('listings.vehicle_id') }} as split,
        cast('{{ var("listing_image_package_version") }}' as text) as package_version,
        jsonb_build_object(
            'year', listings.model_year,
            'make', listings.make,
            'model', listings.model,
            'generation', listings.model_generation,
            'trim', listings.trim_level,
            'engine', listings.engine,
            'body_style', listings.body_style,
            'drivetrain', listings.drivetrain,
            'color', listings.color,
            'mileage', listings.mileage,
            'mileage_source', listings.mileage_source,
            'transmission', listings.transmission_family,
            'condition_rating', listings.condition_rating
        ) as vehicle_context,
        jsonb_build_object(
            'image_count', listings.image_count,
            'description_length', listings.description_length,
            'has_service_records', listings.service_records_before_start > 0 or listings.mentions_service_records,
            'has_documentation', {{ document_photos_reach('listings', 1) }} or listings.mentions_documentation,
            'seller_type', listings.seller_type,
            'platform', listings.platform,
            'no_reserve', listings.is_no_reserve,
            'price_estimate', estimates.price_estimate,
            'comparable_count', estimates.comparable_count,
            'comparable_level', estimates.comparable_level
        ) as listing_context,
        jsonb_build_object(
            'comment_count', engagement.comment_count,
            'bid_count', engagement.bid_count,
            'view_count', listings.platform_view_count,
            'avg_comment_sentiment', engagement.avg_comment_sentiment,
            'question_count', engagement.question_count,
            'seller_responses', engagement.seller_response_count,
            'comment_coverage', engagement.comment_coverage,
            'bid_coverage', engagement.bid_coverage,
            'added_photo_count', listings.photos_added_during_listing
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
            'high_bid', labels.high_bid,
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
            'price_estimate', estimates.estimate_rule_version,
            'avg_comment_sentiment', '{{ var("sentiment_rule_version") }}',
            'comment_roles', engagement.comment_roles_rule_version,
            'lot_category', name_rules.lot_category_rule_version,
            'vehicle_names', name_rules.vehicle_names_rule_version,
            'mileage', name_rules.mileage_rule_version,
            'transmission', name_rules.transmission_rule_version,
            'platform', name_rules.platform_rule_version,
            'description_signals', name_rules.description_signals_rule_version,
            'split', 'grouped_md5_bucket@1'
        ) as rule_versions,
        jsonb_build_object(
            'listing_started_at', listings.started_at,
            'listing_ended_at', listings.ended_at,
            'vehicle_state_at', case when listings.has_vehicle_state_at_start then listings.vehicle_state_valid_from end
        ) as as_of
    from listings
    inner join engagement
        on listings.listing_id = engagement.listing_id
    inner join estimates
        on listings.listing_id = estimates.listing_id
    inner join labels
        on listings.listing_id = labels.listing_id
    cross join name_rules
),

fingerprinted as (
    select
        final.*,
        {#- The sections (final.*, which count the photos too) and the gallery's hash sum from int_listings_enriched:
            every clean photo uploaded by the end, as the mart reads it. #}
        md5(row(final.*)::text || ';' || coalesce(listings.gallery_hash_sum, 0)) as package_fingerprint
    from final
    inner join listings
        on final.listing_id = listings.listing_id
)

select * from fingerprinted
