{#- One row per refund with its order's day and the split Etsy does not report: each
    refund divides in proportion to its order's grand total into a tax part
    (refund x tax / grand total), a shipping part (refund x (shipping + gift wrap) / grand
    total), each rounded half away from zero to the currency's minor unit, and the rest,
    returned goods. Only completed refunds (etsy_completed_refund_statuses) count; others
    are kept, flagged, with zero parts. Incremental by order day like int_sales__orders, so
    a refund is rebuilt whenever its receipt is (refunds live inside the receipt). -#}
{{ config(**sales_incremental_config('order_date', ['shop_id', 'receipt_id'])) }}
{%- set rebuilt_order_dates = sales_rebuilt_local_dates(ref('base_etsy__receipt_changes')) %}

with shop_accounts as (
    select * from {{ ref('shop_accounts') }}
),

refunds as (
    select * from {{ ref('stg_etsy__refunds') }}
    {% if is_incremental() %}
    where {{ sales_date_in('receipt_created_utc_date', sales_dates_near(rebuilt_order_dates, 1)) }}
    {% endif %}
),

receipts as (
    select * from {{ ref('stg_etsy__receipts') }}
    {% if is_incremental() %}
    where {{ sales_date_in('created_utc_date', sales_dates_near(rebuilt_order_dates, 1)) }}
    {% endif %}
),

-- Order days are the shop's: one time-zone conversion per shop and quarter hour.
local_dates as {{ materialized_cte() }} (
    {{ shop_local_dates('shop_accounts', 'receipts', 'shop_id', timestamp_to_epoch('created_at')) }}
),

dated_receipts as (
    select
        receipts.*,
        local_dates.local_date as created_date
    from receipts
    left join local_dates
        on receipts.shop_id = local_dates.shop_id
        and {{ epoch_quarter_hour(timestamp_to_epoch('receipts.created_at')) }} = local_dates.epoch_quarter_hour
    {% if is_incremental() %}
    where {{ sales_date_in('local_dates.local_date', rebuilt_order_dates) }}
    {% endif %}
),

currencies as (
    select
        cast(currency_code as string) as currency_code,
        cast(power(10, minor_units) as bigint) as minor_unit_divisor
    from {{ ref('iso_4217_currencies') }}
),

refunds_with_orders as (
    select
        refunds.refund_id,
        refunds.receipt_id,
        refunds.shop_id,
        receipts.created_date as order_date,
        receipts.is_canceled as is_canceled_order,
        refunds.refund_status,
        coalesce(refunds.refund_status in ('{{ etsy_completed_refund_statuses() | join("', '") }}'), false)
            as is_completed,
        refunds.refund_reason,
        refunds.currency_code,
        refunds.refund_amount,
        receipts.total_tax_cost as order_tax,
        receipts.total_shipping_cost + receipts.gift_wrap_price as order_shipping_and_gift_wrap,
        receipts.grand_total as order_grand_total,
        currencies.minor_unit_divisor,
        refunds.refunded_at,
        {{ local_date('refunds.refunded_at', 'shop_accounts.shop_time_zone') }} as refunded_date
    from refunds
    inner join dated_receipts as receipts
        on refunds.receipt_id = receipts.receipt_id
    left join shop_accounts
        on refunds.shop_id = cast(shop_accounts.shop_id as string)
    left join currencies
        on refunds.currency_code = currencies.currency_code
),

split as (
    select
        *,
        case when is_completed then refund_amount else 0 end as completed_refund_amount,
        case
            when is_completed
                then {{ rounded_money_share('refund_amount', 'order_tax', 'order_grand_total', 'minor_unit_divisor') }}
            else 0
        end as refunded_tax,
        case
            when is_completed
                then {{ rounded_money_share('refund_amount', 'order_shipping_and_gift_wrap', 'order_grand_total', 'minor_unit_divisor') }}  -- noqa: LT05
            else 0
        end as refunded_shipping
    from refunds_with_orders
),

final as (
    select
        refund_id,
        receipt_id,
        shop_id,
        order_date,
        is_canceled_order,
        refund_status,
        is_completed,
        refund_reason,
        currency_code,
        refund_amount,
        cast(completed_refund_amount as {{ type_money() }}) as completed_refund_amount,
        cast(refunded_tax as {{ type_money() }}) as refunded_tax,
        cast(refunded_shipping as {{ type_money() }}) as refunded_shipping,
        cast(completed_refund_amount - refunded_tax - refunded_shipping as {{ type_money() }}) as refunded_goods,
        refunded_at,
        refunded_date
    from split
)

select * from final
