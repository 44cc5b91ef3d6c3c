{#- One row per receipt transaction (a line item), unnested from the latest version of
    its receipt. The receipt's shop, currency and UTC creation day apply to its
    transactions; incremental by that day, so a receipt's lines are always rebuilt
    together with it (macros/sales/incremental.sql). -#}
-- depends_on: {{ ref('base_etsy__receipt_changes') }} (the incremental branch's change index)
{{ config(**sales_incremental_config('receipt_created_utc_date', ['shop_id', 'receipt_id'])) }}

with receipts as (
    {% if is_incremental() -%}
    {{ latest_airbyte_versions(
        source('etsy', 'receipts'), 'receipt_id',
        sales_created_on_changed_days(ref('base_etsy__receipt_changes'), 'created_timestamp')
    ) }}
    {%- else -%}
    select * from {{ ref('base_etsy__receipts') }}
    {%- endif %}
),

receipts_in_scope as (
    select
        shop_id,
        receipt_id,
        transactions,
        cast({{ epoch_to_timestamp('created_timestamp') }} as date) as receipt_created_utc_date,
        _airbyte_extracted_at
    from receipts
),

transaction_fields as (
    {{ json_array_string_fields('receipts_in_scope', 'transactions', {
        'transaction_id': '$.transaction_id',
        'listing_id': '$.listing_id',
        'product_id': '$.product_id',
        'buyer_user_id': '$.buyer_user_id',
        'sku': '$.sku',
        'title': '$.title',
        'transaction_type': '$.transaction_type',
        'is_digital': '$.is_digital',
        'quantity': '$.quantity',
        'price_amount': '$.price.amount',
        'price_divisor': '$.price.divisor',
        'price_currency_code': '$.price.currency_code',
        'shipping_cost_amount': '$.shipping_cost.amount',
        'shipping_cost_divisor': '$.shipping_cost.divisor',
        'shipping_cost_currency_code': '$.shipping_cost.currency_code',
        'buyer_coupon': '$.buyer_coupon',
        'shop_coupon': '$.shop_coupon',
        'created_timestamp': '$.created_timestamp',
        'paid_timestamp': '$.paid_timestamp',
        'shipped_timestamp': '$.shipped_timestamp',
    }, ['shop_id', 'receipt_id', 'receipt_created_utc_date', '_airbyte_extracted_at']) }}
),

renamed as (
    select
        cast(transaction_id as string) as transaction_id,
        cast(receipt_id as string) as receipt_id,
        cast(shop_id as string) as shop_id,
        cast(listing_id as string) as listing_id,
        cast(product_id as string) as product_id,
        cast(buyer_user_id as string) as buyer_user_id,
        sku,
        title,
        transaction_type,
        cast(is_digital as boolean) as is_digital,
        cast(quantity as bigint) as quantity,
        price_currency_code as currency_code,
        {{ money_from_parts('price_amount', 'price_divisor') }} as unit_price,
        {{ money_from_parts('shipping_cost_amount', 'shipping_cost_divisor') }} as shipping_cost,
        coalesce(shipping_cost_currency_code, price_currency_code) = price_currency_code as is_single_currency,
        -- Coupons are plain numbers in the shop's currency (not Money objects).
        {{ money_from_string('buyer_coupon') }} as buyer_coupon_amount,
        {{ money_from_string('shop_coupon') }} as shop_coupon_amount,
        {{ epoch_to_timestamp('created_timestamp') }} as created_at,
        {{ epoch_to_timestamp('paid_timestamp') }} as paid_at,
        {{ epoch_to_timestamp('shipped_timestamp') }} as shipped_at,
        receipt_created_utc_date,
        {{ timestamptz_to_utc('_airbyte_extracted_at') }} as extracted_at
    from transaction_fields
),

final as (
    select
        *,
        cast(unit_price * quantity as {{ type_money() }}) as gross_amount
    from renamed
)

select * from final
