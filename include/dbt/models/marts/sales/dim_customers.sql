{#- One row per customer of a shop. A customer is a hashed (shop, Etsy buyer) pair:
    no name, email or address leaves staging. Lifetime figures count non-canceled orders,
    in the currency those orders were paid in. -#}
{{ config(cluster_by=['shop_id', 'customer_id']) }}

with orders as (
    select * from {{ ref('fct_orders') }}
    where {{ all_partitions('order_date') }}
),

customer_orders as (
    select
        customer_id,
        shop_id,
        currency_code,
        count(*) as receipt_count,
        sum(case when not is_canceled then 1 else 0 end) as order_count,
        min(case when not is_canceled then ordered_at end) as first_ordered_at,
        max(case when not is_canceled then ordered_at end) as last_ordered_at,
        min(case when not is_canceled then order_date end) as first_order_date,
        max(case when not is_canceled then order_date end) as last_order_date,
        sum(case when not is_canceled then units else 0 end) as lifetime_units,
        sum(case when not is_canceled then gross_sales else 0 end) as lifetime_gross_sales,
        sum(case when not is_canceled then net_sales else 0 end) as lifetime_net_sales,
        sum(case when not is_canceled then net_profit else 0 end) as lifetime_net_profit
    from orders
    group by customer_id, shop_id, currency_code
),

latest_country as (
    select
        customer_id,
        buyer_country_code
    from orders
    {{ latest_per_group('customer_id', 'ordered_at desc, receipt_id desc') }}
),

final as (
    select
        customer_orders.customer_id,
        customer_orders.shop_id,
        customer_orders.currency_code,
        latest_country.buyer_country_code,
        customer_orders.receipt_count,
        customer_orders.order_count,
        customer_orders.order_count > 1 as is_repeat_customer,
        customer_orders.first_ordered_at,
        customer_orders.last_ordered_at,
        customer_orders.first_order_date,
        customer_orders.last_order_date,
        cast({{ dbt.date_trunc('month', 'customer_orders.first_order_date') }} as date) as cohort_month,
        customer_orders.lifetime_units,
        customer_orders.lifetime_gross_sales,
        customer_orders.lifetime_net_sales,
        customer_orders.lifetime_net_profit,
        cast(case when customer_orders.order_count > 0 then customer_orders.lifetime_net_sales / customer_orders.order_count end as {{ type_money() }})
            as average_order_net_sales
    from customer_orders
    left join latest_country
        on customer_orders.customer_id = latest_country.customer_id
)

select * from final
