{#- Refunds with their order's day: incremental by order day like int_sales__orders, so a
    refund is rebuilt whenever its receipt is (refunds live inside the receipt). -#}
-- depends_on: {{ ref('stg_etsy__receipts') }} (read by sales_changed_order_dates on incremental runs)
{{ config(**sales_incremental_config('order_date', ['shop_id', 'receipt_id'])) }}

with refunds as (
    select * from {{ ref('stg_etsy__refunds') }}
),

{% if is_incremental() %}
changed_order_dates as (
    {{ sales_changed_order_dates() }}
),
{% endif %}

orders as (
    select * from {{ ref('int_sales__orders') }}
    {% if is_incremental() %}
    where order_date in (select order_date from changed_order_dates)
    {% endif %}
),

final as (
    select
        refunds.refund_id,
        refunds.receipt_id,
        refunds.shop_id,
        orders.customer_id,
        orders.order_date,
        orders.is_canceled as is_canceled_order,
        refunds.refund_status,
        refunds.refund_reason,
        refunds.currency_code,
        refunds.refund_amount,
        refunds.refunded_at,
        refunds.refunded_date
    from refunds
    inner join orders
        on refunds.receipt_id = orders.receipt_id
)

select * from final
