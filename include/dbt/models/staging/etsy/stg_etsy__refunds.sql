{#- One row per refund of a receipt. Etsy gives refunds no id: a refund is keyed by its
    receipt and its position in the receipt's refunds array, which Etsy only appends to.
    Incremental by the receipt's order day, like stg_etsy__transactions. -#}
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
        receipts.refunds,
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
        'receipts_in_scope', 'refunds', 'refund',
        ['shop_id', 'receipt_id', 'shop_time_zone', 'receipt_created_date', '_airbyte_extracted_at'],
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
        {{ local_date(
            epoch_to_timestamp(json_string('refund', '$.created_timestamp')), 'shop_time_zone'
        ) }} as refunded_date,
        receipt_created_date,
        {{ timestamptz_to_utc('_airbyte_extracted_at') }} as extracted_at
    from unnested
)

select * from final
