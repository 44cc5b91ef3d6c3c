{#- Ledger amounts are signed integers in minor units of the entry's currency (cents for
    USD, yen for JPY): kept as integers here; int_sales__ledger_allocations divides them by
    the currency's own divisor (seeds/iso_4217_currencies.csv).
    Incremental by UTC ledger day (macros/sales/incremental.sql): ten million entries are
    deduplicated and converted once, not by every reader and test. An entry's create_date never
    changes, so a day's slice of raw holds every version of its entries. The shop-local day is
    int_sales__ledger_allocations' (it needs the shop's time zone). -#}
-- depends_on: {{ ref('base_etsy__ledger_entry_changes') }} (the incremental branch's change index)
{{ config(**sales_incremental_config('created_utc_date', ['shop_id', 'entry_id'])) }}

with source as (
    {{ latest_airbyte_versions(
        source('etsy', 'ledger_entries'), 'entry_id',
        sales_created_on_changed_days(ref('base_etsy__ledger_entry_changes'), 'create_date') if is_incremental() else none
    ) }}
),

renamed as (
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
        cast(source.amount as bigint) as amount_minor_units,
        cast(source.balance as bigint) as balance_minor_units,
        {{ epoch_to_timestamp('source.create_date') }} as created_at,
        cast({{ epoch_to_timestamp('source.create_date') }} as date) as created_utc_date,
        {{ airbyte_nulled_fields('source._airbyte_meta') }} as airbyte_nulled_fields,
        {{ timestamptz_to_utc('source._airbyte_extracted_at') }} as extracted_at
    from source
),

final as (
    select * from renamed
)

select * from final
