-- A listing image package, a technician work package and an owner profile package never disagree about a
-- shared fact: every vehicle named in any of them has one year, make and model across all three.
with

listing_vehicles as (
    select distinct
        'listing_image_packages' as mart,
        vehicle_id,
        concat_ws(
            ' | ',
            coalesce(package #>> '{vehicle_context,year}', '?'),
            coalesce(package #>> '{vehicle_context,make}', '?'),
            coalesce(package #>> '{vehicle_context,model}', '?')
        ) as vehicle_facts
    from {{ ref('listing_image_packages') }}
),

technician_vehicles as (
    select distinct
        'technician_work_packages' as mart,
        (work_orders.work_order -> 'vehicle' ->> 'vehicle_id')::bigint as vehicle_id,
        concat_ws(
            ' | ',
            coalesce(work_orders.work_order -> 'vehicle' ->> 'year', '?'),
            coalesce(work_orders.work_order -> 'vehicle' ->> 'make', '?'),
            coalesce(work_orders.work_order -> 'vehicle' ->> 'model', '?')
        ) as vehicle_facts
    from {{ ref('technician_work_packages') }} as packages
    cross join lateral jsonb_array_elements(packages.package #> '{work_history,orders}') as work_orders (work_order)
),

owner_vehicles as (
    select distinct
        'owner_profile_packages' as mart,
        (vehicles.vehicle ->> 'vehicle_id')::bigint as vehicle_id,
        concat_ws(
            ' | ',
            coalesce(vehicles.vehicle ->> 'year', '?'),
            coalesce(vehicles.vehicle ->> 'make', '?'),
            coalesce(vehicles.vehicle ->> 'model', '?')
        ) as vehicle_facts
    from {{ ref('owner_profile_packages') }} as packages
    cross join lateral jsonb_array_elements(packages.package #> '{garage,vehicles}') as vehicles (vehicle)
),

all_vehicle_facts as (
    select * from listing_vehicles
    union all
    select * from technician_vehicles
    union all
    select * from owner_vehicles
)

select
    vehicle_id,
    count(distinct vehicle_facts) as distinct_facts,
    array_agg(distinct mart || ': ' || vehicle_facts) as facts_per_mart
from all_vehicle_facts
group by vehicle_id
having count(distinct vehicle_facts) > 1
