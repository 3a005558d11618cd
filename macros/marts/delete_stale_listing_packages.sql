{#
    The pre-hook of the incremental listing_image_packages: delete the rows of every listing whose rows were built
    from another package_fingerprint than int_listings_packaged holds now (its sections or its gallery changed), or
    that int_listings_packaged no longer holds (e.g. the listing now has a blocking issue). The model then appends
    every listing without rows. Nothing on a full refresh.
    The mart's listings are read by walking its listing_id index from one listing to the next (a recursive CTE, as
    PostgreSQL 15 has no skip scan): one index probe per listing instead of a scan of every package.
#}
{% macro delete_stale_listing_packages() %}
    {%- if is_incremental() %}
        with recursive built_listings (listing_id) as (
            (
                select packaged.listing_id from {{ this }} as packaged
                order by packaged.listing_id limit 1
            )
            union all
            select (
                select packaged.listing_id from {{ this }} as packaged
                where packaged.listing_id > built_listings.listing_id
                order by packaged.listing_id limit 1
            )
            from built_listings
            where built_listings.listing_id is not null
        ),

        stale_listings as (
            select built_listings.listing_id
            from built_listings
            where
                built_listings.listing_id is not null
                and not exists (
                    select 1 from {{ ref('int_listings_packaged') }} as sections
                    where
                        sections.listing_id = built_listings.listing_id
                        and sections.package_fingerprint = (
                            {#- the same on every row of a listing #}
                            select packaged.package_fingerprint from {{ this }} as packaged
                            where packaged.listing_id = built_listings.listing_id
                            limit 1
                        )
                )
        )

        delete from {{ this }} as packaged
        where packaged.listing_id in (select stale_listings.listing_id from stale_listings)
    {%- endif %}
{% endmacro %}
