{#
    round_robin_photo_sample(ranked_photos, sample_limit)

    Aggregates ranked photos to one bounded jsonb array per owner, taking photos round-robin over the
    owner's vehicles: every vehicle's first photo (most recently acquired vehicle first), then every
    vehicle's second, and so on, up to sample_limit photos. So an owner with many vehicles is shown by
    many vehicles, not by the gallery of one.

    ranked_photos (a relation or CTE name) has one row per candidate photo with owner_id,
    vehicle_recency (1 = the owner's latest vehicle), rank_in_vehicle (1 = the vehicle's first photo),
    image_id, image_category and vehicle_id. Ties fall to the image id, so a rebuild picks the same
    photos. Returns owner_id, photos (each {image_key, category, vehicle_key} with keys of the owner
    package's own domains, macro pseudonymize_per_person: the same vehicle or photo in two owners'
    packages has two keys, so the keys never link two owners) and photo_image_ids (the same photos' ids,
    in order, for the restricted model pseudonymous_photo_urls only).
#}
{% macro round_robin_photo_sample(ranked_photos, sample_limit) %}
    select
        sampled.owner_id,
        jsonb_agg(
            jsonb_build_object(
                'image_key', {{ pseudonymize_per_person('sampled.owner_id', 'sampled.image_id', 'owner_package_image') }},
                'category', sampled.image_category,
                'vehicle_key', {{ pseudonymize_per_person('sampled.owner_id', 'sampled.vehicle_id', 'owner_package_vehicle') }}
            )
            order by sampled.sample_rank
        ) as photos,
        array_agg(sampled.image_id order by sampled.sample_rank) as photo_image_ids
    from (
        select
            candidates.owner_id,
            candidates.image_id,
            candidates.image_category,
            candidates.vehicle_id,
            row_number() over (
                partition by candidates.owner_id
                order by candidates.rank_in_vehicle asc, candidates.vehicle_recency asc, candidates.image_id asc
            ) as sample_rank
        from {{ ranked_photos }} as candidates
    ) as sampled
    where sampled.sample_rank <= {{ sample_limit }}
    group by sampled.owner_id
{% endmacro %}
