{#- Each order's place in its customer's history, recomputed over every order on every
    run. Deliberately not incremental: an order backfilled or re-dated on an incremental run
    shifts the sequence of the customer's later orders, which a day-by-day rebuild would
    leave stale (dbt_shopify dropped incrementality for this). The columns are narrow, so
    the full pass is cheap. Canceled orders take no place in the sequence. -#}
{{ config(materialized='table') }}

with orders as (
    select
        receipt_id,
        shop_id,
        customer_id,
        ordered_at,
        order_date,
        is_canceled
    from {{ ref('int_sales__orders') }}
),

sequenced as (
    select
        receipt_id,
        shop_id,
        customer_id,
        order_date,
        case
            when not is_canceled
                then row_number() over (partition by shop_id, customer_id, is_canceled order by ordered_at, receipt_id)
        end as customer_order_sequence_number
    from orders
),

final as (
    select
        receipt_id,
        shop_id,
        customer_id,
        customer_order_sequence_number,
        customer_order_sequence_number = 1 as is_new_customer,
        customer_order_sequence_number > 1 as is_returning_customer
    from sequenced
)

select * from final
