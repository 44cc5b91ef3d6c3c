{#- The change index of ledger entries (macros/sales/incremental.sql, etsy_change_index):
    when each version of an entry landed, its shop and the UTC day the entry was created.
    stg_etsy__ledger_entries and int_sales__ledger_allocations look up here which days they
    rebuild. -#}
with final as (
    {{ etsy_change_index(source('etsy', 'ledger_entries'), 'create_date') }}
)

select * from final
