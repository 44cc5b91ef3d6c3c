{#- One row per order and Etsy fee type it carries: the ledger's actual amount where the
    ledger allocates one to the order, otherwise (for estimable types) the amount the dated
    fee schedule gives, flagged is_estimated. Both are kept side by side, so a schedule
    that drifted from what Etsy charges shows. Fees are positive costs (the ledger debits
    them as negative amounts; fee credits on refunds reduce them). -#}
{{ config(materialized='table') }}

with ledger_allocations as (
    select * from {{ ref('int_sales__ledger_allocations') }}
),

orders as (
    select * from {{ ref('int_sales__orders') }}
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
    where fee_type in ('{{ etsy_estimable_fee_types() | join("', '") }}')
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

order_fee_bases as (
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

scheduled_fees_including_zero as (
    select
        order_fee_bases.receipt_id,
        fee_schedule.fee_type,
        cast(
            least(
                round(
                    case fee_schedule.basis
                        when 'item_price_after_discount' then order_fee_bases.item_price_after_discount
                        when 'shipping_and_gift_wrap' then order_fee_bases.shipping_and_gift_wrap
                        when 'order_total' then order_fee_bases.order_total
                        when 'grandtotal' then order_fee_bases.grand_total
                    end * fee_schedule.rate,
                    2
                ) + fee_schedule.fixed_amount,
                coalesce(fee_schedule.cap_amount, 1e15)
            ) as {{ type_money() }}
        ) as fee_amount
    from order_fee_bases
    inner join fee_schedule
        on order_fee_bases.order_date >= fee_schedule.valid_from
        and (fee_schedule.valid_to is null or order_fee_bases.order_date <= fee_schedule.valid_to)
        and (fee_schedule.currency_code is null or fee_schedule.currency_code = order_fee_bases.currency_code)
        and (fee_schedule.seller_country is null or fee_schedule.seller_country = order_fee_bases.shop_country_code)
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
