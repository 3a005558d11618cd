-- Per technician, the orders per category add up to all orders, and the shown history is the latest
-- orders: no shown order is older than an order left out.
with

summaries as (
    select * from {{ ref('int_technicians_work_summarized') }}
),

orders as (
    select * from {{ ref('int_work_orders_documented') }}
),

category_totals as (
    select
        summaries.technician_id,
        summaries.order_count,
        coalesce(sum(categories.orders::bigint), 0) as category_total
    from summaries
    left join lateral jsonb_each_text(summaries.orders_by_category) as categories (category, orders) on true
    group by summaries.technician_id, summaries.order_count
),

history_edges as (
    select
        technician_id,
        min(performed_date) filter (
            where recency_rank <= {{ var('technician_work_history_limit') }}
        ) as oldest_shown,
        max(performed_date) filter (
            where recency_rank > {{ var('technician_work_history_limit') }}
        ) as newest_left_out
    from orders
    group by technician_id
)

select
    category_totals.technician_id,
    category_totals.order_count,
    category_totals.category_total,
    history_edges.oldest_shown,
    history_edges.newest_left_out
from category_totals
left join history_edges
    on category_totals.technician_id = history_edges.technician_id
where
    category_totals.order_count <> category_totals.category_total
    or history_edges.newest_left_out > history_edges.oldest_shown
