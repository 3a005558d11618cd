{#
    One row per clean holding (ownership period) of a vehicle, as of the package cutoff (macro
    package_cutoff): a holding acquired after it does not exist yet, one disposed of after it is still
    held (its disposal date and price unknown at the cutoff). Measured over the holding: how long,
    whether it was flipped, the margin on resale, the service records dated inside it (half-open:
    acquired_date <= performed_date < disposed_date, so a record on a transfer day belongs to the new
    owner) and up to the cutoff, and the miles their odometer readings show were added. The vehicle is
    described as of the cutoff (its state then; identity from its earliest state when none precedes it).
    A holding whose acquisition date is unknown is kept (delivered by the cutoff), with its length and
    the figures that need its start unknown (null), never guessed; so are the record counts of every holding
    when no service record was delivered by the cutoff at all (a platform without service history). A lot that is no vehicle (parts,
    automobilia: lot_category non_vehicle, filed under a car make) is no holding of a vehicle and is left
    out, so it counts toward no garage; motorcycles and other vehicles (boats, tractors) stay.
#}

with

cutoff as (
    select
        {{ package_cutoff() }} as cutoff_at,
        ({{ package_cutoff() }})::date as cutoff_date
),

ownerships as (
    select stg_marketplace__ownerships.*
    from {{ ref('stg_marketplace__ownerships') }}
    cross join cutoff
    where
        not stg_marketplace__ownerships.has_blocking_issue
        and (
            stg_marketplace__ownerships.acquired_date <= cutoff.cutoff_date
            or (stg_marketplace__ownerships.acquired_date is null and stg_marketplace__ownerships.loaded_at <= cutoff.cutoff_at)
        )
),

vehicle_states as (
    select * from {{ ref('stg_marketplace__vehicle_states') }}
),

service_records as (
    select stg_marketplace__service_records.*
    from {{ ref('stg_marketplace__service_records') }}
    cross join cutoff
    where
        not stg_marketplace__service_records.has_blocking_issue
        and stg_marketplace__service_records.performed_date <= cutoff.cutoff_date
),

vehicles_at_cutoff as (
    {#- The vehicle as of the cutoff; its identity from the earliest state when none precedes it. #}
    select distinct on (vehicle_states.vehicle_id)
        vehicle_states.vehicle_id,
        vehicle_states.model_year,
        vehicle_states.make,
        vehicle_states.model,
        vehicle_states.lot_category,
        vehicle_states.has_blocking_issue
    from vehicle_states
    cross join cutoff
    order by
        vehicle_states.vehicle_id asc,
        {{ valid_at('vehicle_states', 'cutoff.cutoff_at') }} desc,
        vehicle_states.first_loaded_at asc,
        vehicle_states.valid_from asc
),

holdings as (
    select
        ownerships.ownership_id,
        ownerships.owner_id,
        ownerships.vehicle_id,
        vehicles_at_cutoff.model_year,
        vehicles_at_cutoff.make,
        vehicles_at_cutoff.model,
        vehicles_at_cutoff.lot_category,
        (vehicles_at_cutoff.model_year / 10 * 10)::text || 's' as vehicle_era,
        ownerships.acquired_date,
        case when ownerships.disposed_date <= cutoff.cutoff_date then ownerships.disposed_date end as disposed_date,
        ownerships.disposed_date is null or ownerships.disposed_date > cutoff.cutoff_date as is_held_now,
        coalesce(
            case when ownerships.disposed_date <= cutoff.cutoff_date then ownerships.disposed_date end,
            cutoff.cutoff_date
        ) as holding_end_date,
        ownerships.acquisition_price,
        case when ownerships.disposed_date <= cutoff.cutoff_date then ownerships.disposal_price end as disposal_price,
        ownerships.acquired_via
    from ownerships
    cross join cutoff
    inner join vehicles_at_cutoff
        on ownerships.vehicle_id = vehicles_at_cutoff.vehicle_id
    where
        not vehicles_at_cutoff.has_blocking_issue
        and vehicles_at_cutoff.lot_category is distinct from 'non_vehicle'
),

price_events as (
    {#- Every price the vehicle changed hands at by the cutoff, to value it by its latest known price. #}
    select
        vehicle_id,
        acquired_date as price_date,
        acquisition_price as price
    from holdings
    where acquisition_price is not null and acquired_date is not null
    union all
    select
        vehicle_id,
        disposed_date as price_date,
        disposal_price as price
    from holdings
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

service_history as (
    {#- Whether the marketplace delivered any service history by the cutoff: a platform that sends none (an
        empty table) has unknown records in every holding, not none. #}
    select exists(select 1 from service_records) as is_delivered
),

service_within_holdings as (
    select
        holdings.ownership_id,
        {#- A holding whose start is unknown has unknown records inside it, not none. #}
        case
            when holdings.acquired_date is not null and service_history.is_delivered
                then count(service_records.work_order_id)
        end as service_record_count,
        case
            when holdings.acquired_date is not null and service_history.is_delivered
                then count(*) filter (where service_records.work_category = 'modification')
        end as modification_record_count,
        case
            when holdings.acquired_date is not null and service_history.is_delivered
                then count(*) filter (where service_records.work_category = 'restoration')
        end as restoration_record_count,
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
    cross join service_history
    left join service_records
        on
            holdings.vehicle_id = service_records.vehicle_id
            and holdings.acquired_date <= service_records.performed_date
            and holdings.holding_end_date > service_records.performed_date
    group by holdings.ownership_id, holdings.acquired_date, service_history.is_delivered
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
