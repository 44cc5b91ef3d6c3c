{#- One row per payment, incremental by UTC creation day (macros/sales/incremental.sql): a
    daily run reads the payments of the days with a landed change, not all of raw. -#}
-- depends_on: {{ ref('base_etsy__payment_changes') }} (the incremental branch's change index)
{{ config(**sales_incremental_config('created_utc_date', ['shop_id', 'receipt_id'])) }}

with source as (
    {{ latest_airbyte_versions(
        source('etsy', 'payments'), 'payment_id',
        sales_created_on_changed_days(ref('base_etsy__payment_changes'), 'created_timestamp') if is_incremental() else none
    ) }}
),

{%- set money_columns = [
    'amount_gross', 'amount_fees', 'amount_net', 'posted_gross', 'posted_fees',
    'posted_net', 'adjusted_gross', 'adjusted_fees', 'adjusted_net',
] %}

money_parts as (
    {{ json_money_parts('source', money_columns, [
        'payment_id', 'shop_id', 'receipt_id', 'status', 'currency', 'shop_currency',
        'created_timestamp', 'updated_timestamp', '_airbyte_meta', '_airbyte_extracted_at',
    ]) }}
),

final as (
    select
        cast(money_parts.payment_id as string) as payment_id,
        cast(money_parts.shop_id as string) as shop_id,
        cast(money_parts.receipt_id as string) as receipt_id,
        lower(money_parts.status) as payment_status,
        upper(money_parts.currency) as currency_code,
        upper(money_parts.shop_currency) as shop_currency_code,
        {{ money_from_parts('money_parts.amount_gross_amount', 'money_parts.amount_gross_divisor') }} as amount_gross,
        {{ money_from_parts('money_parts.amount_fees_amount', 'money_parts.amount_fees_divisor') }} as amount_fees,
        {{ money_from_parts('money_parts.amount_net_amount', 'money_parts.amount_net_divisor') }} as amount_net,
        {{ money_from_parts('money_parts.posted_gross_amount', 'money_parts.posted_gross_divisor') }} as posted_gross,
        {{ money_from_parts('money_parts.posted_fees_amount', 'money_parts.posted_fees_divisor') }} as posted_fees,
        {{ money_from_parts('money_parts.posted_net_amount', 'money_parts.posted_net_divisor') }} as posted_net,
        {{ money_from_parts(
            'money_parts.adjusted_gross_amount', 'money_parts.adjusted_gross_divisor'
        ) }} as adjusted_gross,
        {{ money_from_parts(
            'money_parts.adjusted_fees_amount', 'money_parts.adjusted_fees_divisor'
        ) }} as adjusted_fees,
        {{ money_from_parts('money_parts.adjusted_net_amount', 'money_parts.adjusted_net_divisor') }} as adjusted_net,
        {{ epoch_to_timestamp('money_parts.created_timestamp') }} as created_at,
        {{ epoch_to_timestamp('money_parts.updated_timestamp') }} as updated_at,
        cast({{ epoch_to_timestamp('money_parts.created_timestamp') }} as date) as created_utc_date,
        {{ airbyte_nulled_fields('money_parts._airbyte_meta') }} as airbyte_nulled_fields,
        {{ timestamptz_to_utc('money_parts._airbyte_extracted_at') }} as extracted_at
    from money_parts
)

select * from final
