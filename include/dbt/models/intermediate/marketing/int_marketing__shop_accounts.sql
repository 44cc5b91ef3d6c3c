{#- The seller-stated links between an Etsy shop, its GA4 property and its Instagram
    business account, with every id as a string key (the seed's digits load as integers). -#}
with shop_accounts as (

    select * from {{ ref('shop_accounts') }}

),

final as (

    select
        cast(shop_id as {{ dbt.type_string() }}) as shop_id,
        shop_time_zone,
        shop_currency_code,
        cast(ga4_property_id as {{ dbt.type_string() }}) as ga4_property_id,
        cast(instagram_business_account_id as {{ dbt.type_string() }}) as instagram_account_id
    from shop_accounts

)

select * from final
