{#- One row per receipt, incremental by shop-local order day (macros/sales/incremental.sql). -#}
{{ config(**sales_incremental_config('created_date', ['shop_id', 'receipt_id'])) }}

with
{% if is_incremental() %}
changed_dates as (
    {{ sales_changed_source_dates(source('etsy', 'receipts'), 'created_timestamp', 'updated_timestamp') }}
),
{% endif %}

receipts as (
    select * from {{ ref('base_etsy__receipts') }}
    {% if is_incremental() %}
    where {{ sales_epoch_near_changed_dates('created_timestamp', 'changed_dates') }}
    {% endif %}
),

shop_accounts as (
    select
        cast(shop_id as string) as shop_id,
        shop_time_zone
    from {{ ref('shop_accounts') }}
),

renamed as (
    select
        cast(receipts.receipt_id as string) as receipt_id,
        cast(receipts.shop_id as string) as shop_id,
        cast(receipts.buyer_user_id as string) as buyer_user_id,
        cast(receipts.seller_user_id as string) as seller_user_id,
        lower(receipts.status) as receipt_status,
        cast(receipts.receipt_type as bigint) as receipt_type,
        receipts.payment_method,
        upper(receipts.country_iso) as buyer_country_code,
        receipts.is_paid,
        receipts.is_shipped,
        receipts.is_gift,
        {{ money_currency('receipts.grandtotal') }} as currency_code,
        {{ parsed_money_amount('receipts.total_price') }} as total_price,
        {{ parsed_money_amount('receipts.discount_amt') }} as discount_amount,
        {{ parsed_money_amount('receipts.subtotal') }} as subtotal,
        {{ parsed_money_amount('receipts.total_shipping_cost') }} as total_shipping_cost,
        {{ parsed_money_amount('receipts.gift_wrap_price') }} as gift_wrap_price,
        {{ parsed_money_amount('receipts.total_tax_cost') }} as total_tax_cost,
        {{ parsed_money_amount('receipts.total_vat_cost') }} as total_vat_cost,
        {{ parsed_money_amount('receipts.grandtotal') }} as grand_total,
        -- Every amount of a receipt is in one currency; a receipt where they disagree fails
        -- a test instead of being summed into the wrong currency.
        coalesce(
            {% for money_column in ['total_price', 'discount_amt', 'subtotal', 'total_shipping_cost', 'gift_wrap_price', 'total_tax_cost', 'total_vat_cost'] -%}
            coalesce({{ money_currency('receipts.' ~ money_column) }}, {{ money_currency('receipts.grandtotal') }}) = {{ money_currency('receipts.grandtotal') }}
            {%- if not loop.last %} and {% endif %}
            {% endfor -%}, false
        ) as is_single_currency,
        {{ epoch_to_timestamp('receipts.created_timestamp') }} as created_at,
        {{ epoch_to_timestamp('receipts.updated_timestamp') }} as updated_at,
        {{ local_date(epoch_to_timestamp('receipts.created_timestamp'), 'shop_accounts.shop_time_zone') }} as created_date,
        {{ timestamptz_to_utc('receipts._airbyte_extracted_at') }} as extracted_at
    from receipts
    left join shop_accounts
        on cast(receipts.shop_id as string) = shop_accounts.shop_id
),

final as (
    select
        *,
        receipt_status = 'canceled' as is_canceled
    from renamed
    {% if is_incremental() %}
    -- A shop missing from shop_accounts has no day: kept, so its not_null test fails.
    where created_date in (select changed_date from changed_dates)
        or created_date is null
    {% endif %}
)

select * from final
