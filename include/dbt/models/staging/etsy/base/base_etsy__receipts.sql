{#- The latest version of each receipt, still in Etsy's shape: the one place receipts are
    deduplicated, so the receipt and its unnested transactions, refunds and shipments
    always come from the same version. The latest version is picked on narrow columns,
    then joined back: ranking whole receipts would sort their JSON arrays too, and a
    filter on this view (an incremental run's days) reaches the raw scan. -#}
with latest_versions as (
    select _airbyte_raw_id
    from {{ source('etsy', 'receipts') }}
    {{ latest_airbyte_record('receipt_id') }}
),

final as (
    select receipts.*
    from {{ source('etsy', 'receipts') }} as receipts
    where receipts._airbyte_raw_id in (select latest_versions._airbyte_raw_id from latest_versions)
)

select * from final
