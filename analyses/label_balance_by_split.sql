-- How the labels are spread over the splits, per listing (not per image).
with listings as (
    select distinct on (packages.listing_id)
        packages.listing_id,
        packages.split,
        packages.package #>> '{training_labels,listing_quality}' as listing_quality,
        packages.package #>> '{training_labels,documentation_level}' as documentation_level,
        packages.package #>> '{training_labels,price_tier}' as price_tier
    from {{ ref('listing_image_packages') }} as packages
    order by packages.listing_id, packages.image_id
)

select
    listings.split,
    listings.listing_quality,
    count(*) as listing_count,
    round(100.0 * count(*) / sum(count(*)) over (partition by listings.split), 1) as share_of_split_percent
from listings
group by listings.split, listings.listing_quality
order by listings.split, listings.listing_quality
