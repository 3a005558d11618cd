{{ config(severity='warn') }}
-- A distribution check, not an invariant (so it warns, never fails): the raw tables whose blocked ids
-- exceed rule parameter data_quality_alert.max_blocked_share of their ids. Each row is one such table,
-- so the warning's count is the number of tables a delivery broke wholesale (every vehicle missing, a
-- platform referencing work orders it never delivered, ...). Blocked rows are counted and quarantined
-- either way; this says when there are many. An empty table has no share and never warns: real
-- platforms leave whole tables empty.
with

limits as (
    select {{ rule_parameter('data_quality_alert', 'max_blocked_share') }} as max_blocked_share
)

select
    reconciliation.table_name,
    reconciliation.blocked_rows,
    reconciliation.clean_rows + reconciliation.blocked_rows as keyed_rows,
    round(reconciliation.blocked_rows::numeric / (reconciliation.clean_rows + reconciliation.blocked_rows), 4)
        as blocked_share,
    limits.max_blocked_share
from {{ ref('data_quality_reconciliation') }} as reconciliation
cross join limits
where
    reconciliation.clean_rows + reconciliation.blocked_rows > 0
    and reconciliation.blocked_rows > limits.max_blocked_share * (reconciliation.clean_rows + reconciliation.blocked_rows)
