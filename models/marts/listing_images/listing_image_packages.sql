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

    Per image row this is the hot path of the whole project (2.5M rows at full scale x 60 keys), so
    the package is assembled the cheapest way PostgreSQL 15 offers, measured with callgrind
    (BENCHMARKS.md): the sections come prebuilt from int_listings_packaged, and the top level is
    to_jsonb() over one row whose column names are the keys. jsonb_build_object() looks up the type
    of every key and value argument on every row (1.35x the instructions per row of this form), and
    `prebuilt listing jsonb || image keys` decodes and re-sorts the whole package again (1.2x). The
    columns are listed in jsonb's own key order (shorter keys first, then bytewise), which lets
    PostgreSQL skip sorting the keys of every package; another order gives the same package, only
    slower.
    The pre-hook lets PostgreSQL project the jsonb in parallel workers, which it never plans by
    default (shared/design/performance.md).
#}

with

images as (
    select * from {{ ref('stg_marketplace__vehicle_images') }}
    where not has_blocking_issue and listing_id is not null
),

listing_sections as (
    select * from {{ ref('int_listings_packaged') }}
),

final as (
    select
        images.image_id,
        listing_sections.listing_id,
        listing_sections.vehicle_id,
        listing_sections.listing_ended_at,
        listing_sections.split,
        to_jsonb(package_keys) as package
    from images
    inner join listing_sections
        on images.listing_id = listing_sections.listing_id
    -- one row per image, flattened by the planner into a row constructor; it names the keys
    cross join lateral (  -- noqa: ST05
        select
            listing_sections.as_of,
            listing_sections.split,
            listing_sections.outcome,
            images.image_id,
            images.image_url,
            listing_sections.listing_id,
            listing_sections.vehicle_id,
            listing_sections.early_signals,
            image_context,
            listing_sections.rule_versions,
            listing_sections.listing_context,
            listing_sections.package_version,
            listing_sections.training_labels,
            listing_sections.vehicle_context,
            listing_sections.behavioral_signals
        from (  -- noqa: ST05
            select
                images.width_px as width,
                images.height_px as height,
                images.image_category as category,
                images.gallery_position as position
        ) as image_context
    ) as package_keys
)

select * from final
