-- Exactly one package per clean technician (with or without work orders), and the order totals of the
-- packages reconcile with the clean work orders of clean technicians in staging.
with

expected as (
    select
        technicians.technician_id,
        {{ pseudonymize('technicians.technician_id', 'technician') }} as technician_key,
        count(service_records.work_order_id) as order_count
    from {{ ref('stg_marketplace__technicians') }} as technicians
    left join {{ ref('stg_marketplace__service_records') }} as service_records
        on
            technicians.technician_id = service_records.technician_id
            and not service_records.has_blocking_issue
    where not technicians.has_blocking_issue
    group by technicians.technician_id
),

packaged as (
    select
        technician_key,
        (package #>> '{work_history,orders_total}')::bigint as order_count
    from {{ ref('technician_work_packages') }}
)

select
    coalesce(expected.technician_key, packaged.technician_key) as technician_key,
    expected.order_count as expected_orders,
    packaged.order_count as packaged_orders
from expected
full outer join packaged
    on expected.technician_key = packaged.technician_key
where
    expected.technician_key is null
    or packaged.technician_key is null
    or expected.order_count <> packaged.order_count
