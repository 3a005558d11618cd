-- The marketplace's original extraction query joined vehicle_images to vehicles and bat_listings on
-- vehicle_id and took LIMIT 1000. Joining on the vehicle fans every photo out across all of the
-- vehicle's listings (relists), mixes live listings in, and reads dirty rows as they are.
-- The same fields from the package mart: one row per clean gallery image of a finished listing,
-- joined on the photo's own listing, in a deterministic order.
select
    packages.image_id,
    packages.package ->> 'image_url' as image_url,
    packages.package #>> '{image_context,category}' as image_category,
    (packages.package #>> '{vehicle_context,year}')::integer as model_year,
    packages.package #>> '{vehicle_context,make}' as make,
    packages.package #>> '{vehicle_context,model}' as model,
    packages.package #>> '{vehicle_context,color}' as color,
    (packages.package #>> '{vehicle_context,mileage}')::integer as mileage,
    packages.package #>> '{vehicle_context,transmission}' as transmission,
    (packages.package #>> '{outcome,sale_price}')::numeric as sale_price,
    (packages.package #>> '{outcome,sold}')::boolean as is_sold,
    packages.listing_ended_at
from {{ ref('listing_image_packages') }} as packages
order by packages.listing_ended_at desc, packages.image_id asc
limit 1000
