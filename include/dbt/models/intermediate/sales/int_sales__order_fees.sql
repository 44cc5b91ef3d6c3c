{#- One row per order and Etsy fee type it carries: the ledger's actual amount where the
    ledger allocates one to the order, otherwise (for estimable types) the amount the dated
    fee schedule gives, flagged is_estimated. Both are kept side by side, so a schedule
    that drifted from what Etsy charges shows. Fees are positive costs (the ledger debits
    them as negative amounts; fee credits on refunds reduce them). An estimate rounds as
    Etsy's whole-cent ledger entries do: the transaction fee once per transaction line (one
    entry per line), every other fee once per order. -#}
{{ config(materialized='table') }}

with ledger_allocations as (
    select * from {{ ref('int_sales__ledger_allocations_classified') }}
),

orders as (
    select * from {{ ref('int_sales__orders') }}
),

currencies as (
    select
        cast(currency_code as string) as currency_code,
        cast(power(10, minor_units) as bigint) as minor_unit_divisor
    from {{ ref('iso_4217_currencies') }}
),

transactions as (
    select
        receipt_id,
        gross_amount,
        buyer_coupon_amount,
        shop_coupon_amount
    from {{ ref('stg_etsy__transactions') }}
),

shops as (
    select
        shop_id,
        shop_country_code
    from {{ ref('stg_etsy__shops') }}
),

fee_schedule as (
    select
        fee_type,
        basis,
        cast(rate as {{ type_money() }}) as rate,
        cast(coalesce(fixed_amount, 0) as {{ type_money() }}) as fixed_amount,
        cast(cap_amount as {{ type_money() }}) as cap_amount,
        cast(currency_code as string) as currency_code,
        cast(seller_country as string) as seller_country,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to
    from {{ ref('etsy_fee_schedule') }}
    where fee_type in ('{{ etsy_estimable_fee_types() | join("', '") }}')  -- noqa: LT05
),

actual_fees as (
    select
        receipt_id,
        fee_type,
        cast(-sum(amount) as {{ type_money() }}) as fee_amount
    from ledger_allocations
    where is_order_level
        and entry_class = 'fee'
    group by receipt_id, fee_type
),

billable_orders as (
    select
        orders.receipt_id,
        orders.order_date,
        orders.currency_code,
        shops.shop_country_code,
        orders.gross_sales - orders.discounts as item_price_after_discount,
        orders.shipping + orders.gift_wrap as shipping_and_gift_wrap,
        orders.gross_sales - orders.discounts + orders.shipping + orders.gift_wrap as order_total,
        orders.grand_total
    from orders
    left join shops
        on orders.shop_id = shops.shop_id
    where not orders.is_canceled
),

-- What each fee is charged on, one row per ledger entry Etsy would post: the item price
-- after discounts per transaction line, the other bases per order.
fee_bases as (
    select
        billable_orders.receipt_id,
        billable_orders.order_date,
        billable_orders.currency_code,
        billable_orders.shop_country_code,
        'item_price_after_discount' as basis,
        transactions.gross_amount - coalesce(transactions.shop_coupon_amount, 0)
        - coalesce(transactions.buyer_coupon_amount, 0) as basis_amount
    from billable_orders
    inner join transactions
        on billable_orders.receipt_id = transactions.receipt_id
    {%- for basis in ['shipping_and_gift_wrap', 'order_total', 'grand_total'] %}
    union all
    select
        receipt_id,
        order_date,
        currency_code,
        shop_country_code,
        '{{ 'grandtotal' if basis == 'grand_total' else basis }}' as basis,
        {{ basis }} as basis_amount
    from billable_orders
    {%- endfor %}
),

scheduled_entries as (
    select
        fee_bases.receipt_id,
        fee_schedule.fee_type,
        cast(
            least(
                -- Half away from zero to the currency's minor unit, as Etsy rounds an entry.
                cast(
                    round(fee_bases.basis_amount * fee_schedule.rate * currencies.minor_unit_divisor, 0)
                    as {{ type_money() }}
                ) / currencies.minor_unit_divisor
                + fee_schedule.fixed_amount,
                coalesce(fee_schedule.cap_amount, 1e15)
            ) as {{ type_money() }}
        ) as fee_amount
    from fee_bases
    inner join currencies
        on fee_bases.currency_code = currencies.currency_code
    inner join fee_schedule
        on fee_bases.basis = fee_schedule.basis
        and fee_bases.order_date >= fee_schedule.valid_from
        and (fee_schedule.valid_to is null or fee_bases.order_date <= fee_schedule.valid_to)
        and (fee_schedule.currency_code is null or fee_bases.currency_code = fee_schedule.currency_code)
        and (fee_schedule.seller_country is null or fee_bases.shop_country_code = fee_schedule.seller_country)
),

scheduled_fees_including_zero as (
    select
        receipt_id,
        fee_type,
        cast(sum(fee_amount) as {{ type_money() }}) as fee_amount
    from scheduled_entries
    group by receipt_id, fee_type
),

scheduled_fees as (
    select
        receipt_id,
        fee_type,
        fee_amount
    from scheduled_fees_including_zero
    -- A zero fee (free shipping: no shipping transaction fee) is no fee: Etsy posts no entry.
    where fee_amount <> 0
),

final as (
    select
        coalesce(actual_fees.receipt_id, scheduled_fees.receipt_id) as receipt_id,
        coalesce(actual_fees.fee_type, scheduled_fees.fee_type) as fee_type,
        coalesce(actual_fees.fee_amount, scheduled_fees.fee_amount) as fee_amount,
        actual_fees.fee_amount as ledger_fee_amount,
        scheduled_fees.fee_amount as scheduled_fee_amount,
        actual_fees.receipt_id is null as is_estimated
    from actual_fees
    full outer join scheduled_fees
        on actual_fees.receipt_id = scheduled_fees.receipt_id
        and actual_fees.fee_type = scheduled_fees.fee_type
)

select * from final
