with source as (
    select * from {{ source('etsy', 'listings') }}
    {{ latest_airbyte_record('listing_id') }}
),

final as (
    select
        cast(listing_id as string) as listing_id,
        cast(shop_id as string) as shop_id,
        title,
        lower(state) as listing_state,
        lower(listing_type) as listing_type,
        cast(taxonomy_id as string) as taxonomy_id,
        cast(shop_section_id as string) as shop_section_id,
        url as listing_url,
        {{ money_currency('price') }} as currency_code,
        {{ money_amount('price') }} as price,
        cast(quantity as bigint) as quantity_available,
        cast(num_favorers as bigint) as favorer_count,
        is_customizable,
        is_personalizable,
        has_variations,
        should_auto_renew,
        {{ epoch_to_timestamp('created_timestamp') }} as created_at,
        {{ epoch_to_timestamp('updated_timestamp') }} as updated_at,
        {{ epoch_to_timestamp('ending_timestamp') }} as ends_at,
        {{ airbyte_nulled_fields('_airbyte_meta') }} as airbyte_nulled_fields,
        {{ timestamptz_to_utc('_airbyte_extracted_at') }} as extracted_at
    from source
)

select * from final
