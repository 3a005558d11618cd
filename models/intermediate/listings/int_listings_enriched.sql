{#
    One row per clean listing of a clean car, with the vehicle's context and what the seller showed
    at listing time: gallery size, documents photos, service records dated before the start, and
    what the description says. Live listings are kept here (they have no outcome yet); packages
    take only finished ones.
#}

with

listings as (
    select * from {{ ref('stg_marketplace__bat_listings') }}
    where not has_blocking_issue
),

vehicles as (
    select * from {{ ref('stg_marketplace__vehicles') }}
    where not has_blocking_issue
),

images as (
    select * from {{ ref('stg_marketplace__vehicle_images') }}
    where not has_blocking_issue
),

service_records as (
    select * from {{ ref('stg_marketplace__service_records') }}
    where not has_blocking_issue
),

description_signals as (
    select * from {{ ref('description_signals') }}
),

car_listings as (
    select
        listings.listing_id,
        listings.vehicle_id,
        listings.seller_id,
        listings.seller_type,
        listings.started_at,
        listings.ended_at,
        listings.listing_status,
        listings.sale_price,
        listings.high_bid,
        listings.is_no_reserve,
        listings.platform_view_count,
        listings.platform_watcher_count,
        listings.platform_comment_count,
        listings.platform_bid_count,
        listings.loaded_at,
        length(listings.description) as description_length,
        listings.description ~* (
            select description_signals.pattern from description_signals
            where description_signals.signal = 'service_records'
        ) as mentions_service_records,
        listings.description ~* (
            select description_signals.pattern from description_signals
            where description_signals.signal = 'documentation'
        ) as mentions_documentation,
        listings.description ~* (
            select description_signals.pattern from description_signals
            where description_signals.signal = 'ownership_history'
        ) as mentions_ownership_history,
        vehicles.model_year,
        (vehicles.model_year / 10) * 10 as model_decade,
        vehicles.make,
        vehicles.model,
        vehicles.color,
        vehicles.mileage,
        vehicles.transmission_family,
        vehicles.condition_rating
    from listings
    inner join vehicles
        on listings.vehicle_id = vehicles.vehicle_id
    where vehicles.lot_category = 'car'
),

gallery_counts as (
    select
        images.listing_id,
        count(*) as image_count,
        count(*) filter (where images.image_category = 'documents') as document_photo_count
    from images
    where images.listing_id is not null
    group by images.listing_id
),

service_history as (
    {#- Only work done before the listing started was known to the seller when it went up. #}
    select
        car_listings.listing_id,
        count(*) as service_records_before_start
    from car_listings
    inner join service_records
        on
            car_listings.vehicle_id = service_records.vehicle_id
            and service_records.performed_date < car_listings.started_at::date
    group by car_listings.listing_id
),

final as (
    select
        car_listings.*,
        coalesce(gallery_counts.image_count, 0)::integer as image_count,
        coalesce(gallery_counts.document_photo_count, 0)::integer as document_photo_count,
        coalesce(service_history.service_records_before_start, 0)::integer as service_records_before_start,
        min(car_listings.started_at) over (partition by car_listings.vehicle_id) as vehicle_first_listed_at,
        count(*) over (partition by car_listings.vehicle_id) as vehicle_listing_count
    from car_listings
    left join gallery_counts
        on car_listings.listing_id = gallery_counts.listing_id
    left join service_history
        on car_listings.listing_id = service_history.listing_id
)

select * from final
