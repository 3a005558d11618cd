{#
    Bounded, deterministic photo samples per owner, one row per owner with a clean holding:
    - garage photos: clean `garage` photos the owner uploaded of a vehicle they held, the latest upload
      of each vehicle first, then the next of each, ... up to `owner_garage_photo_limit`;
    - vehicle photos: clean listing gallery photos (exterior, interior, engine, undercarriage, detail;
      documents are left out, paperwork shows names and addresses) of the vehicles they held, the first
      `owner_vehicle_photos_per_vehicle` of each vehicle's latest gallery, round-robin over the vehicles
      most recently acquired first, up to `owner_vehicle_photo_limit`.
    Ties are broken by image id, so a rebuild always picks the same photos. Only photos uploaded by
    the package cutoff count (one without an upload time: delivered by it; it ranks after the dated
    ones). A photo is named by a pseudonymous image key of this package's key
    domain, never by its id or URL (the URL would lead straight to the uploader); the restricted model
    pseudonymous_photo_urls resolves keys to URLs for a pipeline that may fetch the photos.
#}
{{ assert_pseudonym_key_is_safe() }}

with

holdings as (
    select * from {{ ref('int_ownerships_measured') }}
),

garage_images as (
    select images.* from {{ ref('stg_marketplace__vehicle_images') }} as images
    where
        not images.has_blocking_issue
        and images.image_category = 'garage'
        and {{ photo_uploaded_by('images', package_cutoff()) }}
),

gallery_images as (
    select images.* from {{ ref('stg_marketplace__vehicle_images') }} as images
    where
        not images.has_blocking_issue
        and images.listing_id is not null
        and images.image_category in ('exterior', 'interior', 'engine', 'undercarriage', 'detail')
        and {{ photo_uploaded_by('images', package_cutoff()) }}
),

owner_vehicles as (
    select
        owner_id,
        vehicle_id,
        row_number() over (
            partition by owner_id order by max(acquired_date) desc nulls last, vehicle_id desc
        ) as vehicle_recency
    from holdings
    group by owner_id, vehicle_id
),

garage_photos_ranked as (
    select
        owner_vehicles.owner_id,
        owner_vehicles.vehicle_recency,
        garage_images.image_id,
        garage_images.image_category,
        garage_images.vehicle_id,
        row_number() over (
            partition by owner_vehicles.owner_id, garage_images.vehicle_id
            order by garage_images.uploaded_at desc nulls last, garage_images.image_id asc
        ) as rank_in_vehicle
    from owner_vehicles
    inner join garage_images
        on
            owner_vehicles.vehicle_id = garage_images.vehicle_id
            and owner_vehicles.owner_id = garage_images.uploader_id
),

garage_photo_totals as (
    select
        owner_id,
        count(*) as garage_photo_total
    from garage_photos_ranked
    group by owner_id
),

garage_photos_sampled as (
    {{ round_robin_photo_sample('garage_photos_ranked', var('owner_garage_photo_limit')) }}
),

vehicle_gallery_photos as (
    -- ranked once per vehicle, not once per owner of the vehicle: a vehicle's latest gallery is the
    -- same whoever held it, and ranking it per holding multiplied the sort by the number of owners
    select
        vehicle_id,
        image_id,
        image_category,
        row_number() over (
            partition by vehicle_id
            order by listing_id desc, gallery_position asc nulls last, image_id asc
        ) as rank_in_vehicle,
        count(*) over (partition by vehicle_id) as vehicle_photo_count
    from gallery_images
),

vehicle_photos_ranked as (
    select
        owner_vehicles.owner_id,
        owner_vehicles.vehicle_recency,
        vehicle_gallery_photos.image_id,
        vehicle_gallery_photos.image_category,
        vehicle_gallery_photos.vehicle_id,
        vehicle_gallery_photos.rank_in_vehicle,
        vehicle_gallery_photos.vehicle_photo_count
    from owner_vehicles
    inner join vehicle_gallery_photos
        on owner_vehicles.vehicle_id = vehicle_gallery_photos.vehicle_id
    where vehicle_gallery_photos.rank_in_vehicle <= {{ var('owner_vehicle_photos_per_vehicle') }}
),

vehicle_photo_totals as (
    -- every rank-1 row stands for one held vehicle with its whole gallery count
    select
        owner_id,
        sum(vehicle_photo_count) filter (where rank_in_vehicle = 1)::bigint as vehicle_photo_total
    from vehicle_photos_ranked
    group by owner_id
),

vehicle_photos_sampled as (
    {{ round_robin_photo_sample('vehicle_photos_ranked', var('owner_vehicle_photo_limit')) }}
),

owners as (
    select distinct owner_id
    from holdings
),

final as (
    select
        owners.owner_id,
        coalesce(garage_photo_totals.garage_photo_total, 0) as garage_photo_total,
        coalesce(garage_photos_sampled.photos, '[]'::jsonb) as garage_photos,
        coalesce(garage_photos_sampled.photo_image_ids, array[]::uuid[]) as garage_photo_image_ids,
        coalesce(vehicle_photo_totals.vehicle_photo_total, 0) as vehicle_photo_total,
        coalesce(vehicle_photos_sampled.photos, '[]'::jsonb) as vehicle_photos,
        coalesce(vehicle_photos_sampled.photo_image_ids, array[]::uuid[]) as vehicle_photo_image_ids
    from owners
    left join garage_photo_totals
        on owners.owner_id = garage_photo_totals.owner_id
    left join garage_photos_sampled
        on owners.owner_id = garage_photos_sampled.owner_id
    left join vehicle_photo_totals
        on owners.owner_id = vehicle_photo_totals.owner_id
    left join vehicle_photos_sampled
        on owners.owner_id = vehicle_photos_sampled.owner_id
)

select * from final
