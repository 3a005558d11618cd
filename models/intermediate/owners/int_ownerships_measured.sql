{#
    One row per clean holding (ownership period) of a clean vehicle, measured over the holding itself:
    how long, whether it was flipped, the margin on resale, the service records dated inside it
    (half-open: acquired_date <= performed_date < disposed_date, so a record on a transfer day belongs to
    the new owner) and the miles the odometer readings of those records show were added.
    Open holdings run to the snapshot date, the data's own clock (latest ownership delivery), never
    the build's, so a rebuild of the same data gives the same numbers.
#}

with

ownerships as (
    select * from {{ ref('stg_marketplace__ownerships') }}
    where not has_blocking_issue
),

vehicles as (
    select * from {{ ref('stg_marketplace__vehicles') }}
    where not has_blocking_issue
),

service_records as (
    select * from {{ ref('stg_marketplace__service_records') }}
    where not has_blocking_issue
),

snapshot as (
    select max(loaded_at) as snapshot_at
    from {{ ref('stg_marketplace__ownerships') }}
),

holdings as (
    select
        ownerships.ownership_id,
        ownerships.owner_id,
        ownerships.vehicle_id,
        vehicles.model_year,
        vehicles.make,
        vehicles.model,
        vehicles.lot_category,
        (vehicles.model_year / 10 * 10)::text || 's' as vehicle_era,
        ownerships.acquired_date,
        ownerships.disposed_date,
        ownerships.disposed_date is null as is_held_now,
        coalesce(ownerships.disposed_date, snapshot.snapshot_at::date) as holding_end_date,
        ownerships.acquisition_price,
        ownerships.disposal_price,
        ownerships.acquired_via
    from ownerships
    inner join vehicles
        on ownerships.vehicle_id = vehicles.vehicle_id
    cross join snapshot
),

price_events as (
    {#- Every price the vehicle changed hands at, to value it by its latest known price. #}
    select
        vehicle_id,
        acquired_date as price_date,
        acquisition_price as price
    from ownerships
    where acquisition_price is not null
    union all
    select
        vehicle_id,
        disposed_date as price_date,
        disposal_price as price
    from ownerships
    where disposal_price is not null and disposed_date is not null
),

latest_vehicle_prices as (
    select distinct on (vehicle_id)
        vehicle_id,
        price as value_estimate,
        price_date as value_estimate_date
    from price_events
    order by vehicle_id asc, price_date desc, price desc
),

service_within_holdings as (
    select
        holdings.ownership_id,
        count(service_records.work_order_id) as service_record_count,
        count(*) filter (where service_records.work_category = 'modification') as modification_record_count,
        count(*) filter (where service_records.work_category = 'restoration') as restoration_record_count,
        min(service_records.performed_date) filter (
            where service_records.mileage_at_service is not null
        ) as first_reading_date,
        max(service_records.performed_date) filter (
            where service_records.mileage_at_service is not null
        ) as last_reading_date,
        (array_agg(
            service_records.mileage_at_service
            order by service_records.performed_date asc, service_records.work_order_id asc
        ) filter (where service_records.mileage_at_service is not null))[1] as first_reading_miles,
        (array_agg(
            service_records.mileage_at_service
            order by service_records.performed_date desc, service_records.work_order_id desc
        ) filter (where service_records.mileage_at_service is not null))[1] as last_reading_miles
    from holdings
    left join service_records
        on
            holdings.vehicle_id = service_records.vehicle_id
            and holdings.acquired_date <= service_records.performed_date
            and holdings.holding_end_date > service_records.performed_date
    group by holdings.ownership_id
),

final as (
    select
        holdings.ownership_id,
        holdings.owner_id,
        holdings.vehicle_id,
        holdings.model_year,
        holdings.make,
        holdings.model,
        holdings.lot_category,
        holdings.vehicle_era,
        holdings.acquired_date,
        holdings.disposed_date,
        holdings.is_held_now,
        holdings.holding_end_date - holdings.acquired_date as holding_days,
        round((holdings.holding_end_date - holdings.acquired_date) / 365.25, 4) as holding_years,
        not holdings.is_held_now
        and holdings.disposed_date - holdings.acquired_date
        <= {{ rule_parameter('owner_type', 'flip_max_holding_days') }} as is_flipped,
        holdings.acquisition_price,
        holdings.disposal_price,
        holdings.acquired_via,
        case
            when holdings.acquisition_price > 0 and holdings.disposal_price > 0
                then round(holdings.disposal_price / holdings.acquisition_price - 1, 4)
        end as resale_margin,
        service_within_holdings.service_record_count,
        service_within_holdings.modification_record_count,
        service_within_holdings.restoration_record_count,
        service_within_holdings.first_reading_date,
        service_within_holdings.last_reading_date,
        case
            when
                service_within_holdings.last_reading_date - service_within_holdings.first_reading_date
                >= {{ rule_parameter('owner_type', 'min_mileage_span_days') }}
                and service_within_holdings.last_reading_miles >= service_within_holdings.first_reading_miles
                then service_within_holdings.last_reading_miles - service_within_holdings.first_reading_miles
        end as miles_added,
        case
            when
                service_within_holdings.last_reading_date - service_within_holdings.first_reading_date
                >= {{ rule_parameter('owner_type', 'min_mileage_span_days') }}
                and service_within_holdings.last_reading_miles >= service_within_holdings.first_reading_miles
                then round(
                    (service_within_holdings.last_reading_date - service_within_holdings.first_reading_date) / 365.25,
                    4
                )
        end as mileage_span_years,
        latest_vehicle_prices.value_estimate,
        latest_vehicle_prices.value_estimate_date
    from holdings
    inner join service_within_holdings
        on holdings.ownership_id = service_within_holdings.ownership_id
    left join latest_vehicle_prices
        on holdings.vehicle_id = latest_vehicle_prices.vehicle_id
)

select * from final
