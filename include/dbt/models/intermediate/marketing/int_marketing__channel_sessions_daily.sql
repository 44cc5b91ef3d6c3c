{#- GA4 sessions per shop, day and GA4's own session default channel group (its channel
    report, sessionDefaultChannelGroup: GA4 files etsy.com referrals under Organic Shopping,
    and applies rules our source / medium mapping cannot, such as campaign names), with
    each channel's share of the shop-day's sessions: the basis of order attribution.
    A property missing from shop_accounts keeps its rows with a null shop_id, which the
    marts' not_null tests report. -#}
with channel_groupings as (

    select * from {{ ref('stg_ga4__session_channel_groupings') }}

),

shop_accounts as (

    select * from {{ ref('int_marketing__shop_accounts') }}

),

final as (

    select
        shop_accounts.shop_id,
        channel_groupings.date_day,
        channel_groupings.ga4_channel_group as channel_group,
        channel_groupings.sessions,
        channel_groupings.engaged_sessions,
        channel_groupings.engagement_seconds,
        channel_groupings.key_events,
        sum(channel_groupings.sessions) over (
            partition by shop_accounts.shop_id, channel_groupings.date_day
        ) as shop_day_sessions,
        channel_groupings.is_provisional
    from channel_groupings
    left join shop_accounts
        on channel_groupings.ga4_property_id = shop_accounts.ga4_property_id

)

select * from final
