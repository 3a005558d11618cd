{#
    The pre-hook of the incremental listing_image_packages: delete the rows of every listing whose rows were built
    from another package_fingerprint than int_listings_packaged holds now (its sections or its gallery changed), or
    that int_listings_packaged no longer holds (e.g. the listing now has a blocking issue). The model then appends
    every listing without rows. Nothing on a full refresh.
#}
{% macro delete_stale_listing_packages() %}
    {%- if is_incremental() %}
        delete from {{ this }} as packaged
        where packaged.listing_id in (
            select built.listing_id
            from (select distinct listing_id, package_fingerprint from {{ this }}) as built
            where not exists (
                select 1 from {{ ref('int_listings_packaged') }} as sections
                where
                    sections.listing_id = built.listing_id
                    and sections.package_fingerprint = built.package_fingerprint
            )
        )
    {%- endif %}
{% endmacro %}
