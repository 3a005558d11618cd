-- Exactly one package per clean gallery image of a finished car listing uploaded by its end (or at an
-- unknown time): no image
-- lost, none duplicated by relists, duplicate comments or re-delivered rows or vehicle states.
with

expected as (
    select images.image_id
    from {{ ref('stg_marketplace__vehicle_images') }} as images
    inner join {{ ref('int_listings_enriched') }} as listings
        on images.listing_id = listings.listing_id
    where
        not images.has_blocking_issue
        and listings.listing_status in ('sold', 'reserve_not_met', 'withdrawn')
        and listings.ended_at is not null
        and listings.lot_category = 'car'
        -- a photo without an upload time was in the gallery by the end (it was delivered as part of it)
        and (images.uploaded_at is null or images.uploaded_at <= listings.ended_at)
),

packaged as (
    select
        image_id,
        count(*) as packages
    from {{ ref('listing_image_packages') }}
    group by image_id
)

select
    coalesce(expected.image_id, packaged.image_id) as image_id,
    coalesce(packaged.packages, 0) as packages
from expected
full outer join packaged
    on expected.image_id = packaged.image_id
where expected.image_id is null or packaged.image_id is null or packaged.packages <> 1
