{#- Transaction reviews: at most one per transaction (Etsy's key), edits arrive as new
    versions of the same key. -#}
with source as (
    select * from {{ source('etsy', 'reviews') }}
    {{ latest_airbyte_record('transaction_id') }}
),

final as (
    select
        cast(source.transaction_id as string) as transaction_id,
        cast(source.shop_id as string) as shop_id,
        cast(source.listing_id as string) as listing_id,
        cast(source.rating as bigint) as rating,
        source.language as review_language,
        source.image_url_fullxfull is not null as has_image,
        {{ epoch_to_timestamp('source.created_timestamp') }} as created_at,
        {{ epoch_to_timestamp('source.updated_timestamp') }} as updated_at,
        {{ airbyte_nulled_fields('source._airbyte_meta') }} as airbyte_nulled_fields,
        {{ timestamptz_to_utc('source._airbyte_extracted_at') }} as extracted_at
    from source
)

select * from final
