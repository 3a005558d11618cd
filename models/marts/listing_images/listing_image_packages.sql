{{
    config(
        pre_hook=[
            "set local parallel_setup_cost = 0",
            "set local parallel_tuple_cost = 0",
        ],
    )
}}
{#
    One package per clean gallery image of a finished listing (sold, reserve not met, withdrawn)
    of a car. Live listings have no outcome yet and are left out, as are motorcycles and
    non-vehicle lots. The join is on the image's own listing_id, so a relisted vehicle's photos
    never fan out across its listings.
    The pre-hook lets PostgreSQL project the jsonb in parallel workers, which it never plans by
    default (shared/design/performance.md).
#}

with

images as (
    select * from {{ ref('stg_marketplace__vehicle_images') }}
    where not has_blocking_issue and listing_id is not null
),

listing_packages as (
    select * from {{ ref('int_listings_packaged') }}
),

final as (
    select
        images.image_id,
        listing_packages.listing_id,
        listing_packages.vehicle_id,
        listing_packages.listing_ended_at,
        listing_packages.split,
        listing_packages.listing_package || jsonb_build_object(
            'image_id', images.image_id,
            'image_url', images.image_url,
            'image_context', jsonb_build_object(
                'category', images.image_category,
                'position', images.gallery_position,
                'width', images.width_px,
                'height', images.height_px
            )
        ) as package
    from images
    inner join listing_packages
        on images.listing_id = listing_packages.listing_id
)

select * from final
