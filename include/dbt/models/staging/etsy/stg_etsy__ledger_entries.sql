{#- Ledger amounts are signed integers in minor units of the entry's currency: every
    Etsy ledger currency has two decimals, so amount / 100 is the decimal value. -#}
with source as (
    select * from {{ source('etsy', 'ledger_entries') }}
    {{ latest_airbyte_record('entry_id') }}
),

shop_accounts as (
    select
        cast(shop_id as string) as shop_id,
        shop_time_zone
    from {{ ref('shop_accounts') }}
),

final as (
    select
        cast(source.entry_id as string) as entry_id,
        cast(source.shop_id as string) as shop_id,
        cast(source.ledger_id as string) as ledger_id,
        cast(source.sequence_number as bigint) as sequence_number,
        source.ledger_type,
        lower(source.reference_type) as reference_type,
        cast(source.reference_id as string) as reference_id,
        source.description as entry_description,
        upper(source.currency) as currency_code,
        cast(cast(source.amount as {{ type_money() }}) / 100 as {{ type_money() }}) as amount,
        cast(cast(source.balance as {{ type_money() }}) / 100 as {{ type_money() }}) as balance,
        {{ epoch_to_timestamp('source.create_date') }} as created_at,
        {{ local_date(epoch_to_timestamp('source.create_date'), 'shop_accounts.shop_time_zone') }} as created_date,
        {{ timestamptz_to_utc('source._airbyte_extracted_at') }} as extracted_at
    from source
    left join shop_accounts
        on cast(source.shop_id as string) = shop_accounts.shop_id
)

select * from final
