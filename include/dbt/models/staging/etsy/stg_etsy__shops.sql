with source as (
    select * from {{ source('etsy', 'shops') }}
    {{ latest_airbyte_record('shop_id') }}
),

final as (
    select
        cast(source.shop_id as string) as shop_id,
        source.shop_name,
        source.title as shop_title,
        upper(source.currency_code) as currency_code,
        upper(source.shop_location_country_iso) as shop_country_code,
        source.url as shop_url,
        source.is_vacation,
        source.is_shop_us_based,
        cast(source.listing_active_count as bigint) as active_listing_count,
        cast(source.digital_listing_count as bigint) as digital_listing_count,
        cast(source.num_favorers as bigint) as favorer_count,
        cast(source.transaction_sold_count as bigint) as transaction_sold_count,
        cast(source.review_count as bigint) as review_count,
        cast(source.review_average as {{ type_money() }}) as review_average,
        {{ epoch_to_timestamp('source.created_timestamp') }} as created_at,
        {{ epoch_to_timestamp('source.updated_timestamp') }} as updated_at,
        {{ airbyte_nulled_fields('source._airbyte_meta') }} as airbyte_nulled_fields,
        {{ timestamptz_to_utc('source._airbyte_extracted_at') }} as extracted_at
    from source
)

select * from final
