{#- One row per refund of a receipt. Etsy gives refunds no id: a refund is keyed by its
    receipt and its position in the receipt's refunds array, which Etsy only appends to.
    Incremental by the receipt's UTC creation day, like stg_etsy__transactions. -#}
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
        refunds,
        cast({{ epoch_to_timestamp('created_timestamp') }} as date) as receipt_created_utc_date,
        _airbyte_extracted_at
    from receipts
),

unnested as (
    {{ json_array_rows(
        'receipts_in_scope', 'refunds', 'refund',
        ['shop_id', 'receipt_id', 'receipt_created_utc_date', '_airbyte_extracted_at'],
        with_offset=true
    ) }}
),

final as (
    select
        concat(cast(receipt_id as string), '-', cast(refund_offset as string)) as refund_id,
        cast(receipt_id as string) as receipt_id,
        cast(shop_id as string) as shop_id,
        refund_offset,
        lower({{ json_string('refund', '$.status') }}) as refund_status,
        {{ json_string('refund', '$.reason') }} as refund_reason,
        {{ money_currency(json_object('refund', '$.amount')) }} as currency_code,
        {{ parsed_money_amount(json_object('refund', '$.amount')) }} as refund_amount,
        {{ epoch_to_timestamp(json_string('refund', '$.created_timestamp')) }} as refunded_at,
        receipt_created_utc_date,
        {{ timestamptz_to_utc('_airbyte_extracted_at') }} as extracted_at
    from unnested
)

select * from final
