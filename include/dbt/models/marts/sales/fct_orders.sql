{#- One row per receipt (order). Built in full from incremental parts: the receipt roll-up
    (int_sales__orders), fees (int_sales__order_fees), and the customer's history
    (int_sales__customer_orders), which must see every order to stay right.
    Sales tax is not the shop's money: it is left out of net sales and net profit on the
    sale and on the refund (docs/metrics.md). A canceled order counts no sales: its net
    sales are 0 and its net profit is what it still cost (fees, labels, goods). -#}
{{ config(**date_partitioned_table_config(
    'order_date', ['shop_id', 'customer_id', 'receipt_id'], require_partition_filter=true
)) }}

with orders as (
    select * from {{ ref('int_sales__orders') }}
),

customer_orders as (
    select * from {{ ref('int_sales__customer_orders') }}
),

order_fees as (
    select * from {{ ref('int_sales__order_fees') }}
),

ledger_allocations as (
    select * from {{ ref('int_sales__ledger_allocations_classified') }}
),

order_items as (
    select * from {{ ref('fct_order_items') }}
    where {{ all_partitions('order_date') }}
),

listing_costs as (
    select
        cast(shop_id as string) as shop_id,
        cast(listing_id as string) as listing_id,
        cast(currency_code as string) as currency_code,
        cast(unit_cost as {{ type_money() }}) as unit_cost,
        cast(valid_from as date) as valid_from
    from {{ ref('etsy_listing_costs') }}
),

fees_by_order as (
    select
        receipt_id,
        {%- for fee_type in etsy_order_fee_types() %}
        sum(case when fee_type = '{{ fee_type }}' then fee_amount else 0 end) as {{ fee_type }}_fees,
        {%- endfor %}
        sum(
            case when fee_type not in ('{{ etsy_order_fee_types() | join("', '") }}') then fee_amount else 0 end  -- noqa: LT05
        ) as other_etsy_fees,
        sum(fee_amount) as etsy_fees,
        sum(case when is_estimated then fee_amount else 0 end) as estimated_etsy_fees
    from order_fees
    group by receipt_id
),

shipping_labels_by_order as (
    select
        receipt_id,
        cast(-sum(amount) as {{ type_money() }}) as shipping_label_costs
    from ledger_allocations
    where is_order_level
        and entry_class = 'shipping_label'
    group by receipt_id
),

-- The cost in force on the order day: the latest cost row dated on or before it.
item_costs as (
    select
        order_items.receipt_id,
        order_items.transaction_id,
        order_items.quantity * listing_costs.unit_cost as cost_of_goods,
        row_number() over (
            partition by order_items.transaction_id
            order by listing_costs.valid_from desc
        ) as cost_recency
    from order_items
    inner join listing_costs
        on order_items.shop_id = listing_costs.shop_id
        and order_items.listing_id = listing_costs.listing_id
        and order_items.currency_code = listing_costs.currency_code
        and order_items.order_date >= listing_costs.valid_from
),

costs_by_order as (
    select
        order_items.receipt_id,
        count(*) as line_item_count,
        count(item_costs.transaction_id) as costed_line_item_count,
        sum(item_costs.cost_of_goods) as cost_of_goods
    from order_items
    left join item_costs
        on order_items.transaction_id = item_costs.transaction_id
        and item_costs.cost_recency = 1
    group by order_items.receipt_id
),

final as (
    select
        orders.receipt_id,
        orders.shop_id,
        orders.customer_id,
        orders.buyer_country_code,
        orders.receipt_status,
        orders.is_canceled,
        orders.is_paid,
        orders.is_shipped,
        orders.is_gift,
        orders.payment_method,
        orders.ordered_at,
        orders.updated_at,
        orders.order_date,
        orders.currency_code,
        orders.line_item_count,
        cast(orders.units as {{ dbt.type_bigint() }}) as units,
        orders.gross_sales,
        orders.discounts,
        orders.refunds,
        orders.refunded_tax,
        orders.refunded_shipping,
        orders.refunded_goods,
        orders.refund_count,
        orders.first_refunded_at,
        cast(
            case
                when not orders.is_canceled then orders.gross_sales - orders.discounts - orders.refunded_goods
                else 0
            end as {{ type_money() }}
        ) as net_sales,
        orders.shipping,
        orders.gift_wrap,
        orders.taxes,
        orders.vat,
        cast(
            case when not orders.is_canceled then orders.grand_total - orders.refunds else 0 end
            as {{ type_money() }}
        ) as total_sales,
        cast(orders.gross_sales - orders.discounts as {{ type_money() }}) as etsy_revenue,
        orders.grand_total,
        {%- for fee_type in etsy_order_fee_types() %}
        coalesce(fees_by_order.{{ fee_type }}_fees, 0) as {{ fee_type }}_fees,
        {%- endfor %}
        coalesce(fees_by_order.other_etsy_fees, 0) as other_etsy_fees,
        coalesce(fees_by_order.etsy_fees, 0) as etsy_fees,
        coalesce(fees_by_order.estimated_etsy_fees, 0) as estimated_etsy_fees,
        coalesce(fees_by_order.estimated_etsy_fees, 0) <> 0 as has_estimated_fees,
        coalesce(shipping_labels_by_order.shipping_label_costs, 0) as shipping_label_costs,
        coalesce(costs_by_order.cost_of_goods, 0) as cost_of_goods,
        coalesce(costs_by_order.costed_line_item_count, 0) = orders.line_item_count as has_complete_cost_of_goods,
        cast(
            case
                when not orders.is_canceled
                    then orders.gross_sales - orders.discounts - orders.refunded_goods
                        + orders.shipping + orders.gift_wrap - orders.refunded_shipping
                else 0
            end
            - coalesce(fees_by_order.etsy_fees, 0)
            - coalesce(shipping_labels_by_order.shipping_label_costs, 0)
            - coalesce(costs_by_order.cost_of_goods, 0)
            as {{ type_money() }}
        ) as net_profit,
        customer_orders.customer_order_sequence_number,
        customer_orders.is_new_customer,
        customer_orders.is_returning_customer,
        orders.is_single_currency
    from orders
    left join customer_orders
        on orders.receipt_id = customer_orders.receipt_id
    left join fees_by_order
        on orders.receipt_id = fees_by_order.receipt_id
    left join shipping_labels_by_order
        on orders.receipt_id = shipping_labels_by_order.receipt_id
    left join costs_by_order
        on orders.receipt_id = costs_by_order.receipt_id
)

select * from final
