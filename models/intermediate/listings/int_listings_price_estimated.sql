{#
    A pre-sale price estimate per listing: the trimmed geometric mean of the most recent comparable
    sales of real cars that ENDED BEFORE THIS LISTING STARTED (never its own sale, never a later one), within
    `max_age_days` of its start. Comparables widen in steps until one has `min_comparables`; each
    step is its own versioned rule in seeds/rule_parameters.csv:
      1. price_estimate_model_year_narrow: same canonical make and model, model year +- year_band;
      2. price_estimate_model_year_wide:   the same with a wider band;
      3. price_estimate_model:             same canonical make and model, any year;
      4. price_estimate_make_decade:       same make and model-year decade.
    The trim leaves out the odd part lot or absurd sale that slipped through (the lowest and the
    highest of five or more), and non-car lots are never comparables. The chosen step's mean is then
    credibility-weighted with the next wider step's (rule price_estimate_credibility): n sales against
    prior_weight, so a narrow step of three sales is pulled toward its wider market.
    int_listings_price_adjusted adjusts the result for market drift and mileage. No estimate when no step has enough sales; its rule version then names every
    step tried ("a@1>b@1>...").

    Linear, no self-join over all pairs: per comparable group, sales and listing starts are put on
    one timeline; a running count tells each start how many sales closed before it, and only the
    last `max_comparables` of those sales are joined back by sequence number (and by the block of
    sequence numbers they lie in, so the join never visits the rest of the group). A year band is a group
    per target year: each sale is copied to every model year within the band of its own.
#}
{% set levels = [
    {'name': 'model_year_narrow', 'keys': ['make', 'model_key'], 'banded': true},
    {'name': 'model_year_wide', 'keys': ['make', 'model_key'], 'banded': true},
    {'name': 'model', 'keys': ['make', 'model_key'], 'banded': false},
    {'name': 'make_decade', 'keys': ['make', 'model_decade'], 'banded': false},
] %}
{%- set levels = price_estimate_levels(levels) %}
{%- set every_step_version = [] %}
{%- for level in levels %}{% do every_step_version.append(rule_version(level.rule)) %}{% endfor %}

with

listings as (
    select
        listing_id,
        make,
        model_key,
        model_year,
        model_decade,
        lot_category,
        started_at,
        ended_at,
        listing_status,
        sale_price,
        mileage
    from {{ ref('int_listings_enriched') }}
),

closed_sales as (
    {#- Logs taken once per sale here, not per copy and comparable below (numeric ln is costly). #}
    select
        listings.*,
        ln(listings.sale_price) as log_sale_price,
        case when listings.mileage is not null then ln(1 + greatest(listings.mileage, 0) / 1000.0) end as log_mileage
    from listings
    where
        listings.lot_category = 'car'
        and listings.listing_status = 'sold'
        and listings.sale_price is not null
        and listings.ended_at is not null
),

{% for level in levels %}
    {{ level.name }}_sales as (
        select
            closed_sales.*,
            {{ 'closed_sales.model_year + band.shift' if level.banded else 'null::integer' }} as target_year,
            row_number() over (
                partition by {{ level.sale_partition | join(', ') }}
                order by closed_sales.ended_at, closed_sales.listing_id
            ) as sale_sequence
        from closed_sales
        cross join
            generate_series(
                -{{ rule_parameter(level.rule, 'year_band') if level.banded else 0 }}::integer,
                {{ rule_parameter(level.rule, 'year_band') if level.banded else 0 }}::integer
            ) as band (shift)
        where {{ level.sale_filters | join(' and ') }}
    ),

    {{ level.name }}_timeline as (
    {#- At equal timestamps a start sorts before a sale: a sale closing the very second a listing
        starts was not known yet. #}
        select
            {{ level['keys'] | join(', ') }},
            {{ 'model_year' if level.banded else 'null::integer' }} as target_year,
            started_at as event_at,
            0 as event_order,
            listing_id,
            false as is_sale
        from listings
        where {{ level.start_filters | join(' and ') }}
        union all
        select
            {{ level['keys'] | join(', ') }},
            target_year,
            ended_at as event_at,
            1 as event_order,
            listing_id,
            true as is_sale
        from {{ level.name }}_sales
    ),

    {{ level.name }}_sales_before_start as (
        select
            counted.listing_id,
            counted.event_at as started_at,
            {% for key in level.group_keys %}counted.{{ key }}, {% endfor %}
            counted.sales_closed_before
        from (
            select
                timeline.*,
                count(*) filter (where timeline.is_sale) over (
                    partition by {% for key in level.group_keys %}timeline.{{ key }}{{ ", " if not loop.last }}{% endfor %}
                    order by timeline.event_at, timeline.event_order, timeline.listing_id
                    rows between unbounded preceding and current row
                ) as sales_closed_before
            from {{ level.name }}_timeline as timeline
        ) as counted
        where not counted.is_sale
    ),

    {#- The last max_comparables sales before a start lie in at most two blocks of max_comparables sequence
        numbers. Joined on the block as well as the group, a start meets at most twice that many sales instead
        of every sale of its group (a filter whose work grew with the square of a group's size: 2.2 s at scale
        0.1, 81-85 s at 1.0). Both sides are fenced (offset 0), so the planner keeps the block a join key. #}
    {{ level.name }}_starts_by_block as (
        select
            start_rows.*,
            (greatest(start_rows.sales_closed_before - {{ rule_parameter(level.rule, 'max_comparables') }}::bigint + 1, 1) - 1)
            / {{ rule_parameter(level.rule, 'max_comparables') }}::bigint + block_step.blocks_ahead as sale_block
        from {{ level.name }}_sales_before_start as start_rows
        cross join (values (0), (1)) as block_step (blocks_ahead)
        offset 0  -- noqa: AM09
    ),

    {{ level.name }}_sales_by_block as (
        select
            level_sales.*,
            (level_sales.sale_sequence - 1) / {{ rule_parameter(level.rule, 'max_comparables') }}::bigint as sale_block
        from {{ level.name }}_sales as level_sales
        offset 0  -- noqa: AM09
    ),

    {{ level.name }}_comparables as (
        select
            before_start.listing_id,
            count(*) as comparable_count,
            {#- A trimmed geometric mean: the mean of the log prices, without the lowest and the highest
                when there are five or more (prices are log-normal, and the trim keeps one odd sale out). #}
            exp(
                case
                    when count(*) >= 5
                        then
                            (sum(sales.log_sale_price) - min(sales.log_sale_price) - max(sales.log_sale_price))
                            / (count(*) - 2)
                    else avg(sales.log_sale_price)
                end
            ) as typical_sale_price,
            {#- Their typical odometer (mean log miles of those with a reading), for the mileage adjustment. #}
            avg(sales.log_mileage) as comparable_log_mileage,
            array_agg(sales.listing_id order by sales.sale_sequence) as comparable_listing_ids
        from {{ level.name }}_starts_by_block as before_start
        inner join {{ level.name }}_sales_by_block as sales
            on
                {% for key in level.group_keys %}before_start.{{ key }} = sales.{{ key }} and {% endfor %}
                before_start.sale_block = sales.sale_block
                and sales.sale_sequence > before_start.sales_closed_before - {{ rule_parameter(level.rule, 'max_comparables') }}
                and before_start.sales_closed_before >= sales.sale_sequence
                and sales.ended_at >= before_start.started_at - {{ rule_parameter(level.rule, 'max_age_days') }} * interval '1 day'
        group by before_start.listing_id
        having count(*) >= {{ rule_parameter(level.rule, 'min_comparables') }}
    ),

{% endfor %}
chosen as (
    {#- The narrowest step with enough comparables. #}
    select
        listings.listing_id,
        case
            {%- for level in levels %}
                when {{ level.name }}_comparables.listing_id is not null then '{{ level.name }}'
            {%- endfor %}
        end as comparable_level,
        coalesce({% for level in levels %}{{ level.name }}_comparables.comparable_count{{ ", " if not loop.last }}{% endfor %})
            as comparable_count,
        {#- Credibility weighting: a step's mean counts as n sales, the next wider step's mean (the same
            market, more of it) as prior_weight more; the narrow step then decides once it has many sales,
            and three sales cannot pull the estimate far from their wider market. #}
        case
            {%- for level in levels %}
                when {{ level.name }}_comparables.listing_id is not null then exp(
                    (
                        {{ level.name }}_comparables.comparable_count * ln({{ level.name }}_comparables.typical_sale_price)
                        + {{ rule_parameter('price_estimate_credibility', 'prior_weight') }} * ln(coalesce(
                            {%- for wider in levels[loop.index:] %}{{ wider.name }}_comparables.typical_sale_price, {% endfor -%}
                            {{ level.name }}_comparables.typical_sale_price
                        ))
                    ) / ({{ level.name }}_comparables.comparable_count + {{ rule_parameter('price_estimate_credibility', 'prior_weight') }})
                )
            {%- endfor %}
        end as typical_sale_price,
        case
            {%- for level in levels %}
                when {{ level.name }}_comparables.listing_id is not null then {{ level.name }}_comparables.comparable_log_mileage
            {%- endfor %}
        end as comparable_log_mileage,
        coalesce(
            {% for level in levels %}{{ level.name }}_comparables.comparable_listing_ids, {% endfor %}array[]::bigint[]
        ) as comparable_listing_ids
    from listings
    left join model_year_narrow_comparables
        on listings.listing_id = model_year_narrow_comparables.listing_id
    left join model_year_wide_comparables
        on listings.listing_id = model_year_wide_comparables.listing_id
    left join model_comparables
        on listings.listing_id = model_comparables.listing_id
    left join make_decade_comparables
        on listings.listing_id = make_decade_comparables.listing_id
),

final as (
    select
        chosen.listing_id,
        chosen.comparable_level,
        coalesce(chosen.comparable_count, 0)::integer as comparable_count,
        round(chosen.typical_sale_price::numeric, 2) as comparable_price,
        chosen.comparable_log_mileage,
        chosen.comparable_listing_ids,
        case chosen.comparable_level
            {%- for level in levels %}
                when '{{ level.name }}' then {{ rule_version(level.rule) }} || '+' || {{ rule_version('price_estimate_credibility') }}
            {%- endfor %}
            else
                {{ every_step_version | join(" || '>' || ") }}
        end as estimate_rule_version
    from chosen
)

select * from final
