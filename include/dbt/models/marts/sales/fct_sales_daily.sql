{#- One row per shop, currency and shop-local day, zero-filled from the shop's first
    activity to the latest day any shop has data. Sales are dated by the order, refunds by
    the refund (Shopify's returns), Etsy fees of orders by the order and shop-level fees
    (listings, ads...) by the ledger entry. Canceled orders add no sales, orders or
    customers; their fees still count. A day is its orders (by order day), its refunds (by
    refund day) and its costs of no order (shop-level fees, labels that match no
    shipment), each in its own columns; the reconciliation tests in _sales__models.yml
    hold every column to its source per shop, currency and day. Definitions:
    docs/metrics.md. -#}
{{ config(**date_partitioned_table_config('date_day', ['shop_id'])) }}

with orders as (
    select * from {{ ref('fct_orders') }}
    where {{ all_partitions('order_date') }}
),

refunds as (
    select * from {{ ref('int_sales__refunds') }}
),

ledger_allocations as (
    select * from {{ ref('int_sales__ledger_allocations_classified') }}
),

shop_accounts as (
    select
        cast(shop_id as string) as shop_id,
        cast(shop_currency_code as string) as currency_code
    from {{ ref('shop_accounts') }}
),

{%- set shop_fee_columns = etsy_shop_fee_columns() %}
{%- set grouped_shop_fee_types = shop_fee_columns.values() | sum(start=[]) %}

orders_by_day as (
    select
        shop_id,
        currency_code,
        order_date as date_day,
        sum(case when not is_canceled then gross_sales else 0 end) as gross_sales,
        sum(case when not is_canceled then discounts else 0 end) as discounts,
        sum(case when not is_canceled then shipping + gift_wrap else 0 end) as shipping,
        sum(case when not is_canceled then taxes else 0 end) as taxes,
        sum(case when not is_canceled then 1 else 0 end) as orders,
        sum(case when not is_canceled then units else 0 end) as units,
        count(distinct case when is_new_customer then customer_id end) as new_customers,
        count(distinct case when is_returning_customer then customer_id end) as returning_customers,
        {%- for fee_type in etsy_order_fee_types() %}
        sum({{ fee_type }}_fees) as {{ fee_type }}_fees,
        {%- endfor %}
        sum(other_etsy_fees) as other_order_fees,
        sum(etsy_fees) as order_etsy_fees,
        sum(estimated_etsy_fees) as estimated_etsy_fees,
        sum(shipping_label_costs) as order_shipping_label_costs,
        sum(cost_of_goods) as cost_of_goods
    from orders
    group by shop_id, currency_code, order_date
),

refunds_by_day as (
    select
        shop_id,
        currency_code,
        refunded_date as date_day,
        sum(completed_refund_amount) as refunds,
        sum(refunded_tax) as refunded_tax,
        sum(refunded_shipping) as refunded_shipping,
        sum(refunded_goods) as refunded_goods
    from refunds
    where not is_canceled_order
    group by shop_id, currency_code, refunded_date
),

shop_ledger_by_day as (
    select
        shop_id,
        currency_code,
        entry_date as date_day,
        {%- for column, fee_types in shop_fee_columns.items() %}
        cast(
            -sum(
                case
                    when not is_order_level and entry_class = 'fee' and fee_type in ('{{ fee_types | join("', '") }}')  -- noqa: LT05
                        then amount
                    else 0
                end
            ) as {{ type_money() }}
        ) as {{ column }},
        {%- endfor %}
        cast(
            -sum(
                case
                    when
                        not is_order_level and entry_class = 'fee'
                        and fee_type not in ('{{ grouped_shop_fee_types | join("', '") }}')  -- noqa: LT05
                        then amount
                    else 0
                end
            ) as {{ type_money() }}
        ) as other_shop_fees,
        cast(-sum(case when not is_order_level and entry_class = 'fee' then amount else 0 end) as {{ type_money() }})
            as shop_etsy_fees,
        cast(
            -sum(case when not is_order_level and entry_class = 'shipping_label' then amount else 0 end)
            as {{ type_money() }}
        ) as shop_shipping_label_costs,
        sum(case when not is_order_level and entry_class = 'shipping_label' and amount < 0 then 1 else 0 end)
            as unattributed_shipping_label_count,
        -- Ledger types missing from the mapping seed, order-level or not: shown, never dropped.
        cast(sum(case when entry_class is null then amount else 0 end) as {{ type_money() }})
            as unclassified_ledger_amount
    from ledger_allocations
    group by shop_id, currency_code, entry_date
),

activity_days as (
    select
        shop_id,
        currency_code,
        date_day
    from orders_by_day
    union all
    select
        shop_id,
        currency_code,
        date_day
    from refunds_by_day
    union all
    select
        shop_id,
        currency_code,
        date_day
    from shop_ledger_by_day
),

shop_currencies as (
    select
        shop_id,
        currency_code,
        min(date_day) as first_day
    from activity_days
    group by shop_id, currency_code
),

last_day as (
    select max(date_day) as last_day from activity_days
),

calendar as (
    select
        shop_currencies.shop_id,
        shop_currencies.currency_code,
        -- The date spine's column: BigQuery's unnest names no table to qualify it with.
        date_day  -- noqa: RF02
    from shop_currencies
    cross join last_day
    {{ cross_join_date_spine('shop_currencies.first_day', 'last_day.last_day', 'date_day') }}
),

joined as (
    select
        calendar.shop_id,
        calendar.date_day,
        calendar.currency_code,
        calendar.currency_code = shop_accounts.currency_code as is_shop_currency,
        coalesce(orders_by_day.gross_sales, 0) as gross_sales,
        coalesce(orders_by_day.discounts, 0) as discounts,
        coalesce(refunds_by_day.refunds, 0) as refunds,
        coalesce(refunds_by_day.refunded_tax, 0) as refunded_tax,
        coalesce(refunds_by_day.refunded_shipping, 0) as refunded_shipping,
        coalesce(refunds_by_day.refunded_goods, 0) as refunded_goods,
        coalesce(orders_by_day.shipping, 0) as shipping,
        coalesce(orders_by_day.taxes, 0) as taxes,
        coalesce(orders_by_day.orders, 0) as orders,
        coalesce(orders_by_day.units, 0) as units,
        coalesce(orders_by_day.new_customers, 0) as new_customers,
        coalesce(orders_by_day.returning_customers, 0) as returning_customers,
        {%- for fee_type in etsy_order_fee_types() %}
        coalesce(orders_by_day.{{ fee_type }}_fees, 0) as {{ fee_type }}_fees,
        {%- endfor %}
        coalesce(orders_by_day.other_order_fees, 0) as other_order_fees,
        coalesce(orders_by_day.order_etsy_fees, 0) as order_etsy_fees,
        {%- for column in shop_fee_columns %}
        coalesce(shop_ledger_by_day.{{ column }}, 0) as {{ column }},
        {%- endfor %}
        coalesce(shop_ledger_by_day.other_shop_fees, 0) as other_shop_fees,
        coalesce(shop_ledger_by_day.shop_etsy_fees, 0) as shop_etsy_fees,
        coalesce(orders_by_day.estimated_etsy_fees, 0) as estimated_etsy_fees,
        coalesce(orders_by_day.order_shipping_label_costs, 0) as order_shipping_label_costs,
        coalesce(shop_ledger_by_day.shop_shipping_label_costs, 0) as shop_shipping_label_costs,
        coalesce(shop_ledger_by_day.unattributed_shipping_label_count, 0) as unattributed_shipping_label_count,
        coalesce(orders_by_day.cost_of_goods, 0) as cost_of_goods,
        coalesce(shop_ledger_by_day.unclassified_ledger_amount, 0) as unclassified_ledger_amount
    from calendar
    left join shop_accounts
        on calendar.shop_id = shop_accounts.shop_id
    left join orders_by_day
        on calendar.shop_id = orders_by_day.shop_id
        and calendar.currency_code = orders_by_day.currency_code
        and calendar.date_day = orders_by_day.date_day
    left join refunds_by_day
        on calendar.shop_id = refunds_by_day.shop_id
        and calendar.currency_code = refunds_by_day.currency_code
        and calendar.date_day = refunds_by_day.date_day
    left join shop_ledger_by_day
        on calendar.shop_id = shop_ledger_by_day.shop_id
        and calendar.currency_code = shop_ledger_by_day.currency_code
        and calendar.date_day = shop_ledger_by_day.date_day
),

final as (
    select
        shop_id,
        date_day,
        currency_code,
        is_shop_currency,
        gross_sales,
        discounts,
        refunds,
        refunded_tax,
        refunded_shipping,
        refunded_goods,
        cast(gross_sales - discounts - refunded_goods as {{ type_money() }}) as net_sales,
        shipping,
        taxes,
        cast(gross_sales - discounts + shipping + taxes - refunds as {{ type_money() }}) as total_sales,
        cast(gross_sales - discounts as {{ type_money() }}) as etsy_revenue,
        cast(orders as {{ dbt.type_bigint() }}) as orders,
        cast(units as {{ dbt.type_bigint() }}) as units,
        cast(case when orders > 0 then (gross_sales - discounts) / orders end as {{ type_money() }})
            as average_order_value,
        new_customers,
        returning_customers,
        cast(order_etsy_fees + shop_etsy_fees as {{ type_money() }}) as etsy_fees,
        {%- for fee_type in etsy_order_fee_types() %}
        {{ fee_type }}_fees,
        {%- endfor %}
        other_order_fees,
        order_etsy_fees,
        {%- for column in shop_fee_columns %}
        {{ column }},
        {%- endfor %}
        other_shop_fees,
        shop_etsy_fees,
        estimated_etsy_fees,
        cast(order_shipping_label_costs + shop_shipping_label_costs as {{ type_money() }}) as shipping_label_costs,
        order_shipping_label_costs,
        shop_shipping_label_costs,
        cast(unattributed_shipping_label_count as {{ dbt.type_bigint() }}) as unattributed_shipping_label_count,
        cost_of_goods,
        cast(
            gross_sales - discounts - refunded_goods + shipping - refunded_shipping
            - order_etsy_fees - shop_etsy_fees - order_shipping_label_costs - shop_shipping_label_costs - cost_of_goods
            as {{ type_money() }}
        ) as net_profit,
        unclassified_ledger_amount
    from joined
)

select * from final
