-- Per owner, the summary reconciles with the measured holdings: holdings, sells, held-now vehicles and the
-- modification records add up, and a flip is never counted for an open holding.
with

holdings as (
    select * from {{ ref('int_ownerships_measured') }}
),

recounted as (
    select
        owner_id,
        count(*) as holding_count,
        count(*) filter (where not is_held_now) as sell_count,
        count(distinct vehicle_id) filter (where is_held_now) as vehicles_held_now,
        sum(modification_record_count) as modification_record_count,
        count(*) filter (where is_flipped and is_held_now) as open_flips
    from holdings
    group by owner_id
)

select
    recounted.owner_id,
    recounted.holding_count,
    summaries.holding_count as summarized_holding_count
from recounted
left join {{ ref('int_owners_garage_summarized') }} as summaries
    on recounted.owner_id = summaries.owner_id
where
    summaries.owner_id is null
    or recounted.holding_count <> summaries.holding_count
    or recounted.sell_count <> summaries.sell_count
    or recounted.vehicles_held_now <> summaries.vehicles_held_now
    or recounted.modification_record_count <> summaries.modification_record_count
    or recounted.open_flips > 0
