{#- The deduplicated ledger, materialized incrementally by ledger day. Classification by
    the ledger-type mapping seed happens downstream, at read time, so a mapping added for a
    new ledger type reclassifies its whole history on the next run. -#}
{{ config(**sales_incremental_config('entry_date', ['shop_id', 'ledger_type'])) }}

with ledger_entries as (
    select * from {{ ref('stg_etsy__ledger_entries') }}
),

{% if is_incremental() %}
changed_entry_dates as (
    select distinct created_date as entry_date
    from ledger_entries
    where {{ sales_window_contains_date('created_date') }}
        or {{ sales_window_contains_timestamp('extracted_at') }}
),
{% endif %}

final as (
    select
        entry_id,
        shop_id,
        ledger_id,
        sequence_number,
        ledger_type,
        reference_type,
        reference_id,
        entry_description,
        currency_code,
        amount,
        created_at,
        created_date as entry_date
    from ledger_entries
    {% if is_incremental() %}
    where created_date in (select entry_date from changed_entry_dates)
    {% endif %}
)

select * from final
