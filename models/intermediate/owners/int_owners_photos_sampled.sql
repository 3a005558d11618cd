{#
    Bounded, deterministic photo samples per owner, one row per owner with a clean holding:
    - garage photos: clean `garage` photos the owner uploaded of a vehicle they held, the latest upload
      of each vehicle first, then the next of each, ... up to `owner_garage_photo_limit`;
    - vehicle photos: clean listing gallery photos (exterior, interior, engine, undercarriage, detail;
      documents are left out, paperwork shows names and addresses) of the vehicles they held, the first
      `owner_vehicle_photos_per_vehicle` of each vehicle's latest gallery, round-robin over the vehicles
      most recently acquired first, up to `owner_vehicle_photo_limit`.
    Ties are broken by image id, so a rebuild always picks the same photos.
#}

with

holdings as (
    select * from {{ ref('int_ownerships_measured') }}
),

images as (
    select * from {{ ref('stg_marketplace__vehicle_images') }}
    where not has_blocking_issue
),

owner_vehicles as (
    select
        owner_id,
        vehicle_id,
        row_number() over (partition by owner_id order by max(acquired_date) desc, vehicle_id desc) as vehicle_recency
    from holdings
    group by owner_id, vehicle_id
),

garage_photos_ranked as (
    select
        owner_vehicles.owner_id,
        owner_vehicles.vehicle_recency,
        images.image_id,
        images.image_url,
        images.image_category,
        images.vehicle_id,
        row_number() over (
            partition by owner_vehicles.owner_id, images.vehicle_id
            order by images.uploaded_at desc, images.image_id asc
        ) as rank_in_vehicle,
        count(*) over (partition by owner_vehicles.owner_id) as garage_photo_total
    from owner_vehicles
    inner join images
        on
            owner_vehicles.vehicle_id = images.vehicle_id
            and owner_vehicles.owner_id = images.uploader_id
    where images.image_category = 'garage'
),

garage_photos_sampled as (
    select
        owner_id,
        max(garage_photo_total) as garage_photo_total,
        jsonb_agg(
            jsonb_build_object(
                'image_id', image_id,
                'image_url', image_url,
                'category', image_category,
                'vehicle_id', vehicle_id
            )
            order by sample_rank
        ) filter (where sample_rank <= {{ var('owner_garage_photo_limit') }}) as garage_photos
    from (
        select
            garage_photos_ranked.*,
            row_number() over (
                partition by garage_photos_ranked.owner_id
                order by garage_photos_ranked.rank_in_vehicle asc, garage_photos_ranked.vehicle_recency asc, garage_photos_ranked.image_id asc
            ) as sample_rank
        from garage_photos_ranked
    ) as ranked
    group by owner_id
),

vehicle_photos_ranked as (
    select
        owner_vehicles.owner_id,
        owner_vehicles.vehicle_recency,
        images.image_id,
        images.image_url,
        images.image_category,
        images.vehicle_id,
        row_number() over (
            partition by owner_vehicles.owner_id, images.vehicle_id
            order by images.listing_id desc, images.gallery_position asc nulls last, images.image_id asc
        ) as rank_in_vehicle,
        count(*) over (partition by owner_vehicles.owner_id) as vehicle_photo_total
    from owner_vehicles
    inner join images
        on owner_vehicles.vehicle_id = images.vehicle_id
    where
        images.listing_id is not null
        and images.image_category in ('exterior', 'interior', 'engine', 'undercarriage', 'detail')
),

vehicle_photos_sampled as (
    select
        owner_id,
        max(vehicle_photo_total) as vehicle_photo_total,
        jsonb_agg(
            jsonb_build_object(
                'image_id', image_id,
                'image_url', image_url,
                'category', image_category,
                'vehicle_id', vehicle_id
            )
            order by sample_rank
        ) filter (where sample_rank <= {{ var('owner_vehicle_photo_limit') }}) as vehicle_photos
    from (
        select
            vehicle_photos_ranked.*,
            row_number() over (
                partition by vehicle_photos_ranked.owner_id
                order by vehicle_photos_ranked.rank_in_vehicle asc, vehicle_photos_ranked.vehicle_recency asc, vehicle_photos_ranked.image_id asc
            ) as sample_rank
        from vehicle_photos_ranked
        where vehicle_photos_ranked.rank_in_vehicle <= {{ var('owner_vehicle_photos_per_vehicle') }}
    ) as ranked
    group by owner_id
),

owners as (
    select distinct owner_id
    from holdings
),

final as (
    select
        owners.owner_id,
        coalesce(garage_photos_sampled.garage_photo_total, 0) as garage_photo_total,
        coalesce(garage_photos_sampled.garage_photos, '[]'::jsonb) as garage_photos,
        coalesce(vehicle_photos_sampled.vehicle_photo_total, 0) as vehicle_photo_total,
        coalesce(vehicle_photos_sampled.vehicle_photos, '[]'::jsonb) as vehicle_photos
    from owners
    left join garage_photos_sampled
        on owners.owner_id = garage_photos_sampled.owner_id
    left join vehicle_photos_sampled
        on owners.owner_id = vehicle_photos_sampled.owner_id
)

select * from final
