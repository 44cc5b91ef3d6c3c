{#- One row per shipment notice of a receipt. receipt_shipping_id may be null (Etsy
    marks it nullable), so the key falls back to the receipt and array position.
    Incremental by the receipt's UTC creation day, like stg_etsy__refunds: shipping labels are
    allocated through this model, which must not unnest every receipt on every run. -#}
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
        shipments,
        cast({{ epoch_to_timestamp('created_timestamp') }} as date) as receipt_created_utc_date,
        _airbyte_extracted_at
    from receipts
),

unnested as (
    {{ json_array_rows(
        'receipts_in_scope', 'shipments', 'shipment',
        ['shop_id', 'receipt_id', 'receipt_created_utc_date', '_airbyte_extracted_at'],
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
        receipt_created_utc_date,
        {{ timestamptz_to_utc('_airbyte_extracted_at') }} as extracted_at
    from unnested
)

select * from final
