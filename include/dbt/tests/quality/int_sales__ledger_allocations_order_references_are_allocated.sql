{#- Every ledger entry whose reference resolves to an order of its shop is allocated to it.
    A full build allocates by construction; a daily run looks an unallocated entry's order
    up only among the orders that landed in the run (int_sales__ledger_allocations), on the
    premise that an entry is posted when its receipt changes. An entry found here broke that
    premise (a fee posted on an order whose receipt did not change): its amount would count
    at shop level instead of on its order. A full refresh of int_sales__ledger_allocations
    allocates it; report the entry's ledger type so the premise can be widened. -#}
{{ config(severity='error') }}

with unallocated_order_references as (
    select
        entry_id,
        shop_id,
        ledger_type,
        reference_type,
        reference_id
    from {{ ref('int_sales__ledger_allocations') }}
    where receipt_id is null
        and reference_type in ('receipt', 'transaction', 'payment', 'shipping_label')
),

references_to_receipts as (
    select
        transaction_id as reference_id,
        'transaction' as reference_type,
        receipt_id
    from {{ ref('stg_etsy__transactions') }}
    union all
    select
        payment_id as reference_id,
        'payment' as reference_type,
        receipt_id
    from {{ ref('stg_etsy__payments') }}
    union all
    select
        shipment_id as reference_id,
        'shipping_label' as reference_type,
        receipt_id
    from {{ ref('stg_etsy__shipments') }}
    union all
    select
        receipt_id as reference_id,
        'receipt' as reference_type,
        receipt_id
    from {{ ref('int_sales__orders') }}
),

final as (
    select
        unallocated_order_references.entry_id,
        unallocated_order_references.ledger_type,
        unallocated_order_references.reference_type,
        unallocated_order_references.reference_id,
        orders.receipt_id as missed_receipt_id
    from unallocated_order_references
    inner join references_to_receipts
        on unallocated_order_references.reference_type = references_to_receipts.reference_type
        and unallocated_order_references.reference_id = references_to_receipts.reference_id
    inner join {{ ref('int_sales__orders') }} as orders
        on references_to_receipts.receipt_id = orders.receipt_id
        and unallocated_order_references.shop_id = orders.shop_id
)

select * from final
