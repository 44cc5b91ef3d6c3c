{#- GA4's property-wide daily totals (website_overview) per shop: the totals every
    breakdown (source / medium, channel, device, location) must add up to; and the day's
    key events (GA4's conversions report, one row per key event name, summed). -#}
with website_overviews as (

    select * from {{ ref('stg_ga4__website_overviews') }}

),

key_events as (

    select * from {{ ref('stg_ga4__key_events') }}

),

key_events_daily as (

    select
        ga4_property_id,
        date_day,
        sum(key_events) as key_events
    from key_events
    group by ga4_property_id, date_day

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
        cast(coalesce(key_events_daily.key_events, 0) as {{ dbt.type_bigint() }}) as key_events,
        website_overviews.is_provisional
    from website_overviews
    left join key_events_daily
        on website_overviews.ga4_property_id = key_events_daily.ga4_property_id
        and website_overviews.date_day = key_events_daily.date_day
    left join shop_accounts
        on website_overviews.ga4_property_id = shop_accounts.ga4_property_id

)

select * from final
