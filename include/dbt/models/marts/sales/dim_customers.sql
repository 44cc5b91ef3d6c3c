{#- One row per customer of a shop. A customer is a hashed (shop, Etsy buyer) pair:
    no name, email or address leaves staging. Lifetime figures count the non-canceled orders
    in the shop's currency (shop_accounts), the row's currency_code: receipts are always in
    it (staging blocks any other), and one in another currency would be left out of the
    figures rather than summed with them. -#}
{{ config(cluster_by=['shop_id', 'customer_id']) }}
{%- set counted = 'not orders.is_canceled and orders.currency_code = shop_accounts.currency_code' %}

with orders as (
    select * from {{ ref('fct_orders') }}
    where {{ all_partitions('order_date') }}
),

shop_accounts as (
    select
        cast(shop_id as string) as shop_id,
        cast(shop_currency_code as string) as currency_code
    from {{ ref('shop_accounts') }}
),

customer_orders as (
    select
        orders.customer_id,
        orders.shop_id,
        shop_accounts.currency_code,
        count(*) as receipt_count,
        sum(case when {{ counted }} then 1 else 0 end) as order_count,
        min(case when {{ counted }} then orders.ordered_at end) as first_ordered_at,
        max(case when {{ counted }} then orders.ordered_at end) as last_ordered_at,
        min(case when {{ counted }} then orders.order_date end) as first_order_date,
        max(case when {{ counted }} then orders.order_date end) as last_order_date,
        sum(case when {{ counted }} then orders.units else 0 end) as lifetime_units,
        sum(case when {{ counted }} then orders.gross_sales else 0 end) as lifetime_gross_sales,
        sum(case when {{ counted }} then orders.net_sales else 0 end) as lifetime_net_sales,
        sum(case when {{ counted }} then orders.net_profit else 0 end) as lifetime_net_profit
    from orders
    left join shop_accounts
        on orders.shop_id = shop_accounts.shop_id
    group by orders.customer_id, orders.shop_id, shop_accounts.currency_code
),

latest_country as (
    select
        customer_id,
        buyer_country_code
    from orders
    qualify row_number() over (partition by customer_id order by ordered_at desc, receipt_id desc) = 1
),

final as (
    select
        customer_orders.customer_id,
        customer_orders.shop_id,
        customer_orders.currency_code,
        latest_country.buyer_country_code,
        customer_orders.receipt_count,
        cast(customer_orders.order_count as {{ dbt.type_bigint() }}) as order_count,
        customer_orders.order_count > 1 as is_repeat_customer,
        customer_orders.first_ordered_at,
        customer_orders.last_ordered_at,
        customer_orders.first_order_date,
        customer_orders.last_order_date,
        cast({{ dbt.date_trunc('month', 'customer_orders.first_order_date') }} as date) as cohort_month,
        cast(customer_orders.lifetime_units as {{ dbt.type_bigint() }}) as lifetime_units,
        cast(customer_orders.lifetime_gross_sales as {{ type_money() }}) as lifetime_gross_sales,
        cast(customer_orders.lifetime_net_sales as {{ type_money() }}) as lifetime_net_sales,
        cast(customer_orders.lifetime_net_profit as {{ type_money() }}) as lifetime_net_profit,
        cast(
            case
                when customer_orders.order_count > 0
                    then customer_orders.lifetime_net_sales / customer_orders.order_count
            end
            as {{ type_money() }}
        ) as average_order_net_sales
    from customer_orders
    left join latest_country
        on customer_orders.customer_id = latest_country.customer_id
)

select * from final
