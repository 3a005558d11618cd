{#
    Restricted: resolves the pseudonymous image keys of the person-centred packages to the photos'
    URLs, for a training pipeline that may fetch the photos and nobody else (a URL leads to the photo's
    uploader in the raw tables, which is why the packages never carry it). One row per photo a
    technician or owner package shows, with the key domain it was keyed in. Not a package mart: the
    exporter never writes it; grant it like the pseudonym key itself.
#}
{{ assert_pseudonym_key_is_safe() }}

with

images as (
    select * from {{ ref('stg_marketplace__vehicle_images') }}
),

owner_photos as (
    select distinct photo.image_id
    from {{ ref('int_owners_photos_sampled') }} as owners
    cross join lateral unnest(owners.garage_photo_image_ids || owners.vehicle_photo_image_ids) as photo (image_id)
),

technician_photos as (
    select distinct photo.image_id
    from {{ ref('int_work_orders_documented') }} as orders
    cross join lateral unnest(orders.photo_image_ids) as photo (image_id)
),

final as (
    select
        {{ pseudonymize('images.image_id', 'owner_package_image') }} as image_key,
        'owner_package_image'::text as key_domain,
        images.image_url
    from owner_photos
    inner join images
        on owner_photos.image_id = images.image_id
    union all
    select
        {{ pseudonymize('images.image_id', 'technician_package_image') }} as image_key,
        'technician_package_image'::text as key_domain,
        images.image_url
    from technician_photos
    inner join images
        on technician_photos.image_id = images.image_id
)

select * from final
