{#- The latest version of each receipt, still in Etsy's shape: the one place receipts are
    deduplicated, so the receipt and its unnested transactions, refunds and shipments
    always come from the same version. -#}
with source as (
    select * from {{ source('etsy', 'receipts') }}
),

final as (
    select *
    from source
    {{ latest_airbyte_record('receipt_id') }}
)

select * from final
