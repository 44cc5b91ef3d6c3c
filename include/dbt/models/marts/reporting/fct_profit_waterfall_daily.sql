{#- The profit walk of each shop, currency and shop-local day, one row per step: gross
    sales, then what comes off or on (discounts, returned goods, shipping charged and its
    refunded part, each Etsy fee
    kind, shipping labels, cost of goods) down to net profit. Amounts are signed as they
    move profit (a fee is negative), so a period's steps summed in Looker Studio make the
    waterfall of any date range. Every figure is read from the sales marts by column name:
    corrections there flow through. A last `other_adjustments` step holds whatever part of
    fct_sales_daily.net_profit the named steps do not explain (zero today; a test says so). -#}
{{ config(**date_partitioned_table_config('date_day', ['shop_id'])) }}

with sales_daily as (
    select * from {{ ref('fct_sales_daily') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
    where {{ all_partitions('order_date') }}
),

-- Order-level fees by kind, dated by the order like fct_sales_daily.order_etsy_fees
-- (canceled orders' fees still count).
order_fees_by_day as (
    select
        shop_id,
        currency_code,
        order_date as date_day,
        {% for fee_type in etsy_order_fee_types() -%}
        sum({{ fee_type }}_fees) as {{ fee_type }}_fees,
        {% endfor -%}
        sum(other_etsy_fees) as other_order_fees
    from orders
    group by shop_id, currency_code, order_date
),

days as (
    select
        sales_daily.shop_id,
        sales_daily.date_day,
        sales_daily.currency_code,
        sales_daily.is_shop_currency,
        sales_daily.gross_sales,
        sales_daily.discounts,
        sales_daily.refunded_goods,
        sales_daily.shipping,
        sales_daily.refunded_shipping,
        {% for fee_type in etsy_order_fee_types() -%}
        coalesce(order_fees_by_day.{{ fee_type }}_fees, 0) as {{ fee_type }}_fees,
        {% endfor -%}
        coalesce(order_fees_by_day.other_order_fees, 0) as other_order_fees,
        sales_daily.shop_etsy_fees,
        sales_daily.shipping_label_costs,
        sales_daily.cost_of_goods,
        sales_daily.net_profit
    from sales_daily
    left join order_fees_by_day
        on sales_daily.shop_id = order_fees_by_day.shop_id
        and sales_daily.currency_code = order_fees_by_day.currency_code
        and sales_daily.date_day = order_fees_by_day.date_day
),

{%- set steps = [
    ('gross_sales', 'gross_sales', 'total'),
    ('discounts', '-discounts', 'change'),
    ('returned_goods', '-refunded_goods', 'change'),
    ('shipping_charged', 'shipping', 'change'),
    ('refunded_shipping', '-refunded_shipping', 'change'),
] -%}
{%- for fee_type in etsy_order_fee_types() -%}
{%- do steps.append((fee_type ~ '_fees', '-' ~ fee_type ~ '_fees', 'change')) -%}
{%- endfor -%}
{%- do steps.extend([
    ('other_order_fees', '-other_order_fees', 'change'),
    ('shop_level_fees', '-shop_etsy_fees', 'change'),
    ('shipping_labels', '-shipping_label_costs', 'change'),
    ('cost_of_goods', '-cost_of_goods', 'change'),
]) -%}
{%- set named_steps_sum = steps | map(attribute=1) | join(' + ') %}

steps as (
    {% for step_name, amount, step_kind in steps -%}
    select
        shop_id,
        date_day,
        currency_code,
        is_shop_currency,
        {{ loop.index }} as step_number,
        '{{ step_name }}' as step_name,
        '{{ step_kind }}' as step_kind,
        {{ amount }} as amount
    from days
    union all
    {% endfor -%}
    select
        shop_id,
        date_day,
        currency_code,
        is_shop_currency,
        {{ steps | length + 1 }} as step_number,
        'other_adjustments' as step_name,
        'change' as step_kind,
        net_profit - ({{ named_steps_sum | replace('+ -', '- ') }}) as amount
    from days
    union all
    select
        shop_id,
        date_day,
        currency_code,
        is_shop_currency,
        {{ steps | length + 2 }} as step_number,
        'net_profit' as step_name,
        'total' as step_kind,
        net_profit as amount
    from days
),

final as (
    select
        shop_id,
        date_day,
        currency_code,
        is_shop_currency,
        cast(step_number as {{ dbt.type_bigint() }}) as step_number,
        cast(step_name as {{ dbt.type_string() }}) as step_name,
        cast(step_kind as {{ dbt.type_string() }}) as step_kind,
        cast(amount as {{ type_money() }}) as amount
    from steps
)

select * from final
