{#
    One owner profile package per owner with at least one clean holding: bounded garage and vehicle
    photo samples, the garage (vehicles held now and before, makes, eras, value), holding periods,
    trading, mileage and modification figures over all holdings, and the owner_type label. The owner
    appears only as `owner_key`, a keyed hash (macro `pseudonymize`); the split is grouped by owner.
#}

with

owners as (
    select * from {{ ref('int_owners_garage_summarized') }}
),

labels as (
    select * from {{ ref('int_owners_labeled') }}
),

photos as (
    select * from {{ ref('int_owners_photos_sampled') }}
),

snapshot as (
    select max(loaded_at) as snapshot_at
    from {{ ref('stg_marketplace__ownerships') }}
),

final as (
    select
        {{ pseudonymize('owners.owner_id', 'owner') }} as owner_key,
        {{ split_name('owners.owner_id') }} as split,
        owners.last_activity_date,
        jsonb_build_object(
            'owner_key', {{ pseudonymize('owners.owner_id', 'owner') }},
            'split', {{ split_name('owners.owner_id') }},
            'package_version', '{{ var("owner_package_version") }}',
            'garage_photos', jsonb_build_object(
                'limit', {{ var('owner_garage_photo_limit') }},
                'total', photos.garage_photo_total,
                'photos', photos.garage_photos
            ),
            'vehicle_photos', jsonb_build_object(
                'limit', {{ var('owner_vehicle_photo_limit') }},
                'per_vehicle_limit', {{ var('owner_vehicle_photos_per_vehicle') }},
                'total', photos.vehicle_photo_total,
                'photos', photos.vehicle_photos
            ),
            'garage', jsonb_build_object(
                'vehicles_held_now', owners.vehicles_held_now,
                'vehicles_held_before', owners.vehicles_held_before,
                'distinct_makes', owners.distinct_make_count,
                'makes', owners.makes,
                'vehicles_by_era', owners.vehicles_by_era,
                'value_estimate_held_now', owners.value_estimate_held_now,
                'vehicle_limit', {{ var('owner_vehicle_limit') }},
                'vehicles', owners.vehicles
            ),
            'holding', jsonb_build_object(
                'holding_count', owners.holding_count,
                'median_holding_years', owners.median_holding_years,
                'mean_holding_years', owners.mean_holding_years,
                'median_completed_holding_years', owners.median_completed_holding_years,
                'flipped_share', owners.flipped_share
            ),
            'trading', jsonb_build_object(
                'is_dealer_account', owners.is_dealer_account,
                'buy_count', owners.buy_count,
                'sell_count', owners.sell_count,
                'margin_count', owners.margin_count,
                'median_resale_margin', owners.median_resale_margin,
                'priced_purchase_total', owners.priced_purchase_total,
                'priced_sale_total', owners.priced_sale_total
            ),
            'usage', jsonb_build_object(
                'miles_per_year', owners.miles_per_year,
                'mileage_measured_holdings', owners.mileage_measured_holding_count
            ),
            'work', jsonb_build_object(
                'service_records', owners.service_record_count,
                'modification_records', owners.modification_record_count,
                'restoration_records', owners.restoration_record_count,
                'vehicle_years', owners.vehicle_years,
                'modification_records_per_vehicle_year', owners.modification_records_per_vehicle_year,
                'modification_record_share', owners.modification_record_share
            ),
            'training_labels', jsonb_build_object(
                'owner_type', labels.owner_type
            ),
            'rule_versions', jsonb_build_object(
                'owner_type', labels.owner_type_rule_version,
                'split', 'grouped_md5_bucket@1',
                'owner_key', 'keyed_sha256@1'
            ),
            'as_of', jsonb_build_object(
                'first_acquired_date', owners.first_acquired_date,
                'last_activity_date', owners.last_activity_date,
                'snapshot_at', snapshot.snapshot_at
            )
        ) as package
    from owners
    inner join labels
        on owners.owner_id = labels.owner_id
    inner join photos
        on owners.owner_id = photos.owner_id
    cross join snapshot
)

select * from final
