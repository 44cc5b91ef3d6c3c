{#- One row per refund of a receipt. Etsy gives refunds no id: a refund is keyed by its
    receipt and its position in the receipt's refunds array, which Etsy only appends to. -#}
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
        refund,
        {{ json_array_offset('refund') }} as refund_offset,
        receipts._airbyte_extracted_at
    from receipts
    {{ cross_join_json_array_with_offset('receipts.refunds', 'refund') }}
),

final as (
    select
        concat(cast(unnested.receipt_id as string), '-', cast(unnested.refund_offset as string)) as refund_id,
        cast(unnested.receipt_id as string) as receipt_id,
        cast(unnested.shop_id as string) as shop_id,
        unnested.refund_offset,
        lower({{ json_string('unnested.refund', '$.status') }}) as refund_status,
        {{ json_string('unnested.refund', '$.reason') }} as refund_reason,
        {{ money_currency(json_object('unnested.refund', '$.amount')) }} as currency_code,
        {{ money_amount(json_object('unnested.refund', '$.amount')) }} as refund_amount,
        {{ epoch_to_timestamp(json_string('unnested.refund', '$.created_timestamp')) }} as refunded_at,
        {{ local_date(epoch_to_timestamp(json_string('unnested.refund', '$.created_timestamp')), 'shop_accounts.shop_time_zone') }} as refunded_date,
        {{ timestamptz_to_utc('unnested._airbyte_extracted_at') }} as extracted_at
    from unnested
    left join shop_accounts
        on cast(unnested.shop_id as string) = shop_accounts.shop_id
)

select * from final
