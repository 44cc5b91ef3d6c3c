{#- Every allocated ledger entry with its class and fee type from etsy_ledger_type_mapping,
    joined when read: a view, so a mapping row added for a new ledger type classifies its
    whole history at once, with no rebuild of the stored allocations. A type missing from
    the mapping keeps its entry, with no class (stg_etsy__ledger_entries' warn-level test
    names it; fct_sales_daily shows its amount as unclassified). -#}
with ledger_allocations as (
    select * from {{ ref('int_sales__ledger_allocations') }}
),

ledger_type_mapping as (
    select * from {{ ref('etsy_ledger_type_mapping') }}
),

final as (
    select
        ledger_allocations.*,
        ledger_type_mapping.entry_class,
        ledger_type_mapping.fee_type
    from ledger_allocations
    left join ledger_type_mapping
        on ledger_allocations.ledger_type = ledger_type_mapping.ledger_type
)

select * from final
