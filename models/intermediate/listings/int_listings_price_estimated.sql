{#
    A pre-sale price estimate per listing: the median of the most recent comparable sales that
    ENDED BEFORE THIS LISTING STARTED (never its own sale, never a later one). Comparables are the
    same make and model; with too few, the same make and decade; with too few again, no estimate.

    Linear, no self-join over all pairs: per comparable group, sales and listing starts are put on
    one timeline; a running count tells each start how many sales closed before it, and only the
    last `max_comparables` of those sales are joined back by sequence number.
#}
{% set levels = [
    ('make_model', ['make', 'model']),
    ('make_decade', ['make', 'model_decade']),
] %}

with

listings as (
    select
        listing_id,
        make,
        model,
        model_decade,
        started_at,
        ended_at,
        listing_status,
        sale_price
    from {{ ref('int_listings_enriched') }}
),

closed_sales as (
    select * from listings
    where listing_status = 'sold' and sale_price is not null and ended_at is not null
),

{% for level_name, keys in levels %}
    {{ level_name }}_sales_in_order as (
        select
            closed_sales.*,
            row_number() over (
                partition by {{ keys | join(', ') }}
                order by closed_sales.ended_at, closed_sales.listing_id
            ) as sale_sequence
        from closed_sales
        where {% for key in keys %}{{ key }} is not null{{ " and " if not loop.last }}{% endfor %}
    ),

    {{ level_name }}_timeline as (
    {#- At equal timestamps a start sorts before a sale: a sale closing the very second a listing
        starts was not known yet. #}
        select
            {{ keys | join(', ') }},
            started_at as event_at,
            0 as event_order,
            listing_id,
            false as is_sale
        from listings
        where {% for key in keys %}{{ key }} is not null{{ " and " if not loop.last }}{% endfor %}
        union all
        select
            {{ keys | join(', ') }},
            ended_at as event_at,
            1 as event_order,
            listing_id,
            true as is_sale
        from closed_sales
        where {% for key in keys %}{{ key }} is not null{{ " and " if not loop.last }}{% endfor %}
    ),

    {{ level_name }}_sales_before_start as (
        select
            counted.listing_id,
            {% for key in keys %}counted.{{ key }},{% endfor %}
            counted.sales_closed_before
        from (
            select
                timeline.*,
                count(*) filter (where timeline.is_sale) over (
                    partition by {% for key in keys %}timeline.{{ key }}{{ ", " if not loop.last }}{% endfor %}
                    order by timeline.event_at, timeline.event_order, timeline.listing_id
                    rows between unbounded preceding and current row
                ) as sales_closed_before
            from {{ level_name }}_timeline as timeline
        ) as counted
        where not counted.is_sale
    ),

    {{ level_name }}_comparables as (
        select
            before_start.listing_id,
            count(*) as comparable_count,
            percentile_cont(0.5) within group (order by sales.sale_price) as median_sale_price,
            array_agg(sales.listing_id order by sales.sale_sequence) as comparable_listing_ids
        from {{ level_name }}_sales_before_start as before_start
        inner join {{ level_name }}_sales_in_order as sales
            on
                {% for key in keys %}before_start.{{ key }} = sales.{{ key }} and {% endfor %}
                sales.sale_sequence > before_start.sales_closed_before - {{ rule_parameter('price_estimate', 'max_comparables') }}
                and before_start.sales_closed_before >= sales.sale_sequence
        group by before_start.listing_id
    ),
{% endfor %}

final as (
    select
        listings.listing_id,
        case
            when make_model_comparables.comparable_count >= {{ rule_parameter('price_estimate', 'min_comparables') }}
                then 'make_model'
            when make_decade_comparables.comparable_count >= {{ rule_parameter('price_estimate', 'min_comparables') }}
                then 'make_decade'
        end as comparable_level,
        case
            when make_model_comparables.comparable_count >= {{ rule_parameter('price_estimate', 'min_comparables') }}
                then make_model_comparables.comparable_count
            when make_decade_comparables.comparable_count >= {{ rule_parameter('price_estimate', 'min_comparables') }}
                then make_decade_comparables.comparable_count
            else 0
        end::integer as comparable_count,
        round(
            case
                when make_model_comparables.comparable_count >= {{ rule_parameter('price_estimate', 'min_comparables') }}
                    then make_model_comparables.median_sale_price
                when make_decade_comparables.comparable_count >= {{ rule_parameter('price_estimate', 'min_comparables') }}
                    then make_decade_comparables.median_sale_price
            end::numeric,
            2
        ) as price_estimate,
        case
            when make_model_comparables.comparable_count >= {{ rule_parameter('price_estimate', 'min_comparables') }}
                then make_model_comparables.comparable_listing_ids
            when make_decade_comparables.comparable_count >= {{ rule_parameter('price_estimate', 'min_comparables') }}
                then make_decade_comparables.comparable_listing_ids
            else array[]::bigint[]
        end as comparable_listing_ids,
        {{ rule_version('price_estimate') }} as estimate_rule_version
    from listings
    left join make_model_comparables
        on listings.listing_id = make_model_comparables.listing_id
    left join make_decade_comparables
        on listings.listing_id = make_decade_comparables.listing_id
)

select * from final
