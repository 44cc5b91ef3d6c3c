{#- Every ledger entry, converted from minor units with its currency's divisor
    (iso_4217_currencies) and, where it refers to an order (a receipt, a transaction or a
    payment of one, or a shipping label whose reference is one of the receipt's shipments),
    allocated to that receipt. Entries of no order (listing fees, Etsy Ads, payouts, a label
    whose reference matches no shipment) stay here with a null receipt_id and count at shop
    level. Not classified: int_sales__ledger_allocations_classified joins the mapping seed
    when read, so a mapping fix reaches every stored entry without a rebuild. A table: its
    readers (fees, facts, reconciliation tests) read it once instead of re-running ten
    million joins.
    Incremental by whole ledger days (macros/sales/incremental.sql). Besides the days with
    changed entries, a run rebuilds the day of every stored entry that referred to an order
    that had not arrived yet (a fee posted before its receipt landed) once the order is
    there. Receipts, transactions, shipments and payments never change the order they belong
    to, so no other stored allocation can go stale, and a rebuilt entry keeps the order it
    was stored with. An entry not yet allocated is looked up only among the orders and
    payments that landed in this run: an order's entries are posted when its receipt changes
    (created, paid, shipped, refunded), which lands the receipt again.
    int_sales__ledger_allocations_order_references_are_allocated stops the run on an entry
    that missed its order. -#}
{{ config(**sales_incremental_config('entry_date', ['shop_id', 'receipt_id'])) }}
{%- set changed_entry_dates = sales_rebuilt_local_dates(ref('base_etsy__ledger_entry_changes')) %}
{%- set landed_order_utc_dates = sales_changed_created_days(ref('base_etsy__receipt_changes')) %}
{%- set landed_payment_utc_dates = sales_changed_created_days(ref('base_etsy__payment_changes')) %}
{#- Besides the changed days, the days of stored entries whose allocation would now come out
    differently, looked up when the model runs (constants: BigQuery prunes on nothing else). -#}
{%- set stale_entry_dates_query %}
-- Stored entries referring to an order they could not be allocated to, now resolvable
-- (lookup keys first, so every join is a pure equality: a hash join). Only an order or
-- payment that landed in this run can resolve one, and an entry is never created before its
-- order: stored entries from two days (time zone and clock skew) before the earliest landed
-- receipt's or payment's UTC day on, against the orders of those days.
with unallocated_order_references as (
    select
        entry_date,
        shop_id,
        case when reference_type = 'receipt' then reference_id end as receipt_reference_id,
        case when reference_type = 'transaction' then reference_id end as transaction_reference_id,
        case when reference_type = 'payment' then reference_id end as payment_reference_id,
        case when reference_type = 'shipping_label' then reference_id end as shipment_reference_id
    from {{ this }}
    where {{ sales_date_on_or_after('entry_date', landed_order_utc_dates + landed_payment_utc_dates, -2) }}
        and receipt_id is null
        and reference_type in ('receipt', 'transaction', 'payment', 'shipping_label')
),

landed_transactions as (
    select
        transaction_id,
        receipt_id
    from {{ ref('stg_etsy__transactions') }}
    where {{ sales_date_in('receipt_created_utc_date', landed_order_utc_dates) }}
),

landed_shipments as (
    select
        shipment_id,
        receipt_id
    from {{ ref('stg_etsy__shipments') }}
    where {{ sales_date_in('receipt_created_utc_date', landed_order_utc_dates) }}
),

landed_payments as (
    select
        payment_id,
        receipt_id
    from {{ ref('stg_etsy__payments') }}
    where {{ sales_date_in('created_utc_date', landed_payment_utc_dates) }}
),

landed_orders as (
    select
        receipt_id,
        shop_id
    from {{ ref('int_sales__orders') }}
    where {{ sales_date_in('order_date', sales_dates_near(landed_order_utc_dates + landed_payment_utc_dates, 1)) }}
),

newly_allocatable_dates as (
    select distinct unallocated_order_references.entry_date
    from unallocated_order_references
    left join landed_transactions
        on unallocated_order_references.transaction_reference_id = landed_transactions.transaction_id
    left join landed_payments
        on unallocated_order_references.payment_reference_id = landed_payments.payment_id
    left join landed_shipments
        on unallocated_order_references.shipment_reference_id = landed_shipments.shipment_id
    inner join landed_orders
        on coalesce(
            unallocated_order_references.receipt_reference_id,
            landed_transactions.receipt_id,
            landed_payments.receipt_id,
            landed_shipments.receipt_id
        ) = landed_orders.receipt_id
        and unallocated_order_references.shop_id = landed_orders.shop_id
)

select entry_date from newly_allocatable_dates
{%- endset %}
{%- set entry_dates_to_rebuild = (
    changed_entry_dates + sales_looked_up_dates(stale_entry_dates_query)
) | unique | sort | list %}

with shop_accounts as (
    select * from {{ ref('shop_accounts') }}
),

ledger_entry_rows as (
    select * from {{ ref('stg_etsy__ledger_entries') }}
    {% if is_incremental() %}
    where {{ sales_date_in('created_utc_date', sales_dates_near(entry_dates_to_rebuild, 1)) }}
    {% endif %}
),

-- The ledger day is the shop's: one time-zone conversion per shop and quarter hour.
local_dates as {{ materialized_cte() }} (
    {{ shop_local_dates('shop_accounts', 'ledger_entry_rows', 'shop_id', timestamp_to_epoch('created_at')) }}
),

ledger_entries as (
    select
        ledger_entry_rows.entry_id,
        ledger_entry_rows.shop_id,
        ledger_entry_rows.ledger_type,
        ledger_entry_rows.reference_type,
        ledger_entry_rows.reference_id,
        ledger_entry_rows.currency_code,
        ledger_entry_rows.amount_minor_units,
        ledger_entry_rows.created_at,
        local_dates.local_date as entry_date,
        -- Each lookup key only where the entry refers to that kind of record: a pure
        -- equality join (a hash join; the type test inside the join condition made
        -- DuckDB fall back to a nested loop over millions of rows).
        case
            when ledger_entry_rows.reference_type = 'transaction' then ledger_entry_rows.reference_id
        end as transaction_reference_id,
        case
            when ledger_entry_rows.reference_type = 'payment' then ledger_entry_rows.reference_id
        end as payment_reference_id,
        -- Etsy does not document what a shipping_label entry's reference_id is; where it
        -- is one of a receipt's shipments (receipt_shipping_id), the label is that order's.
        case
            when ledger_entry_rows.reference_type = 'shipping_label' then ledger_entry_rows.reference_id
        end as shipment_reference_id
    from ledger_entry_rows
    left join local_dates
        on ledger_entry_rows.shop_id = local_dates.shop_id
        and local_dates.epoch_quarter_hour
        = {{ epoch_quarter_hour(timestamp_to_epoch('ledger_entry_rows.created_at')) }}
    {% if is_incremental() %}
    where {{ sales_date_in('local_dates.local_date', entry_dates_to_rebuild) }}
    {% endif %}
),

transactions as (
    select
        transaction_id,
        receipt_id
    from {{ ref('stg_etsy__transactions') }}
    {% if is_incremental() %}
    where {{ sales_date_in('receipt_created_utc_date', landed_order_utc_dates) }}
    {% endif %}
),

shipments as (
    select
        shipment_id,
        receipt_id
    from {{ ref('stg_etsy__shipments') }}
    {% if is_incremental() %}
    where {{ sales_date_in('receipt_created_utc_date', landed_order_utc_dates) }}
    {% endif %}
),

currencies as (
    select
        cast(currency_code as string) as currency_code,
        cast(power(10, minor_units) as bigint) as minor_unit_divisor
    from {{ ref('iso_4217_currencies') }}
),

payments as (
    select
        payment_id,
        receipt_id
    from {{ ref('stg_etsy__payments') }}
    {% if is_incremental() %}
    where {{ sales_date_in('created_utc_date', landed_payment_utc_dates) }}
    {% endif %}
),

orders as (
    select
        receipt_id,
        shop_id,
        order_date
    from {{ ref('int_sales__orders') }}
    {% if is_incremental() %}
    where {{ sales_date_in('order_date', sales_dates_near(landed_order_utc_dates + landed_payment_utc_dates, 1)) }}
    {% endif %}
),

{% if is_incremental() %}
-- An allocation never changes once made (a receipt's lines, payment and shipments stay its
-- own), so a rebuilt entry keeps the order it was stored with.
stored_allocations as (
    select
        entry_id,
        receipt_id,
        order_date
    from {{ this }}
    where {{ sales_date_in('entry_date', entry_dates_to_rebuild) }}
        and receipt_id is not null
),
{% endif %}

resolved as (
    select
        ledger_entries.*,
        case ledger_entries.reference_type
            when 'receipt' then ledger_entries.reference_id
            when 'transaction' then transactions.receipt_id
            when 'payment' then payments.receipt_id
            when 'shipping_label' then shipments.receipt_id
        end as referenced_receipt_id,
        currencies.minor_unit_divisor
    from ledger_entries
    left join transactions
        on ledger_entries.transaction_reference_id = transactions.transaction_id
    left join payments
        on ledger_entries.payment_reference_id = payments.payment_id
    left join shipments
        on ledger_entries.shipment_reference_id = shipments.shipment_id
    -- A currency missing from the seed leaves amount null: stg_etsy__ledger_entries'
    -- currency test names it and stops the run.
    left join currencies
        on ledger_entries.currency_code = currencies.currency_code
),

final as (
    select
        resolved.entry_id,
        resolved.shop_id,
        resolved.ledger_type,
        resolved.reference_type,
        resolved.reference_id,
        -- Only a receipt of the same shop counts: ids never match across shops by accident.
        {% if is_incremental() -%}
        coalesce(orders.receipt_id, stored_allocations.receipt_id) as receipt_id,
        coalesce(orders.order_date, stored_allocations.order_date) as order_date,
        coalesce(orders.receipt_id, stored_allocations.receipt_id) is not null as is_order_level,
        {%- else -%}
        orders.receipt_id,
        orders.order_date,
        orders.receipt_id is not null as is_order_level,
        {%- endif %}
        resolved.currency_code,
        resolved.amount_minor_units,
        cast(
            cast(resolved.amount_minor_units as {{ type_money() }}) / resolved.minor_unit_divisor as {{ type_money() }}
        )
            as amount,
        resolved.created_at,
        resolved.entry_date
    from resolved
    left join orders
        on resolved.referenced_receipt_id = orders.receipt_id
        and resolved.shop_id = orders.shop_id
    {% if is_incremental() -%}
    left join stored_allocations
        on resolved.entry_id = stored_allocations.entry_id
    {%- endif %}
)

select * from final
