{#- Website traffic per shop, day, country, region and city (GA4's locations report, GA4's
    English names, not ISO codes; it has no source, so location and source cannot be crossed). -#}
{{ config(**date_partitioned_table_config('date_day', ['shop_id'])) }}

with locations as (

    select * from {{ ref('stg_ga4__locations') }}

),

shop_accounts as (

    select * from {{ ref('int_marketing__shop_accounts') }}

),

final as (

    select
        shop_accounts.shop_id,
        locations.date_day,
        locations.country_name,
        locations.region_name,
        locations.city_name,
        locations.sessions,
        locations.engaged_sessions,
        locations.bounced_sessions,
        cast(locations.session_duration_seconds as {{ type_money() }}) as session_duration_seconds,
        locations.page_views,
        locations.new_users,
        locations.total_users,
        locations.is_provisional
    from locations
    left join shop_accounts
        on locations.ga4_property_id = shop_accounts.ga4_property_id

)

select * from final
