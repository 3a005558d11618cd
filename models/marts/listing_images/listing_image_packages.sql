{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        indexes=[{'columns': ['listing_id']}, {'columns': ['image_id'], 'unique': True}],
        pre_hook=[
            "set local parallel_setup_cost = 0",
            "set local parallel_tuple_cost = 0",
            "{{ prefer_lz4_compression() }}",
            "{{ delete_stale_listing_packages() }}",
        ],
    )
}}
{#
    One package per clean gallery image of a finished listing (sold, reserve not met, withdrawn)
    of a car, uploaded by the end of the listing. Live listings have no outcome yet and are left
    out, as are motorcycles, other vehicles and non-vehicle lots; photos uploaded after the end are
    left out too (counted apart in the quarantine as uploaded_after_listing_end). A photo uploaded
    during the auction says so in image_context.known_from (the mart's row_timing: a task made at
    the start drops its row); one without an upload time is packaged as known_from unknown, which such
    a task drops too. The join is on the image's own listing_id, so a relisted vehicle's
    photos never fan out across its listings.

    Per image row this is the hot path of the whole project, so the package is assembled the cheapest
    way PostgreSQL 15 offers: to_jsonb() over one row whose columns are the keys, in jsonb's own key
    order (shorter first, then bytewise, so no per-row sort), from sections prebuilt once per listing in
    int_listings_packaged. The other forms tried cost more instructions per package (hand-measured
    table in BENCHMARKS.md). The pre-hook lets PostgreSQL project the jsonb in parallel workers, which
    it never plans by default (shared/design/performance.md), and has the packages compressed with lz4 instead of
    pglz (macro prefer_lz4_compression: the build takes about half the time).

    Incremental by listing: every row of a listing carries the listing's package_fingerprint (int_listings_packaged:
    its sections and its gallery). The pre-hook (macro delete_stale_listing_packages) deletes the rows of every
    listing whose fingerprint changed or that no longer has packages; this select then appends the listings that
    have no rows, which is exactly those plus the new ones. A full refresh builds every listing.
#}

with

images as (
    select * from {{ ref('stg_marketplace__vehicle_images') }}
    where not has_blocking_issue and listing_id is not null
),

listing_sections as (
    select * from {{ ref('int_listings_packaged') }}
    {%- if is_incremental() %}
        where not exists (
            select 1 from {{ this }} as packaged
            where packaged.listing_id = int_listings_packaged.listing_id
        )
    {%- endif %}
),

final as (
    select
        images.image_id,
        listing_sections.listing_id,
        listing_sections.vehicle_id,
        listing_sections.listing_ended_at,
        listing_sections.split,
        to_jsonb(package_keys) as package,
        listing_sections.package_fingerprint
    from images
    inner join listing_sections
        on
            images.listing_id = listing_sections.listing_id
            and (images.uploaded_at is null or images.uploaded_at <= listing_sections.listing_ended_at)
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
                images.gallery_position as position,
                case
                    when images.uploaded_at <= listing_sections.listing_started_at then 'listing_start'
                    when images.uploaded_at > listing_sections.listing_started_at then 'during_listing'
                    {#- no upload time: the photo was in the gallery by the end, but since when is unknown #}
                    else 'unknown'
                end as known_from
        ) as image_context
    ) as package_keys
)

select * from final
