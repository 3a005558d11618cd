-- Grouped split: all packages of a vehicle (relists included) share one split.
-- min <> max instead of count(distinct split) > 1 (the same for a split that is never null, a constraint of the
-- mart): min and max aggregate in PostgreSQL's parallel workers, count(distinct) does not.
select
    vehicle_id,
    min(split) as first_split,
    max(split) as last_split
from {{ ref('listing_image_packages') }}
group by vehicle_id
having min(split) <> max(split)
