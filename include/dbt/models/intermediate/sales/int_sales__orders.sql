{#- One row per receipt with its line items and refunds rolled up: the expensive JSON work
    of the order fact, done incrementally by whole order days (see macros/sales/incremental.sql).
    Nothing here depends on a customer's other orders, so rebuilding only some days never
    leaves a stale figure; customer-history metrics are computed in full in
    int_sales__customer_orders. -#}
{{ config(**sales_incremental_config('order_date', ['shop_id', 'receipt_id'])) }}
{%- set rebuilt_order_dates = sales_rebuilt_local_dates(ref('base_etsy__receipt_changes')) %}

with shop_accounts as (
    select * from {{ ref('shop_accounts') }}
),

receipts as (
    select * from {{ ref('stg_etsy__receipts') }}
    {% if is_incremental() %}
    where {{ sales_date_in('created_utc_date', sales_dates_near(rebuilt_order_dates, 1)) }}
    {% endif %}
),

transactions as (
    select * from {{ ref('stg_etsy__transactions') }}
    {% if is_incremental() %}
    where {{ sales_date_in('receipt_created_utc_date', sales_dates_near(rebuilt_order_dates, 1)) }}
    {% endif %}
),

refunds as (
    select * from {{ ref('int_sales__refunds') }}
    {% if is_incremental() %}
    where {{ sales_date_in('order_date', rebuilt_order_dates) }}
    {% endif %}
),

-- The order day is the shop's: one time-zone conversion per shop and quarter hour.
local_dates as {{ materialized_cte() }} (
    {{ shop_local_dates('shop_accounts', 'receipts', 'shop_id', timestamp_to_epoch('created_at')) }}
),

dated_receipts as (
    select
        receipts.*,
        local_dates.local_date as created_date
    from receipts
    left join local_dates
        on receipts.shop_id = local_dates.shop_id
        and {{ epoch_quarter_hour(timestamp_to_epoch('receipts.created_at')) }} = local_dates.epoch_quarter_hour
),

receipts_in_scope as (
    select *
    from dated_receipts
    {% if is_incremental() %}
    where {{ sales_date_in('created_date', rebuilt_order_dates) }}
    {% endif %}
),

order_items as (
    select
        transactions.receipt_id,
        count(*) as line_item_count,
        sum(transactions.quantity) as units,
        sum(transactions.gross_amount) as line_items_gross_sales,
        sum(
            case
                when
                    transactions.currency_code = receipts_in_scope.currency_code and transactions.is_single_currency
                    then 0
                else 1
            end
        )
            as foreign_currency_line_item_count
    from transactions
    inner join receipts_in_scope
        on transactions.receipt_id = receipts_in_scope.receipt_id
    group by transactions.receipt_id
),

-- Completed refunds only (a failed or pending one gave nothing back), split into tax,
-- shipping and returned goods by int_sales__refunds.
order_refunds as (
    select
        refunds.receipt_id,
        count(*) as refund_count,
        sum(refunds.completed_refund_amount) as refunds,
        sum(refunds.refunded_tax) as refunded_tax,
        sum(refunds.refunded_shipping) as refunded_shipping,
        sum(refunds.refunded_goods) as refunded_goods,
        min(refunds.refunded_at) as first_refunded_at,
        sum(case when refunds.currency_code = receipts_in_scope.currency_code then 0 else 1 end)
            as foreign_currency_refund_count
    from refunds
    inner join receipts_in_scope
        on refunds.receipt_id = receipts_in_scope.receipt_id
    where refunds.is_completed
    group by refunds.receipt_id
),

final as (
    select
        receipts_in_scope.receipt_id,
        receipts_in_scope.shop_id,
        {{ hmac_sha256_hex("concat(receipts_in_scope.shop_id, '-', coalesce(receipts_in_scope.buyer_user_id, concat('guest-receipt-', receipts_in_scope.receipt_id)))") }}  -- noqa: LT05
            as customer_id,
        receipts_in_scope.buyer_country_code,
        receipts_in_scope.receipt_status,
        receipts_in_scope.is_canceled,
        receipts_in_scope.is_paid,
        receipts_in_scope.is_shipped,
        receipts_in_scope.is_gift,
        receipts_in_scope.payment_method,
        receipts_in_scope.created_at as ordered_at,
        receipts_in_scope.updated_at,
        receipts_in_scope.created_date as order_date,
        receipts_in_scope.currency_code,
        coalesce(order_items.line_item_count, 0) as line_item_count,
        coalesce(order_items.units, 0) as units,
        receipts_in_scope.total_price as gross_sales,
        coalesce(order_items.line_items_gross_sales, 0) as line_items_gross_sales,
        -- Etsy sends every amount of a receipt (0 when there is none): a null is one Airbyte
        -- could not type (stg_etsy__receipts.airbyte_nulled_fields), never read as 0.
        receipts_in_scope.discount_amount as discounts,
        receipts_in_scope.total_shipping_cost as shipping,
        receipts_in_scope.gift_wrap_price as gift_wrap,
        receipts_in_scope.total_tax_cost as taxes,
        receipts_in_scope.total_vat_cost as vat,
        receipts_in_scope.grand_total,
        coalesce(order_refunds.refund_count, 0) as refund_count,
        coalesce(order_refunds.refunds, 0) as refunds,
        coalesce(order_refunds.refunded_tax, 0) as refunded_tax,
        coalesce(order_refunds.refunded_shipping, 0) as refunded_shipping,
        coalesce(order_refunds.refunded_goods, 0) as refunded_goods,
        order_refunds.first_refunded_at,
        (
            receipts_in_scope.is_single_currency
            and coalesce(order_items.foreign_currency_line_item_count, 0) = 0
            and coalesce(order_refunds.foreign_currency_refund_count, 0) = 0
        ) as is_single_currency
    from receipts_in_scope
    left join order_items
        on receipts_in_scope.receipt_id = order_items.receipt_id
    left join order_refunds
        on receipts_in_scope.receipt_id = order_refunds.receipt_id
)

select * from final
