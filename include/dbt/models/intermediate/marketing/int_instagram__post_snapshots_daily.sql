{#- Lifetime-insight snapshots of posts and stories, one per post per activity day: a sync
    on shop-local day D reports through D - 1 (macro instagram_snapshot_activity_date);
    when two syncs fall on one day, the later snapshot stands for it. A metric that arrived
    null in a snapshot (Airbyte nulls a value that fails its type) carries the post's last
    known value forward, so deltas still add up to the latest known lifetime value.
    Growth is never dated before the post's shop-local posting day (a sync a few hours after
    a post would otherwise date it to the day before). -#}
with post_snapshots as (

    select * from {{ ref('stg_instagram__post_insight_snapshots') }}

),

story_snapshots as (

    select * from {{ ref('stg_instagram__story_insight_snapshots') }}

),

posts as (

    select * from {{ ref('int_instagram__posts') }}

),

shop_accounts as (

    select * from {{ ref('int_marketing__shop_accounts') }}

),

unioned as (

    select
        post_id,
        instagram_account_id,
        false as is_story,
        snapshot_at,
        lifetime_reach,
        lifetime_likes,
        lifetime_comments,
        cast(null as {{ dbt.type_bigint() }}) as lifetime_replies,
        lifetime_saves,
        lifetime_shares,
        lifetime_total_interactions,
        lifetime_follows,
        lifetime_profile_visits,
        lifetime_reels_watch_seconds
    from post_snapshots

    union all

    select
        post_id,
        instagram_account_id,
        true as is_story,
        snapshot_at,
        lifetime_reach,
        cast(null as {{ dbt.type_bigint() }}) as lifetime_likes,
        cast(null as {{ dbt.type_bigint() }}) as lifetime_comments,
        lifetime_replies,
        cast(null as {{ dbt.type_bigint() }}) as lifetime_saves,
        lifetime_shares,
        lifetime_total_interactions,
        lifetime_follows,
        lifetime_profile_visits,
        cast(null as {{ dbt.type_numeric() }}) as lifetime_reels_watch_seconds
    from story_snapshots

),

{%- set activity_date = instagram_snapshot_activity_date('unioned.snapshot_at', 'shop_accounts.shop_time_zone') %}

dated as (

    select
        posts.shop_id,
        unioned.*,
        case
            when posts.posted_date > {{ activity_date }} then posts.posted_date
            else {{ activity_date }}
        end as date_day
    from unioned
    inner join posts
        on unioned.post_id = posts.post_id
        and unioned.is_story = posts.is_story
    left join shop_accounts
        on unioned.instagram_account_id = shop_accounts.instagram_account_id

),

latest_per_day as (

    select *
    from dated
    qualify row_number() over (partition by post_id, is_story, date_day order by snapshot_at desc) = 1

),

{%- set metrics = ['reach', 'likes', 'comments', 'replies', 'saves', 'shares', 'total_interactions',
                   'follows', 'profile_visits', 'reels_watch_seconds'] %}

carried_forward as (

    select
        shop_id,
        post_id,
        instagram_account_id,
        is_story,
        date_day,
        {% for metric in metrics %}
        last_value(lifetime_{{ metric }} ignore nulls) over (
            partition by post_id, is_story
            order by date_day
            rows between unbounded preceding and current row
        ) as lifetime_{{ metric }},
        {% endfor %}
        snapshot_at
    from latest_per_day

),

final as (

    select
        shop_id,
        post_id,
        instagram_account_id,
        is_story,
        date_day,
        snapshot_at,
        {% for metric in metrics %}
        lifetime_{{ metric }},
        {% endfor %}
        row_number() over (partition by post_id, is_story order by date_day) as snapshot_number
    from carried_forward

)

select * from final
