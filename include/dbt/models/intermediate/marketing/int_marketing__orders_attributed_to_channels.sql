{#- The attribution rule. Etsy orders carry no referrer and GA4 never sees the Etsy checkout,
    so orders and revenue meet traffic only at shop x day x channel: each shop-day's orders
    and revenue (shop currency; revenue = etsy_revenue, items minus discounts of orders
    not canceled, dated by the order: fct_sales_daily's definition, read from
    int_sales__orders because an intermediate model never reads a mart; the yml tests
    check both agree) are shared among that day's channels in proportion to
    their sessions.
    Exact sums: orders are whole, so they are shared by largest remainder (each channel gets
    the floor of its quota, and the orders left go to the largest remainders); revenue is
    rounded to cents and the rounding difference goes to the channel with the most sessions.
    A shop-day with sales but no GA4 session gets them on channel 'Unattributed'.
    Limits: see models/marts/marketing/marketing.md (attribution). -#}
with shop_orders as (

    select * from {{ ref('int_sales__orders') }}

),

shop_accounts as (

    select
        cast(shop_id as string) as shop_id,
        cast(shop_currency_code as string) as currency_code
    from {{ ref('shop_accounts') }}

),

channel_sessions as (

    select * from {{ ref('int_marketing__channel_sessions_daily') }}
    where sessions > 0

),

sales_days as (

    select
        shop_orders.shop_id,
        shop_orders.order_date as date_day,
        shop_orders.currency_code,
        sum(case when not shop_orders.is_canceled then 1 else 0 end) as orders,
        cast(
            coalesce(sum(case when not shop_orders.is_canceled then shop_orders.gross_sales else 0 end), 0)
            - coalesce(sum(case when not shop_orders.is_canceled then shop_orders.discounts else 0 end), 0)
            as {{ type_money() }}
        ) as revenue
    from shop_orders
    -- Shop currency only: an order in another currency fails fct_sales_daily's tests.
    inner join shop_accounts
        on shop_orders.shop_id = shop_accounts.shop_id
        and shop_orders.currency_code = shop_accounts.currency_code
    group by shop_orders.shop_id, shop_orders.order_date, shop_orders.currency_code
    having sum(case when not shop_orders.is_canceled then 1 else 0 end) <> 0
        or coalesce(sum(case when not shop_orders.is_canceled then shop_orders.gross_sales else 0 end), 0)
        - coalesce(sum(case when not shop_orders.is_canceled then shop_orders.discounts else 0 end), 0) <> 0

),

with_sessions as (

    select
        sales_days.shop_id,
        sales_days.date_day,
        sales_days.currency_code,
        coalesce(channel_sessions.channel_group, 'Unattributed') as channel_group,
        coalesce(channel_sessions.sessions, 0) as sessions,
        coalesce(channel_sessions.shop_day_sessions, 0) as shop_day_sessions,
        sales_days.orders,
        sales_days.revenue
    from sales_days
    left join channel_sessions
        on sales_days.shop_id = channel_sessions.shop_id
        and sales_days.date_day = channel_sessions.date_day

),

quotas as (

    select
        *,
        case
            when shop_day_sessions = 0 then cast(orders as {{ dbt.type_float() }})
            else cast(orders as {{ dbt.type_float() }}) * sessions / shop_day_sessions
        end as order_quota,
        case
            when shop_day_sessions = 0 then revenue
            else round(cast(revenue * sessions / shop_day_sessions as {{ type_money() }}), 2)
        end as rounded_revenue_share,
        row_number() over (
            partition by shop_id, date_day
            order by sessions desc, channel_group
        ) as session_rank
    from with_sessions

),

floored as (

    select
        *,
        cast(floor(order_quota) as {{ dbt.type_bigint() }}) as order_floor,
        order_quota - floor(order_quota) as order_remainder
    from quotas

),

ranked as (

    select
        *,
        orders - sum(order_floor) over (partition by shop_id, date_day) as orders_left,
        row_number() over (
            partition by shop_id, date_day
            order by order_remainder desc, sessions desc, channel_group
        ) as remainder_rank,
        sum(case when session_rank > 1 then rounded_revenue_share else 0 end)
            over (partition by shop_id, date_day) as revenue_shared_to_others
    from floored

),

final as (

    select
        shop_id,
        date_day,
        channel_group,
        currency_code,
        sessions,
        shop_day_sessions,
        orders as shop_day_orders,
        revenue as shop_day_revenue,
        order_floor + case when remainder_rank <= orders_left then 1 else 0 end as attributed_orders,
        cast(
            case when session_rank = 1 then revenue - revenue_shared_to_others else rounded_revenue_share end
            as {{ type_money() }}
        ) as attributed_revenue
    from ranked

)

select * from final
