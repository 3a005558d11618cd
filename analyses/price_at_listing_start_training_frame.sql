-- A flat training frame for a price model that predicts at listing start: only fields tagged
-- listing_start are inputs (see the package_fields meta of listing_image_packages), the sale price is
-- the target, and one row per listing (the package repeats per image).
select distinct on (packages.listing_id)
    packages.listing_id,
    packages.split,
    (packages.package #>> '{vehicle_context,year}')::integer as model_year,
    packages.package #>> '{vehicle_context,make}' as make,
    packages.package #>> '{vehicle_context,model}' as model,
    (packages.package #>> '{vehicle_context,mileage}')::integer as mileage,
    packages.package #>> '{vehicle_context,transmission}' as transmission,
    (packages.package #>> '{listing_context,image_count}')::integer as image_count,
    (packages.package #>> '{listing_context,description_length}')::integer as description_length,
    (packages.package #>> '{listing_context,has_service_records}')::boolean as has_service_records,
    (packages.package #>> '{listing_context,has_documentation}')::boolean as has_documentation,
    packages.package #>> '{listing_context,seller_type}' as seller_type,
    (packages.package #>> '{outcome,sale_price}')::numeric as target_sale_price
from {{ ref('listing_image_packages') }} as packages
where (packages.package #>> '{outcome,sold}')::boolean
order by packages.listing_id, packages.image_id
