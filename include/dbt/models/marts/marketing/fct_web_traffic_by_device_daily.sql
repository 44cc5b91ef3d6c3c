{#- Website traffic per shop, day, device category, operating system and browser (GA4's
    devices report: it has no source, so device and source cannot be crossed). -#}
{{ config(**date_partitioned_table_config('date_day', ['shop_id'])) }}

with devices as (

    select * from {{ ref('stg_ga4__devices') }}

),

shop_accounts as (

    select * from {{ ref('int_marketing__shop_accounts') }}

),

final as (

    select
        shop_accounts.shop_id,
        devices.date_day,
        devices.device_category,
        devices.operating_system,
        devices.browser,
        devices.sessions,
        devices.engaged_sessions,
        devices.bounced_sessions,
        cast(devices.session_duration_seconds as {{ type_money() }}) as session_duration_seconds,
        devices.page_views,
        devices.new_users,
        devices.total_users,
        devices.is_provisional
    from devices
    left join shop_accounts
        on devices.ga4_property_id = shop_accounts.ga4_property_id

)

select * from final
