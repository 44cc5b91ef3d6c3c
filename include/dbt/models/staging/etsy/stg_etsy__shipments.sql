{#- One row per shipment notice of a receipt. receipt_shipping_id may be null (Etsy
    marks it nullable), so the key falls back to the receipt and array position. -#}
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
        shipment,
        {{ json_array_offset('shipment') }} as shipment_offset,
        receipts._airbyte_extracted_at
    from receipts
    {{ cross_join_json_array_with_offset('receipts.shipments', 'shipment') }}
),

final as (
    select
        coalesce(
            cast({{ json_string('unnested.shipment', '$.receipt_shipping_id') }} as string),
            concat(cast(unnested.receipt_id as string), '-', cast(unnested.shipment_offset as string))
        ) as shipment_id,
        cast(unnested.receipt_id as string) as receipt_id,
        cast(unnested.shop_id as string) as shop_id,
        {{ json_string('unnested.shipment', '$.carrier_name') }} as carrier_name,
        {{ json_string('unnested.shipment', '$.tracking_code') }} as tracking_code,
        {{ epoch_to_timestamp(json_string('unnested.shipment', '$.shipment_notification_timestamp')) }} as notified_at,
        {{ local_date(epoch_to_timestamp(json_string('unnested.shipment', '$.shipment_notification_timestamp')), 'shop_accounts.shop_time_zone') }} as notified_date,
        {{ timestamptz_to_utc('unnested._airbyte_extracted_at') }} as extracted_at
    from unnested
    left join shop_accounts
        on cast(unnested.shop_id as string) = shop_accounts.shop_id
)

select * from final
