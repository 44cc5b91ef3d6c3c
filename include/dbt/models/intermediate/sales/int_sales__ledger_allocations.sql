{#- Every ledger entry, classified (etsy_ledger_type_mapping) and, where it refers to an
    order (a receipt, a transaction or a payment of one), allocated to that receipt.
    Rebuilt in full: the lookups change as receipts arrive after their fees, and a mapping
    fix must reach old entries. Entries of no order (listing fees, Etsy Ads, payouts) stay
    here with a null receipt_id and count at shop level. A table: its readers (fees,
    facts, reconciliation tests) read it once instead of re-running ten million joins. -#}
{{ config(**sales_table_config('entry_date', ['shop_id', 'receipt_id'])) }}

with ledger_entries as (
    select
        *,
        -- Each lookup key only where the entry refers to that kind of record: a pure
        -- equality join (a hash join; the type test inside the join condition made
        -- DuckDB fall back to a nested loop over millions of rows).
        case when reference_type = 'transaction' then reference_id end as transaction_reference_id,
        case when reference_type = 'payment' then reference_id end as payment_reference_id
    from {{ ref('int_sales__ledger_entries') }}
),

ledger_type_mapping as (
    select * from {{ ref('etsy_ledger_type_mapping') }}
),

order_items as (
    select
        transaction_id,
        receipt_id
    from {{ ref('fct_order_items') }}
    where {{ all_partitions('order_date') }}
),

payments as (
    select
        payment_id,
        receipt_id
    from {{ ref('stg_etsy__payments') }}
),

orders as (
    select
        receipt_id,
        shop_id,
        order_date
    from {{ ref('int_sales__orders') }}
),

resolved as (
    select
        ledger_entries.*,
        ledger_type_mapping.entry_class,
        ledger_type_mapping.fee_type,
        case ledger_entries.reference_type
            when 'receipt' then ledger_entries.reference_id
            when 'transaction' then order_items.receipt_id
            when 'payment' then payments.receipt_id
        end as referenced_receipt_id
    from ledger_entries
    left join ledger_type_mapping
        on ledger_entries.ledger_type = ledger_type_mapping.ledger_type
    left join order_items
        on ledger_entries.transaction_reference_id = order_items.transaction_id
    left join payments
        on ledger_entries.payment_reference_id = payments.payment_id
),

final as (
    select
        resolved.entry_id,
        resolved.shop_id,
        resolved.ledger_type,
        resolved.entry_class,
        resolved.fee_type,
        resolved.reference_type,
        resolved.reference_id,
        -- Only a receipt of the same shop counts: ids never match across shops by accident.
        orders.receipt_id,
        orders.order_date,
        orders.receipt_id is not null as is_order_level,
        resolved.currency_code,
        resolved.amount,
        resolved.created_at,
        resolved.entry_date
    from resolved
    left join orders
        on resolved.referenced_receipt_id = orders.receipt_id
        and resolved.shop_id = orders.shop_id
)

select * from final
