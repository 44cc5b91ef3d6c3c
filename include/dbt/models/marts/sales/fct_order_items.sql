{#- One row per transaction (order line), dated by its order: partitions line up with
    fct_orders, and a day is rebuilt whenever one of its receipts changed. -#}
{{ config(**sales_incremental_config(
    'order_date', ['shop_id', 'listing_id', 'receipt_id'], require_partition_filter=true
)) }}
{%- set rebuilt_order_dates = sales_rebuilt_local_dates(ref('base_etsy__receipt_changes')) %}

with transactions as (
    select * from {{ ref('stg_etsy__transactions') }}
    {% if is_incremental() %}
    where {{ sales_date_in('receipt_created_utc_date', sales_dates_near(rebuilt_order_dates, 1)) }}
    {% endif %}
),

orders as (
    select * from {{ ref('int_sales__orders') }}
    {% if is_incremental() %}
    where {{ sales_date_in('order_date', rebuilt_order_dates) }}
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
