{#- The latest version of each receipt, still in Etsy's shape: a full build's input to
    stg_etsy__receipts and the unnested transactions, refunds and shipments, so the receipt
    and its children always come from the same version. An incremental run of those models
    reads the same ranking (latest_airbyte_versions) on the same slice of raw instead
    (sales_created_on_changed_days, from base_etsy__receipt_changes), not this view over all of raw. -#}
with latest_versions as (
    {{ latest_airbyte_versions(source('etsy', 'receipts'), 'receipt_id') }}
),

final as (
    select * from latest_versions
)

select * from final
