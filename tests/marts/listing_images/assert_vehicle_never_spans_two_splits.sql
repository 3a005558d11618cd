-- Grouped split: all packages of a vehicle (relists included) share one split.
select
    vehicle_id,
    count(distinct split) as splits
from {{ ref('listing_image_packages') }}
group by vehicle_id
having count(distinct split) > 1
