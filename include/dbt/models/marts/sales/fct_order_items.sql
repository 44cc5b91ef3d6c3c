{#- One row per transaction (order line), dated by its order: partitions line up with
    fct_orders, and a day is rebuilt whenever one of its receipts changed. -#}
-- depends_on: {{ ref('stg_etsy__receipts') }}, {{ ref('shop_accounts') }}
-- (read in the incremental branch, which dbt's parse does not render)
{{ config(**sales_incremental_config(
    'order_date', ['shop_id', 'listing_id', 'receipt_id'], require_partition_filter=true
)) }}

with
{% if is_incremental() %}
changed_order_dates as (
    {{ sales_changed_order_dates(ref('stg_etsy__receipts'), ref('shop_accounts')) }}
),
{% endif %}

transactions as (
    select * from {{ ref('stg_etsy__transactions') }}
    {% if is_incremental() %}
    where {{ sales_utc_date_near_local_dates('receipt_created_utc_date', 'changed_order_dates', 'order_date') }}
    {% endif %}
),

orders as (
    select * from {{ ref('int_sales__orders') }}
    {% if is_incremental() %}
    where order_date in (select order_date from changed_order_dates)
    {% endif %}
),

final as (
    select
        transactions.transaction_id,
        transactions.receipt_id,
        transactions.shop_id,
        orders.customer_id,
        transactions.listing_id,
        transactions.product_id,
        transactions.sku,
        transactions.title,
        transactions.transaction_type,
        transactions.is_digital,
        orders.is_canceled as is_canceled_order,
        orders.ordered_at,
        orders.order_date,
        transactions.paid_at,
        transactions.shipped_at,
        transactions.currency_code,
        transactions.quantity,
        transactions.unit_price,
        transactions.gross_amount as gross_sales,
        transactions.buyer_coupon_amount,
        transactions.shop_coupon_amount,
        transactions.shipping_cost
    from transactions
    inner join orders
        on transactions.receipt_id = orders.receipt_id
)

select * from final
