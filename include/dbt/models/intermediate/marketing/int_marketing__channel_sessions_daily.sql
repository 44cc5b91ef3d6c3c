{#- GA4 sessions per shop, day and default channel group (our mapping of source / medium),
    with each channel's share of the shop-day's sessions: the basis of order attribution. -#}
with traffic_sources as (

    select * from {{ ref('int_ga4__traffic_sources_classified') }}

),

by_channel as (

    select
        shop_id,
        date_day,
        channel_group,
        sum(sessions) as sessions,
        sum(engaged_sessions) as engaged_sessions,
        sum(session_duration_seconds) as session_duration_seconds,
        sum(page_views) as page_views,
        sum(new_users) as new_users
    from traffic_sources
    group by shop_id, date_day, channel_group

),

final as (

    select
        *,
        sum(sessions) over (partition by shop_id, date_day) as shop_day_sessions
    from by_channel

)

select * from final
