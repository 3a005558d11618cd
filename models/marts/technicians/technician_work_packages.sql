{#
    One technician work package per clean technician: the bounded work history (the latest
    `technician_work_history_limit` orders, each with at most `technician_photos_per_order_limit`
    photos), documentation patterns and experience over all their orders, and the two labels. The
    technician appears only as `technician_key`, a keyed hash (macro `pseudonymize`); no shop name,
    certification text or description text reaches the package; orders, vehicles and photos are keyed
    pseudonyms of this package's own key domains, and no date is in it (years in the trade are whole
    years). Everything as of the package cutoff
    (var package_cutoff, default the data's snapshot). The split is grouped by technician.
#}
{{ assert_pseudonym_key_is_safe() }}

with

technicians as (
    select * from {{ ref('int_technicians_work_summarized') }}
),

labels as (
    select * from {{ ref('int_technicians_labeled') }}
),

final as (
    select
        {{ pseudonymize('technicians.technician_id', 'technician') }} as technician_key,
        {{ split_name('technicians.technician_id') }} as split,
        date_trunc('month', technicians.last_order_date)::date as last_order_month,
        jsonb_build_object(
            'technician_key', {{ pseudonymize('technicians.technician_id', 'technician') }},
            'split', {{ split_name('technicians.technician_id') }},
            'package_version', '{{ var("technician_package_version") }}',
            'work_history', jsonb_build_object(
                'limit', {{ var('technician_work_history_limit') }},
                'photos_per_order_limit', {{ var('technician_photos_per_order_limit') }},
                'orders_total', technicians.order_count,
                'orders_shown', technicians.orders_shown,
                'photos_total', technicians.photo_total,
                {#- to 2 significant digits, like the owners' prices: an exact total finds the technician #}
                'labor_hours_total', {{ round_to_significant('technicians.labor_hours_total') }},
                'orders', technicians.work_history
            ),
            'documentation_patterns', jsonb_build_object(
                'orders_with_photos_share', technicians.orders_with_photos_share,
                'photos_per_order_mean', technicians.photos_per_order_mean,
                'photos_per_order_stddev', technicians.photos_per_order_stddev,
                'description_share', technicians.description_share,
                'documented_description_share', technicians.documented_description_share,
                'description_length_mean', technicians.description_length_mean,
                'description_length_stddev', technicians.description_length_stddev,
                'before_after_share', technicians.before_after_share,
                'mileage_recorded_share', technicians.mileage_recorded_share,
                'order_gap_days_mean', technicians.order_gap_days_mean,
                'order_gap_days_median', technicians.order_gap_days_median,
                'order_gap_days_max', technicians.order_gap_days_max
            ),
            'experience', jsonb_build_object(
                'years_in_trade', technicians.years_in_trade,
                'certification_count', technicians.certification_count,
                'orders_by_category', technicians.orders_by_category,
                'distinct_vehicles', technicians.distinct_vehicle_count,
                'distinct_makes', technicians.distinct_make_count,
                'comeback_count', technicians.comeback_count,
                'comeback_share', technicians.comeback_share,
                'labor_efficiency_ratio', technicians.labor_efficiency_ratio
            ),
            'training_labels', jsonb_build_object(
                'documentation_consistency_score', labels.documentation_consistency_score,
                'skill_level', labels.skill_level
            ),
            'rule_versions', jsonb_build_object(
                'documentation_consistency_score', labels.documentation_consistency_rule_version,
                'skill_level', labels.skill_level_rule_version,
                'comeback', {{ rule_version('technician_experience') }},
                'work_order_bands', {{ rule_version('work_order_cost_band') }} || '+' || {{ rule_version('work_order_labor_band') }}
                || '+' || {{ rule_version('work_order_description_band') }},
                'split', 'grouped_md5_bucket@1',
                'technician_key', 'hmac_sha256_session_key@3'
            ),
            'as_of', jsonb_build_object(
                'cutoff_at', technicians.cutoff_at
            )
        ) as package
    from technicians
    inner join labels
        on technicians.technician_id = labels.technician_id
)

select * from final
