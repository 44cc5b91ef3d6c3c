{#- The change index of payments (macros/sales/incremental.sql, etsy_change_index): when
    each version of a payment landed, its shop and the UTC day the payment was created.
    stg_etsy__payments and int_sales__ledger_allocations look up here which days they
    rebuild. -#}
with final as (
    {{ etsy_change_index(source('etsy', 'payments'), 'created_timestamp') }}
)

select * from final
