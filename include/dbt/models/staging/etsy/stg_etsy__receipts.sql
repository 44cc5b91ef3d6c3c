{#- One row per receipt, incremental by UTC creation day (macros/sales/incremental.sql).
    The shop-local order day needs the shop's time zone: int_sales__orders computes it. -#}
-- depends_on: {{ ref('base_etsy__receipt_changes') }} (the incremental branch's change index)
{{ config(**sales_incremental_config('created_utc_date', ['shop_id', 'receipt_id'])) }}

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

{%- set money_columns = [
    'total_price', 'discount_amt', 'subtotal', 'total_shipping_cost', 'gift_wrap_price', 'total_tax_cost',
    'total_vat_cost', 'grandtotal',
] %}

money_parts as (
    {{ json_money_parts('receipts', money_columns, [
        'receipt_id', 'shop_id', 'buyer_user_id', 'seller_user_id', 'status', 'receipt_type',
        'payment_method', 'country_iso', 'is_paid', 'is_shipped', 'is_gift',
        'created_timestamp', 'updated_timestamp', '_airbyte_extracted_at', '_airbyte_meta',
    ]) }}
),

renamed as (
    select
        cast(money_parts.receipt_id as string) as receipt_id,
        cast(money_parts.shop_id as string) as shop_id,
        cast(money_parts.buyer_user_id as string) as buyer_user_id,
        cast(money_parts.seller_user_id as string) as seller_user_id,
        lower(money_parts.status) as receipt_status,
        cast(money_parts.receipt_type as bigint) as receipt_type,
        money_parts.payment_method,
        upper(money_parts.country_iso) as buyer_country_code,
        money_parts.is_paid,
        money_parts.is_shipped,
        money_parts.is_gift,
        money_parts.grandtotal_currency_code as currency_code,
        {{ money_from_parts('money_parts.total_price_amount', 'money_parts.total_price_divisor') }} as total_price,
        {{ money_from_parts(
            'money_parts.discount_amt_amount', 'money_parts.discount_amt_divisor'
        ) }} as discount_amount,
        {{ money_from_parts('money_parts.subtotal_amount', 'money_parts.subtotal_divisor') }} as subtotal,
        {{ money_from_parts(
            'money_parts.total_shipping_cost_amount', 'money_parts.total_shipping_cost_divisor'
        ) }} as total_shipping_cost,
        {{ money_from_parts(
            'money_parts.gift_wrap_price_amount', 'money_parts.gift_wrap_price_divisor'
        ) }} as gift_wrap_price,
        {{ money_from_parts(
            'money_parts.total_tax_cost_amount', 'money_parts.total_tax_cost_divisor'
        ) }} as total_tax_cost,
        {{ money_from_parts(
            'money_parts.total_vat_cost_amount', 'money_parts.total_vat_cost_divisor'
        ) }} as total_vat_cost,
        {{ money_from_parts('money_parts.grandtotal_amount', 'money_parts.grandtotal_divisor') }} as grand_total,
        -- Every amount of a receipt is in one currency; a receipt where they disagree fails
        -- a test instead of being summed into the wrong currency.
        coalesce(
            {% for money_column in money_columns if money_column != 'grandtotal' -%}
            coalesce(money_parts.{{ money_column }}_currency_code, money_parts.grandtotal_currency_code)
            = money_parts.grandtotal_currency_code
            {%- if not loop.last %} and {% endif %}
            {% endfor -%}, false
        ) as is_single_currency,
        {{ epoch_to_timestamp('money_parts.created_timestamp') }} as created_at,
        {{ epoch_to_timestamp('money_parts.updated_timestamp') }} as updated_at,
        cast({{ epoch_to_timestamp('money_parts.created_timestamp') }} as date) as created_utc_date,
        {{ airbyte_nulled_fields('money_parts._airbyte_meta') }} as airbyte_nulled_fields,
        {{ timestamptz_to_utc('money_parts._airbyte_extracted_at') }} as extracted_at
    from money_parts
),

final as (
    select
        *,
        receipt_status = 'canceled' as is_canceled
    from renamed
)

select * from final
