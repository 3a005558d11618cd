{#
    The owner_type training label (rule `owner_type`, thresholds in seeds/rule_parameters.csv), the
    first matching case wins:
    1. flipper   - a dealer account: trading is the business;
    2. driver    - odometer readings show at least `driver_min_miles_per_year` miles a year;
    3. flipper   - at least `flipper_min_flipped_share` of the completed holdings were disposed of within
                   `flip_max_holding_days` (12 months), whatever the holdings of unknown length were; `unknown`
                   when those could make the share reach it;
    4. builder   - at least `builder_min_modification_share` of the service records in their holdings are
                   modifications or restorations (and at least `builder_min_modification_records` of them);
    5. collector - median holding of at least `collector_min_median_holding_years`, at least
                   `collector_min_vehicles_held_now` vehicles held at once, or measured use below
                   `collector_max_miles_per_year` (kept, not used);
    6. unknown   - no measured use: driver or collector cannot be told apart;
    7. driver    - everyone else: vehicles used (measured) without flips, builds or a collection.
    Missing evidence (no readings, no completed holding, no service record) never matches a case, and
    service records of unknown count in any holding (none delivered at all, or a holding whose start is
    unknown) make the label `unknown` once cases 1-4 did not match, since they could decide case 4; an
    account type unknown at the cutoff makes the label `unknown` too, since it would decide case 1, and so do
    completed holdings of unknown length that could decide case 3 (flipped_share_min and _max bound it).
#}

with

owners as (
    select * from {{ ref('int_owners_garage_summarized') }}
),

labeled as (
    select
        owner_id,
        case
            when is_dealer_account then 'flipper'
            {#- Whether case 1 applies is unknown when the account's type at the cutoff is. #}
            when is_dealer_account is null then 'unknown'
            when miles_per_year >= {{ rule_parameter('owner_type', 'driver_min_miles_per_year') }} then 'driver'
            {#- Flipper whatever the completed holdings of unknown length were; unknown when they could decide it. #}
            when
                coalesce(flipped_share_min, flipped_share)
                >= {{ rule_parameter('owner_type', 'flipper_min_flipped_share') }}
                then 'flipper'
            when
                coalesce(flipped_share_max, flipped_share)
                >= {{ rule_parameter('owner_type', 'flipper_min_flipped_share') }}
                then 'unknown'
            when
                modification_record_share >= {{ rule_parameter('owner_type', 'builder_min_modification_share') }}
                and modification_record_count + restoration_record_count
                >= {{ rule_parameter('owner_type', 'builder_min_modification_records') }}
                then 'builder'
            {#- Service records of a holding unknown (none delivered, or its start unknown): builder cannot be
                ruled out, so no later case may claim the owner. #}
            when
                modification_record_count is null
                or restoration_record_count is null
                or holdings_without_record_count > 0
                then 'unknown'
            when
                median_holding_years >= {{ rule_parameter('owner_type', 'collector_min_median_holding_years') }}
                or vehicles_held_now >= {{ rule_parameter('owner_type', 'collector_min_vehicles_held_now') }}
                or miles_per_year < {{ rule_parameter('owner_type', 'collector_max_miles_per_year') }}
                then 'collector'
            when miles_per_year is null then 'unknown'
            else 'driver'
        end as owner_type
    from owners
),

final as (
    select
        owner_id,
        owner_type,
        {{ rule_version('owner_type') }} as owner_type_rule_version
    from labeled
)

select * from final
