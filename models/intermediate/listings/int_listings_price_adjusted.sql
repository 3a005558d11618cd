{#
    The pre-sale price estimate per listing: the comparables' price (int_listings_price_estimated)
    adjusted the way an appraiser adjusts comparables, for the market's drift since they sold and for
    the odometer gap between this car and them (rule price_estimate_market_adjustment in
    seeds/rule_parameters.csv).

    Nothing is assumed about either effect: both are learned, point in time, from what earlier sales
    taught. Every sold car with a comparables' price is a lesson, known when it ENDED: how far its sale
    price landed from its own comparables' price (log residual, winsorized at max_residual_factor), and
    its log mileage gap. A listing
    learns from the lessons that ended in the `window_days` before it STARTED (strictly before):
      - mileage gap known: least squares of residual on gap (slope clamped to the rule's bounds), so
        the adjustment is level + slope * gap;
      - gap unknown (no odometer reading here or in the comparables): the mean residual of the
        lessons whose gap was unknown too.
    With fewer than `min_sales` lessons of its kind the comparables' price stands, unadjusted, and the
    rule version says so (only the comparable step is named).

    Linear: one timeline of lessons and reads, running sums; a window's sums are the difference of
    two reads.
#}

with

estimates as (
    select * from {{ ref('int_listings_price_estimated') }}
),

listings as (
    select
        listing_id,
        started_at,
        ended_at,
        listing_status,
        lot_category,
        sale_price,
        mileage
    from {{ ref('int_listings_enriched') }}
),

gaps as (
    select
        estimates.*,
        listings.started_at,
        listings.ended_at,
        listings.listing_status,
        listings.lot_category,
        listings.sale_price,
        {#- greatest() ignores nulls: an unknown mileage must stay unknown, not become 0 miles. #}
        case
            when listings.mileage is not null
                then ln(1 + greatest(listings.mileage, 0) / 1000.0) - estimates.comparable_log_mileage
        end as log_mileage_gap
    from estimates
    inner join listings
        on estimates.listing_id = listings.listing_id
),

lessons as (
    select
        ended_at as event_at,
        {#- Winsorized: a sale far from its comparables (a part lot that passed as a car, a record)
            teaches as if it landed at max_residual_factor, so a few cannot move the drift much. #}
        greatest(
            -ln({{ rule_parameter('price_estimate_market_adjustment', 'max_residual_factor') }}),
            least(
                ln({{ rule_parameter('price_estimate_market_adjustment', 'max_residual_factor') }}),
                ln(sale_price / comparable_price)
            )
        ) as residual,
        log_mileage_gap
    from gaps
    where
        lot_category = 'car'
        and listing_status = 'sold'
        and sale_price > 0
        and comparable_price > 0
        and ended_at is not null
),

reads as (
    select
        0 as days_back,
        1 as read_sign
    union all
    select
        {{ rule_parameter('price_estimate_market_adjustment', 'window_days') }} as days_back,
        -1 as read_sign
),

timeline as (
    {#- Two reads per listing: at its start and at the window's opening; the sums between them are
        the lessons in the window. At equal times a read sorts before a lesson: a sale ending the
        very second a listing starts is not known to it (as for the comparables), and one ending
        the second the window opens is in it. #}
    select
        gaps.listing_id,
        gaps.started_at - reads.days_back * interval '1 day' as event_at,
        0 as event_order,
        reads.read_sign,
        null::numeric as residual,
        null::numeric as log_mileage_gap
    from gaps
    cross join reads
    where gaps.comparable_price > 0
    union all
    select
        null::bigint as listing_id,
        event_at,
        1 as event_order,
        0 as read_sign,
        residual,
        log_mileage_gap
    from lessons
),

running as (
    select
        listing_id,
        read_sign,
        count(*) filter (where event_order = 1 and log_mileage_gap is not null) over earlier as gap_lessons,
        coalesce(sum(residual) filter (where log_mileage_gap is not null) over earlier, 0) as sum_residual,
        coalesce(sum(log_mileage_gap) over earlier, 0) as sum_gap,
        coalesce(sum(residual * log_mileage_gap) over earlier, 0) as sum_residual_gap,
        coalesce(sum(log_mileage_gap * log_mileage_gap) over earlier, 0) as sum_gap_squared,
        count(*) filter (where event_order = 1 and log_mileage_gap is null) over earlier as no_gap_lessons,
        coalesce(sum(residual) filter (where log_mileage_gap is null) over earlier, 0) as sum_no_gap_residual
    from timeline
    window earlier as (order by event_at, event_order rows between unbounded preceding and current row)
),

learned as (
    select
        listing_id,
        sum(read_sign * gap_lessons) as gap_lessons,
        sum(read_sign * sum_residual) as sum_residual,
        sum(read_sign * sum_gap) as sum_gap,
        sum(read_sign * sum_residual_gap) as sum_residual_gap,
        sum(read_sign * sum_gap_squared) as sum_gap_squared,
        sum(read_sign * no_gap_lessons) as no_gap_lessons,
        sum(read_sign * sum_no_gap_residual) as sum_no_gap_residual
    from running
    where listing_id is not null
    group by listing_id
),

slopes as (
    select
        listing_id,
        gap_lessons,
        no_gap_lessons,
        sum_residual / nullif(gap_lessons, 0) as mean_residual,
        sum_gap / nullif(gap_lessons, 0) as mean_gap,
        sum_no_gap_residual / nullif(no_gap_lessons, 0) as mean_no_gap_residual,
        greatest(
            {{ rule_parameter('price_estimate_market_adjustment', 'min_mileage_slope') }},
            least(
                {{ rule_parameter('price_estimate_market_adjustment', 'max_mileage_slope') }},
                coalesce(
                    (sum_residual_gap * gap_lessons - sum_residual * sum_gap)
                    / nullif(sum_gap_squared * gap_lessons - sum_gap * sum_gap, 0),
                    0
                )
            )
        ) as mileage_slope
    from learned
),

adjustments as (
    select
        gaps.listing_id,
        case
            when gaps.log_mileage_gap is not null
                then slopes.gap_lessons
            else slopes.no_gap_lessons
        end as adjustment_sales,
        case
            when gaps.log_mileage_gap is not null
                then slopes.mean_residual + slopes.mileage_slope * (gaps.log_mileage_gap - slopes.mean_gap)
            else slopes.mean_no_gap_residual
        end as log_adjustment
    from gaps
    inner join slopes
        on gaps.listing_id = slopes.listing_id
),

adjusted as (
    select
        listing_id,
        adjustment_sales,
        case
            when adjustment_sales >= {{ rule_parameter('price_estimate_market_adjustment', 'min_sales') }}
                then log_adjustment
        end as log_adjustment
    from adjustments
),

final as (
    select
        estimates.listing_id,
        estimates.comparable_level,
        estimates.comparable_count,
        estimates.comparable_price,
        estimates.comparable_listing_ids,
        coalesce(adjusted.adjustment_sales, 0) as adjustment_sales,
        {#- The factor in whole percent: one re-delivered or late sale moves every listing of the
            year after it by a hair; at 4 decimals that rebuilt most packages on the next daily run,
            in percent about one listing in a hundred crosses a step (and 1% is far inside the
            estimate's own error). #}
        round(exp(adjusted.log_adjustment)::numeric, 2) as market_adjustment_factor,
        round(estimates.comparable_price * coalesce(round(exp(adjusted.log_adjustment)::numeric, 2), 1), 2)
            as price_estimate,
        estimates.estimate_rule_version
        || case
            when adjusted.log_adjustment is not null
                then '+' || {{ rule_version('price_estimate_market_adjustment') }}
            else ''
        end as estimate_rule_version
    from estimates
    left join adjusted
        on estimates.listing_id = adjusted.listing_id
)

select * from final
