{#- One row per receipt transaction (a line item), unnested from the latest version of
    its receipt. The receipt's shop, currency and time zone apply to its transactions. -#}
with receipts as (
    select * from {{ ref('base_etsy__receipts') }}
),

shop_accounts as (
    select
        cast(shop_id as string) as shop_id,
        shop_time_zone
    from {{ ref('shop_accounts') }}
),

unnested as (
    select
        receipts.shop_id,
        receipts.receipt_id,
        transaction,
        receipts._airbyte_extracted_at
    from receipts
    {{ cross_join_json_array('receipts.transactions', 'transaction') }}
),

renamed as (
    select
        cast({{ json_string('unnested.transaction', '$.transaction_id') }} as string) as transaction_id,
        cast(unnested.receipt_id as string) as receipt_id,
        cast(unnested.shop_id as string) as shop_id,
        cast({{ json_string('unnested.transaction', '$.listing_id') }} as string) as listing_id,
        cast({{ json_string('unnested.transaction', '$.product_id') }} as string) as product_id,
        cast({{ json_string('unnested.transaction', '$.buyer_user_id') }} as string) as buyer_user_id,
        {{ json_string('unnested.transaction', '$.sku') }} as sku,
        {{ json_string('unnested.transaction', '$.title') }} as title,
        {{ json_string('unnested.transaction', '$.transaction_type') }} as transaction_type,
        cast({{ json_string('unnested.transaction', '$.is_digital') }} as boolean) as is_digital,
        cast({{ json_string('unnested.transaction', '$.quantity') }} as bigint) as quantity,
        {{ money_currency(json_object('unnested.transaction', '$.price')) }} as currency_code,
        {{ money_amount(json_object('unnested.transaction', '$.price')) }} as unit_price,
        {{ money_amount(json_object('unnested.transaction', '$.shipping_cost')) }} as shipping_cost,
        coalesce({{ money_currency(json_object('unnested.transaction', '$.shipping_cost')) }}, {{ money_currency(json_object('unnested.transaction', '$.price')) }})
            = {{ money_currency(json_object('unnested.transaction', '$.price')) }} as is_single_currency,
        -- Coupons are plain numbers in the shop's currency (not Money objects).
        cast({{ json_string('unnested.transaction', '$.buyer_coupon') }} as {{ type_money() }}) as buyer_coupon_amount,
        cast({{ json_string('unnested.transaction', '$.shop_coupon') }} as {{ type_money() }}) as shop_coupon_amount,
        {{ epoch_to_timestamp(json_string('unnested.transaction', '$.created_timestamp')) }} as created_at,
        {{ epoch_to_timestamp(json_string('unnested.transaction', '$.paid_timestamp')) }} as paid_at,
        {{ epoch_to_timestamp(json_string('unnested.transaction', '$.shipped_timestamp')) }} as shipped_at,
        {{ local_date(epoch_to_timestamp(json_string('unnested.transaction', '$.created_timestamp')), 'shop_accounts.shop_time_zone') }} as created_date,
        {{ timestamptz_to_utc('unnested._airbyte_extracted_at') }} as extracted_at
    from unnested
    left join shop_accounts
        on cast(unnested.shop_id as string) = shop_accounts.shop_id
),

final as (
    select
        *,
        cast(unit_price * quantity as {{ type_money() }}) as gross_amount
    from renamed
)

select * from final
