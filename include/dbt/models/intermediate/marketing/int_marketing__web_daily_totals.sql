{#- GA4's property-wide daily totals (website_overview) per shop: the totals every
    breakdown (source / medium, channel, device, location) must add up to. -#}
with website_overviews as (

    select * from {{ ref('stg_ga4__website_overviews') }}

),

shop_accounts as (

    select * from {{ ref('int_marketing__shop_accounts') }}

),

final as (

    select
        shop_accounts.shop_id,
        website_overviews.ga4_property_id,
        website_overviews.date_day,
        website_overviews.sessions,
        website_overviews.engaged_sessions,
        website_overviews.bounced_sessions,
        website_overviews.session_duration_seconds,
        website_overviews.page_views,
        website_overviews.new_users,
        website_overviews.total_users,
        website_overviews.is_provisional
    from website_overviews
    left join shop_accounts
        on website_overviews.ga4_property_id = shop_accounts.ga4_property_id

)

select * from final
