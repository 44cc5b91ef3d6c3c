{#- A ledger entry of an order (its fee, label or refund) is posted when or after the order
    is created. An incremental run relies on it: an entry waiting for its order is looked
    for from two days before the landed order's day on (macros/sales/incremental.sql), so an
    entry dated earlier would stay unallocated on a daily run while a full build allocates
    it. One that is a clock or connector bug; a full refresh of
    int_sales__ledger_allocations allocates it once the bug is understood. -#}
{{ config(severity='error') }}

select
    allocations.entry_id,
    allocations.receipt_id,
    allocations.created_at,
    orders.ordered_at
from {{ ref('int_sales__ledger_allocations') }} as allocations
inner join {{ ref('int_sales__orders') }} as orders
    on allocations.receipt_id = orders.receipt_id
where allocations.created_at < orders.ordered_at - interval 1 day
