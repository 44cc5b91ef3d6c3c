{#- The 360° view: one row per shop and shop-local day, from the shop's first day with data
    in any source to the last day any source has data. Sales (shop currency) from
    fct_sales_daily, website traffic from GA4's website_overview, Instagram from
    fct_instagram_account_daily; conversion rate = orders / sessions. Each headline metric
    also appears for the previous day (the previous period of a one-day period) and for the
    same weekday one year earlier (364 days back, so weekdays line up). Ratios and distinct
    counts (conversion_rate, average_order_value, total_users, followers_count, reach) are
    not additive: re-aggregate from their parts. Definitions: marts/marketing/marketing.md. -#}
{{ config(**date_partitioned_table_config('date_day', ['shop_id'])) }}

{#- Money columns of fct_sales_daily carried through as they are (shop currency), so the
    reconciliation tests hold each one to fct_sales_daily per shop and day. -#}
{%- set sales_money_columns = ['gross_sales', 'discounts', 'refunds', 'refunded_tax', 'refunded_shipping',
                               'refunded_goods', 'net_sales', 'shipping', 'taxes', 'total_sales'] %}
{%- for fee_type in etsy_order_fee_types() %}{% do sales_money_columns.append(fee_type ~ '_fees') %}{% endfor %}
{%- do sales_money_columns.extend(['other_order_fees', 'order_etsy_fees']) %}
{%- for column in etsy_shop_fee_columns() %}{% do sales_money_columns.append(column) %}{% endfor %}
{%- do sales_money_columns.extend(['other_shop_fees', 'shop_etsy_fees', 'etsy_fees', 'estimated_etsy_fees',
                                   'order_shipping_label_costs', 'shop_shipping_label_costs', 'shipping_label_costs',
                                   'cost_of_goods', 'net_profit']) %}
{%- set compared = ['revenue', 'net_sales', 'net_profit', 'orders', 'average_order_value', 'sessions',
                    'conversion_rate', 'followers_count', 'new_followers', 'instagram_reach', 'posts_published'] %}
with sales_daily as (

    select * from {{ ref('fct_sales_daily') }}

),

web_daily_totals as (

    select * from {{ ref('int_marketing__web_daily_totals') }}

),

instagram_daily as (

    select * from {{ ref('fct_instagram_account_daily') }}

),

shop_accounts as (

    select * from {{ ref('int_marketing__shop_accounts') }}

),

sales as (

    select
        shop_id,
        date_day,
        {%- for column in sales_money_columns %}
        sum(case when is_shop_currency then {{ column }} else 0 end) as {{ column }},
        {%- endfor %}
        sum(case when is_shop_currency then etsy_revenue else 0 end) as revenue,
        sum(
            case when is_shop_currency then unattributed_shipping_label_count else 0 end
        ) as unattributed_shipping_label_count,
        sum(case when is_shop_currency then orders else 0 end) as orders,
        sum(case when is_shop_currency then units else 0 end) as units,
        sum(case when is_shop_currency then new_customers else 0 end) as new_customers,
        sum(case when is_shop_currency then returning_customers else 0 end) as returning_customers,
        sum(case when not is_shop_currency then orders else 0 end) as other_currency_orders
    from sales_daily
    group by shop_id, date_day

),

web as (

    select * from web_daily_totals
    where shop_id is not null

),

instagram as (

    select
        shop_id,
        date_day,
        followers_count,
        new_followers,
        reach as instagram_reach,
        post_interactions as instagram_interactions,
        posts_published,
        stories_published
    from instagram_daily

),

shop_days as (

    select
        shop_id,
        date_day
    from sales
    union all
    select
        shop_id,
        date_day
    from web
    union all
    select
        shop_id,
        date_day
    from instagram

),

shop_ranges as (

    select
        shop_id,
        min(date_day) as first_day
    from shop_days
    group by shop_id

),

last_day as (

    select max(date_day) as last_day from shop_days

),

calendar as (

    select
        shop_ranges.shop_id,
        -- The date spine's column: BigQuery's unnest names no table to qualify it with.
        date_day  -- noqa: RF02
    from shop_ranges
    cross join last_day
    {{ cross_join_date_spine('shop_ranges.first_day', 'last_day.last_day', 'date_day') }}

),

daily as (

    select
        calendar.shop_id,
        calendar.date_day,
        shop_accounts.shop_currency_code as currency_code,
        {%- for column in sales_money_columns %}
        cast(coalesce(sales.{{ column }}, 0) as {{ type_money() }}) as {{ column }},
        {%- endfor %}
        cast(coalesce(sales.revenue, 0) as {{ type_money() }}) as revenue,
        cast(
            coalesce(sales.unattributed_shipping_label_count, 0) as {{ dbt.type_bigint() }}
        ) as unattributed_shipping_label_count,
        cast(coalesce(sales.orders, 0) as {{ dbt.type_bigint() }}) as orders,
        cast(coalesce(sales.units, 0) as {{ dbt.type_bigint() }}) as units,
        cast(case when sales.orders > 0 then sales.revenue / sales.orders end as {{ type_money() }})
            as average_order_value,
        cast(coalesce(sales.new_customers, 0) as {{ dbt.type_bigint() }}) as new_customers,
        cast(coalesce(sales.returning_customers, 0) as {{ dbt.type_bigint() }}) as returning_customers,
        cast(coalesce(sales.other_currency_orders, 0) as {{ dbt.type_bigint() }}) as other_currency_orders,
        web.date_day is not null as has_web_data,
        coalesce(web.sessions, 0) as sessions,
        coalesce(web.engaged_sessions, 0) as engaged_sessions,
        coalesce(web.page_views, 0) as page_views,
        coalesce(web.new_users, 0) as new_users,
        coalesce(web.key_events, 0) as key_events,
        web.total_users,
        case
            when web.sessions > 0
                then cast(
                        cast(coalesce(sales.orders, 0) + coalesce(sales.other_currency_orders, 0) as {{ type_money() }})
                        / web.sessions as {{ type_money() }}
                    )
        end as conversion_rate,
        instagram.date_day is not null as has_instagram_data,
        instagram.followers_count,
        coalesce(instagram.new_followers, 0) as new_followers,
        instagram.instagram_reach,
        coalesce(instagram.instagram_interactions, 0) as instagram_interactions,
        coalesce(instagram.posts_published, 0) as posts_published,
        coalesce(instagram.stories_published, 0) as stories_published
    from calendar
    left join shop_accounts
        on calendar.shop_id = shop_accounts.shop_id
    left join sales
        on calendar.shop_id = sales.shop_id
        and calendar.date_day = sales.date_day
    left join web
        on calendar.shop_id = web.shop_id
        and calendar.date_day = web.date_day
    left join instagram
        on calendar.shop_id = instagram.shop_id
        and calendar.date_day = instagram.date_day

),

final as (

    select
        {% for metric in compared %}
        previous_day.{{ metric }} as previous_day_{{ metric }},
        last_year.{{ metric }} as last_year_{{ metric }},
        {% endfor %}
        daily.*
    from daily
    left join daily as previous_day
        on daily.shop_id = previous_day.shop_id
        and previous_day.date_day = {{ date_add_days('daily.date_day', -1) }}
    left join daily as last_year
        on daily.shop_id = last_year.shop_id
        and last_year.date_day = {{ date_add_days('daily.date_day', -364) }}

)

select * from final
