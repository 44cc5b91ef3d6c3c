{#- One row per shipment notice of a receipt. receipt_shipping_id may be null (Etsy
    marks it nullable), so the key falls back to the receipt and array position.
    Incremental by the receipt's order day, like stg_etsy__refunds: shipping labels are
    allocated through this model, which must not unnest every receipt on every run. -#}
{{ config(**sales_incremental_config('receipt_created_date', ['shop_id', 'receipt_id'])) }}

with
{% if is_incremental() %}
changed_dates as (
    {{ sales_changed_source_dates(source('etsy', 'receipts'), ref('shop_accounts'), 'created_timestamp', 'updated_timestamp') }}
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

local_dates as {{ materialized_cte() }} (
    {{ shop_local_dates('receipts', 'shop_id', 'created_timestamp', ref('shop_accounts')) }}
),

dated_receipts as (
    select
        receipts.shop_id,
        receipts.receipt_id,
        receipts.shipments,
        shop_accounts.shop_time_zone,
        local_dates.local_date as receipt_created_date,
        receipts._airbyte_extracted_at
    from receipts
    left join shop_accounts
        on cast(receipts.shop_id as string) = shop_accounts.shop_id
    left join local_dates
        on cast(receipts.shop_id as string) = local_dates.shop_id
        and {{ epoch_quarter_hour('receipts.created_timestamp') }} = local_dates.epoch_quarter_hour
),

receipts_in_scope as (
    select *
    from dated_receipts
    {% if is_incremental() %}
    -- A shop missing from shop_accounts has no day: kept, so its not_null test fails.
    where receipt_created_date in (select changed_date from changed_dates)
        or receipt_created_date is null
    {% endif %}
),

unnested as (
    {{ json_array_rows(
        'receipts_in_scope', 'shipments', 'shipment',
        ['shop_id', 'receipt_id', 'shop_time_zone', 'receipt_created_date', '_airbyte_extracted_at'],
        with_offset=true
    ) }}
),

final as (
    select
        coalesce(
            cast({{ json_string('shipment', '$.receipt_shipping_id') }} as string),
            concat(cast(receipt_id as string), '-', cast(shipment_offset as string))
        ) as shipment_id,
        cast(receipt_id as string) as receipt_id,
        cast(shop_id as string) as shop_id,
        {{ json_string('shipment', '$.carrier_name') }} as carrier_name,
        {{ json_string('shipment', '$.tracking_code') }} as tracking_code,
        {{ epoch_to_timestamp(json_string('shipment', '$.shipment_notification_timestamp')) }} as notified_at,
        {{ local_date(
            epoch_to_timestamp(json_string('shipment', '$.shipment_notification_timestamp')), 'shop_time_zone'
        ) }} as notified_date,
        receipt_created_date,
        {{ timestamptz_to_utc('_airbyte_extracted_at') }} as extracted_at
    from unnested
)

select * from final
