{#
    The two technician training labels, each a versioned rule with thresholds in seeds/rule_parameters.csv:
    - documentation_consistency_score (0..1, rule `documentation_consistency`): how consistently the
      technician documents a job, the weighted mean over all their orders of four shares: orders with
      photos, orders with the mileage recorded, orders with a description of at least
      `min_description_length` characters, orders with a before/after photo pair among the orders where it
      is known (weights 0.3/0.3/0.2/0.2). Null without orders, or when no order's pair is known.
    - skill_level (rule `skill_level`): from years in the trade, master at `master_min_years` (15),
      journeyman at `journeyman_min_years` (5), apprentice below. Without a known start, from labor
      efficiency (median labor hours relative to the category's median): master at or below
      `master_max_labor_ratio`, apprentice at or above `apprentice_min_labor_ratio`, journeyman in between;
      null when neither is known.
#}

with

technicians as (
    select * from {{ ref('int_technicians_work_summarized') }}
),

labeled as (
    select
        technician_id,
        case
            when order_count > 0
                then round(
                    ((
                        {{ rule_parameter('documentation_consistency', 'weight_photos') }} * orders_with_photos_share
                        + {{ rule_parameter('documentation_consistency', 'weight_mileage') }} * mileage_recorded_share
                        + {{ rule_parameter('documentation_consistency', 'weight_description') }}
                        * documented_description_share
                        + {{ rule_parameter('documentation_consistency', 'weight_before_after') }} * before_after_share
                    )
                    / (
                        {{ rule_parameter('documentation_consistency', 'weight_photos') }}
                        + {{ rule_parameter('documentation_consistency', 'weight_mileage') }}
                        + {{ rule_parameter('documentation_consistency', 'weight_description') }}
                        + {{ rule_parameter('documentation_consistency', 'weight_before_after') }}
                    ))::numeric,
                    4
                )
        end as documentation_consistency_score,
        case
            when years_in_trade >= {{ rule_parameter('skill_level', 'master_min_years') }} then 'master'
            when years_in_trade >= {{ rule_parameter('skill_level', 'journeyman_min_years') }} then 'journeyman'
            when years_in_trade is not null then 'apprentice'
            when labor_efficiency_ratio <= {{ rule_parameter('skill_level', 'master_max_labor_ratio') }} then 'master'
            when labor_efficiency_ratio >= {{ rule_parameter('skill_level', 'apprentice_min_labor_ratio') }}
                then 'apprentice'
            when labor_efficiency_ratio is not null then 'journeyman'
        end as skill_level
    from technicians
),

final as (
    select
        technician_id,
        documentation_consistency_score,
        skill_level,
        {{ rule_version('documentation_consistency') }} as documentation_consistency_rule_version,
        {{ rule_version('skill_level') }} as skill_level_rule_version
    from labeled
)

select * from final
