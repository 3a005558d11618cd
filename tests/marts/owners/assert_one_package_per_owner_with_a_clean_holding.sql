-- Exactly one package per owner holding at least one clean vehicle through a clean ownership row (a parts or
-- automobilia lot filed as a vehicle is no vehicle).
with

expected as (
    select distinct {{ pseudonymize('ownerships.owner_id', 'owner') }} as owner_key
    from {{ ref('stg_marketplace__ownerships') }} as ownerships
    inner join {{ ref('stg_marketplace__vehicles') }} as vehicles
        on ownerships.vehicle_id = vehicles.vehicle_id
    where
        not ownerships.has_blocking_issue
        and not vehicles.has_blocking_issue
        and vehicles.lot_category is distinct from 'non_vehicle'
),

packaged as (
    select
        owner_key,
        count(*) as packages
    from {{ ref('owner_profile_packages') }}
    group by owner_key
)

select
    coalesce(expected.owner_key, packaged.owner_key) as owner_key,
    coalesce(packaged.packages, 0) as packages
from expected
full outer join packaged
    on expected.owner_key = packaged.owner_key
where expected.owner_key is null or packaged.owner_key is null or packaged.packages <> 1
