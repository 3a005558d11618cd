{#
    One owner profile package per owner with at least one clean holding by the package cutoff (var
    package_cutoff, default the data's snapshot): bounded garage and vehicle photo samples, the garage
    (vehicles held at the cutoff and before, makes, eras, value), holding periods, trading, mileage and
    modification figures over all holdings, and the owner_type label, everything as of the cutoff.
    Privacy survives linking: the owner, their vehicles and photos appear only as keyed pseudonyms of
    this package's own key domains (macro pseudonymize); no date is in it (holding lengths are bands,
    holding figures one decimal) and prices have two significant digits; the split is grouped by owner.
#}
{{ assert_pseudonym_key_is_safe() }}

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

cutoff as (
    select {{ package_cutoff() }} as cutoff_at
),

final as (
    select
        {{ pseudonymize('owners.owner_id', 'owner') }} as owner_key,
        {{ split_name('owners.owner_id') }} as split,
        date_trunc('month', owners.last_activity_date)::date as last_activity_month,
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
                'value_estimate_held_now', {{ round_to_significant('owners.value_estimate_held_now') }},
                'held_now_without_value', owners.held_now_without_value_count,
                'vehicle_limit', {{ var('owner_vehicle_limit') }},
                'vehicles', owners.vehicles
            ),
            'holding', jsonb_build_object(
                'holding_count', owners.holding_count,
                'median_holding_years', round(owners.median_holding_years, 1),
                'mean_holding_years', round(owners.mean_holding_years, 1),
                'median_completed_holding_years', round(owners.median_completed_holding_years, 1),
                'flipped_share', owners.flipped_share,
                'completed_of_unknown_length', owners.completed_unknown_length_count
            ),
            'trading', jsonb_build_object(
                'is_dealer_account', owners.is_dealer_account,
                'buy_count', owners.buy_count,
                'sell_count', owners.sell_count,
                'margin_count', owners.margin_count,
                'median_resale_margin', owners.median_resale_margin,
                'priced_purchase_total', {{ round_to_significant('owners.priced_purchase_total') }},
                'priced_sale_total', {{ round_to_significant('owners.priced_sale_total') }}
            ),
            'usage', jsonb_build_object(
                {#- rounded in the package only: owner_type reads the exact value #}
                'miles_per_year', {{ round_to_significant('owners.miles_per_year') }},
                'mileage_measured_holdings', owners.mileage_measured_holding_count
            ),
            'work', jsonb_build_object(
                'holdings_without_records', owners.holdings_without_record_count,
                'service_records', owners.service_record_count,
                'modification_records', owners.modification_record_count,
                'restoration_records', owners.restoration_record_count,
                'vehicle_years', round(owners.vehicle_years, 1),
                'modification_records_per_vehicle_year', owners.modification_records_per_vehicle_year,
                'modification_record_share', owners.modification_record_share
            ),
            'training_labels', jsonb_build_object(
                'owner_type', labels.owner_type
            ),
            'rule_versions', jsonb_build_object(
                'owner_type', labels.owner_type_rule_version,
                'split', 'grouped_md5_bucket@1',
                'owner_key', 'hmac_sha256_session_key@3'
            ),
            'as_of', jsonb_build_object(
                'cutoff_at', cutoff.cutoff_at
            )
        ) as package
    from owners
    inner join labels
        on owners.owner_id = labels.owner_id
    inner join photos
        on owners.owner_id = photos.owner_id
    cross join cutoff
)

select * from final
