{#- One row per shop, currency, first-order month (cohort) and month since it, zero-filled
    to the latest month with orders: how many of the cohort's customers ordered again, and
    what they spent. Non-canceled orders only. -#}
{{ config(**date_partitioned_table_config('cohort_month', ['shop_id'], granularity='month')) }}

with orders as (
    select * from {{ ref('fct_orders') }}
    where {{ all_partitions('order_date') }}
        and not is_canceled
),

customers as (
    select * from {{ ref('dim_customers') }}
    where cohort_month is not null
),

cohorts as (
    select
        shop_id,
        currency_code,
        cohort_month,
        count(*) as cohort_customers
    from customers
    group by shop_id, currency_code, cohort_month
),

activity as (
    select
        customers.shop_id,
        customers.currency_code,
        customers.cohort_month,
        cast({{ dbt.date_trunc('month', 'orders.order_date') }} as date) as activity_month,
        count(distinct orders.customer_id) as active_customers,
        count(*) as orders,
        sum(orders.net_sales) as net_sales
    from orders
    inner join customers
        on orders.customer_id = customers.customer_id
        and orders.currency_code = customers.currency_code
    group by customers.shop_id, customers.currency_code, customers.cohort_month, activity_month
),

last_month as (
    select max(activity_month) as last_month from activity
),

calendar as (
    select
        cohorts.shop_id,
        cohorts.currency_code,
        cohorts.cohort_month,
        cohorts.cohort_customers,
        -- The date spine's column: BigQuery's unnest names no table to qualify it with.
        calendar_day as activity_month  -- noqa: RF02
    from cohorts
    cross join last_month
    {{ cross_join_date_spine('cohorts.cohort_month', 'last_month.last_month', 'calendar_day') }}
    where calendar_day = cast({{ dbt.date_trunc('month', 'calendar_day') }} as date)  -- noqa: RF02
),

final as (
    select
        calendar.shop_id,
        calendar.currency_code,
        calendar.cohort_month,
        calendar.activity_month,
        cast(
            {{ dbt.datediff('calendar.cohort_month', 'calendar.activity_month', 'month') }} as {{ dbt.type_bigint() }}  -- noqa: LT05
        ) as months_since_first_order,
        calendar.cohort_customers,
        coalesce(activity.active_customers, 0) as active_customers,
        cast(
            cast(coalesce(activity.active_customers, 0) as {{ type_money() }}) / calendar.cohort_customers
            as {{ type_money() }}
        ) as retention_rate,
        coalesce(activity.orders, 0) as orders,
        coalesce(activity.net_sales, 0) as net_sales
    from calendar
    left join activity
        on calendar.shop_id = activity.shop_id
        and calendar.currency_code = activity.currency_code
        and calendar.cohort_month = activity.cohort_month
        and calendar.activity_month = activity.activity_month
)

select * from final
