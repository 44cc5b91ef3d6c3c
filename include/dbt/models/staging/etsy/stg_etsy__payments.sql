with source as (
    select * from {{ source('etsy', 'payments') }}
    {{ latest_airbyte_record('payment_id') }}
),

final as (
    select
        cast(source.payment_id as string) as payment_id,
        cast(source.shop_id as string) as shop_id,
        cast(source.receipt_id as string) as receipt_id,
        lower(source.status) as payment_status,
        upper(source.currency) as currency_code,
        upper(source.shop_currency) as shop_currency_code,
        {{ money_amount('source.amount_gross') }} as amount_gross,
        {{ money_amount('source.amount_fees') }} as amount_fees,
        {{ money_amount('source.amount_net') }} as amount_net,
        {{ money_amount('source.posted_gross') }} as posted_gross,
        {{ money_amount('source.posted_fees') }} as posted_fees,
        {{ money_amount('source.posted_net') }} as posted_net,
        {{ money_amount('source.adjusted_gross') }} as adjusted_gross,
        {{ money_amount('source.adjusted_fees') }} as adjusted_fees,
        {{ money_amount('source.adjusted_net') }} as adjusted_net,
        {{ epoch_to_timestamp('source.created_timestamp') }} as created_at,
        {{ epoch_to_timestamp('source.updated_timestamp') }} as updated_at,
        {{ airbyte_nulled_fields('source._airbyte_meta') }} as airbyte_nulled_fields,
        {{ timestamptz_to_utc('source._airbyte_extracted_at') }} as extracted_at
    from source
)

select * from final
