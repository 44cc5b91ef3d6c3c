{#- The change index of receipts (macros/sales/incremental.sql, etsy_change_index): when
    each version of a receipt landed, its shop and the UTC day the receipt was created.
    Every incremental model derived from receipts (staging's receipts, transactions, refunds
    and shipments; the order and refund intermediates; fct_order_items) looks up here which
    days it rebuilds. -#}
with final as (
    {{ etsy_change_index(source('etsy', 'receipts'), 'created_timestamp') }}
)

select * from final
