{#
    Restricted: resolves the pseudonymous image keys of the person-centred packages to the photos'
    URLs, for a training pipeline that may fetch the photos and nobody else (a URL leads to the photo's
    uploader in the raw tables, which is why the packages never carry it). One row per image key a
    technician or owner package shows, with the key domain it was keyed in. Not a package mart: the
    exporter never writes it; grant it like the pseudonym key itself.
#}
{{ assert_pseudonym_key_is_safe() }}

with

images as (
    select * from {{ ref('stg_marketplace__vehicle_images') }}
),

shown_photos as (
    {#- Both domains' photos first, then one pass over the 2.5M images (joining each domain on
        its own scanned them twice). An owner package keys its photos per owner (macro
        round_robin_photo_sample), so a photo shown to two owners has a row, and a key, for each. #}
    select distinct
        photo.image_id,
        owners.owner_id as person_id,
        'owner_package_image'::text as key_domain
    from {{ ref('int_owners_photos_sampled') }} as owners
    cross join lateral unnest(owners.garage_photo_image_ids || owners.vehicle_photo_image_ids) as photo (image_id)
    union all
    select distinct
        photo.image_id,
        null::bigint as person_id,
        'technician_package_image'::text as key_domain
    from {{ ref('int_work_orders_documented') }} as orders
    cross join lateral unnest(orders.photo_image_ids) as photo (image_id)
    {#- A technician package shows its bounded work history only: the photos of older orders get no URL. #}
    where orders.is_in_work_history
),

final as (
    select
        case shown_photos.key_domain
            when 'owner_package_image'
                then {{ pseudonymize_per_person('shown_photos.person_id', 'images.image_id', 'owner_package_image') }}
            {#- a technician's work photo belongs to one order of one technician: keyed by its id alone #}
            else {{ pseudonymize('images.image_id', 'technician_package_image') }}
        end as image_key,
        shown_photos.key_domain,
        images.image_url
    from shown_photos
    inner join images
        on shown_photos.image_id = images.image_id
)

select * from final
