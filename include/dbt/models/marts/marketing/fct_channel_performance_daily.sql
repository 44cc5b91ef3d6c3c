{#- One row per shop, day and channel group: GA4 sessions, engaged sessions, engagement time
    and key events from GA4's own channel report (sessionDefaultChannelGroup, GA4's grouping,
    not a re-derivation), Instagram reach and engagement on
    the Organic Social row (the account's daily reach and the day's growth of post
    interactions: Instagram is the shop's social account), and Etsy orders and revenue
    attributed by session share (int_marketing__orders_attributed_to_channels; limits in
    marketing.md). Channel 'Unattributed' carries the sales of shop-days without sessions. -#}
{{ config(**date_partitioned_table_config('date_day', ['shop_id'])) }}

with channel_sessions as (

    select * from {{ ref('int_marketing__channel_sessions_daily') }}

),

attributed as (

    select * from {{ ref('int_marketing__orders_attributed_to_channels') }}

),

instagram_daily as (

    select * from {{ ref('fct_instagram_account_daily') }}

),

channel_groups as (

    select * from {{ ref('ga4_default_channel_groups') }}

),

shop_accounts as (

    select * from {{ ref('int_marketing__shop_accounts') }}

),

channel_rows as (

    select
        shop_id,
        date_day,
        channel_group,
        sessions,
        engaged_sessions,
        engagement_seconds,
        key_events,
        cast(0 as {{ dbt.type_bigint() }}) as attributed_orders,
        cast(0 as {{ type_money() }}) as attributed_revenue,
        cast(null as {{ dbt.type_bigint() }}) as instagram_reach,
        cast(null as {{ dbt.type_bigint() }}) as instagram_interactions,
        cast(null as {{ dbt.type_bigint() }}) as instagram_new_followers,
        cast(null as {{ dbt.type_bigint() }}) as instagram_posts_published
    from channel_sessions

    union all

    select
        shop_id,
        date_day,
        channel_group,
        0 as sessions,
        0 as engaged_sessions,
        0 as engagement_seconds,
        0 as key_events,
        attributed_orders,
        attributed_revenue,
        null as instagram_reach,
        null as instagram_interactions,
        null as instagram_new_followers,
        null as instagram_posts_published
    from attributed

    union all

    select
        shop_id,
        date_day,
        'Organic Social' as channel_group,
        0 as sessions,
        0 as engaged_sessions,
        0 as engagement_seconds,
        0 as key_events,
        0 as attributed_orders,
        0 as attributed_revenue,
        reach as instagram_reach,
        post_interactions as instagram_interactions,
        new_followers as instagram_new_followers,
        posts_published + stories_published as instagram_posts_published
    from instagram_daily

),

aggregated as (

    select
        shop_id,
        date_day,
        channel_group,
        sum(sessions) as sessions,
        sum(engaged_sessions) as engaged_sessions,
        sum(engagement_seconds) as engagement_seconds,
        sum(key_events) as key_events,
        sum(attributed_orders) as attributed_orders,
        cast(sum(attributed_revenue) as {{ type_money() }}) as attributed_revenue,
        sum(instagram_reach) as instagram_reach,
        sum(instagram_interactions) as instagram_interactions,
        sum(instagram_new_followers) as instagram_new_followers,
        sum(instagram_posts_published) as instagram_posts_published
    from channel_rows
    group by shop_id, date_day, channel_group

),

final as (

    select
        aggregated.shop_id,
        aggregated.date_day,
        aggregated.channel_group,
        channel_groups.is_paid as is_paid_channel,
        shop_accounts.shop_currency_code as currency_code,
        cast(aggregated.sessions as {{ dbt.type_bigint() }}) as sessions,
        cast(aggregated.engaged_sessions as {{ dbt.type_bigint() }}) as engaged_sessions,
        cast(aggregated.engagement_seconds as {{ type_money() }}) as engagement_seconds,
        cast(aggregated.key_events as {{ dbt.type_bigint() }}) as key_events,
        cast(aggregated.attributed_orders as {{ dbt.type_bigint() }}) as attributed_orders,
        aggregated.attributed_revenue,
        cast(aggregated.instagram_reach as {{ dbt.type_bigint() }}) as instagram_reach,
        cast(aggregated.instagram_interactions as {{ dbt.type_bigint() }}) as instagram_interactions,
        cast(aggregated.instagram_new_followers as {{ dbt.type_bigint() }}) as instagram_new_followers,
        cast(aggregated.instagram_posts_published as {{ dbt.type_bigint() }}) as instagram_posts_published
    from aggregated
    left join channel_groups
        on aggregated.channel_group = channel_groups.channel_group
    left join shop_accounts
        on aggregated.shop_id = shop_accounts.shop_id

)

select * from final
