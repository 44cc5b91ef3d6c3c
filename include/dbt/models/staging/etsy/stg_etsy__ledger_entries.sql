{#- Ledger amounts are signed integers in minor units of the entry's currency (cents for
    USD, yen for JPY): kept as integers here; int_sales__ledger_allocations divides them by
    the currency's own divisor (seeds/iso_4217_currencies.csv).
    Incremental by UTC ledger day (macros/sales/incremental.sql): ten million entries are
    deduplicated and converted once, not by every reader and test. The shop-local day is
    int_sales__ledger_allocations' (it needs the shop's time zone). -#}
{{ config(**sales_incremental_config('created_utc_date', ['shop_id', 'entry_id'])) }}

with
{% if is_incremental() %}
changed_dates as (
    {{ sales_changed_source_dates(source('etsy', 'ledger_entries'), 'create_date') }}
),
{% endif %}

-- The latest version is picked on narrow columns, then joined back (cheaper than ranking
-- whole rows); an entry's create_date never changes, so the day filter keeps all versions.
latest_versions as (
    select _airbyte_raw_id
    from {{ source('etsy', 'ledger_entries') }}
    {% if is_incremental() %}
    where {{ sales_epoch_on_changed_dates('create_date', 'changed_dates') }}
    {% endif %}
    {{ latest_airbyte_record('entry_id') }}
),

source as (
    select ledger_entries.*
    from {{ source('etsy', 'ledger_entries') }} as ledger_entries
    where ledger_entries._airbyte_raw_id in (select latest_versions._airbyte_raw_id from latest_versions)
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
