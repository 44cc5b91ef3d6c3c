{#- One row per shop and day of its Instagram business account: the account's daily insights
    (new followers, reach; reach over 7 and 28 days are rolling distinct counts, never summed),
    posts and stories published, the day's growth of post interactions (backfill deltas
    excluded, see int_instagram__post_insights_daily) and an end-of-day follower count.
    Followers: Airbyte overwrites the users stream, so only the latest count is known; earlier
    days are estimated as that count minus the new followers of the days after (unfollows are
    not reported by the API, so the estimate runs low by the unfollows since).
    followers_count_is_estimated is false on the day the count was read. -#}
{{ config(**date_partitioned_table_config('date_day', ['shop_id'])) }}

with account_insights as (

    select * from {{ ref('stg_instagram__account_insights') }}

),

accounts as (

    select * from {{ ref('stg_instagram__accounts') }}

),

posts as (

    select * from {{ ref('int_instagram__posts') }}

),

post_daily as (

    select * from {{ ref('int_instagram__post_insights_daily') }}

),

shop_accounts as (

    select * from {{ ref('int_marketing__shop_accounts') }}

),

insights as (

    select
        shop_accounts.shop_id,
        account_insights.instagram_account_id,
        account_insights.date_day,
        account_insights.new_followers,
        account_insights.reach,
        account_insights.reach_7_days,
        account_insights.reach_28_days
    from account_insights
    left join shop_accounts
        on account_insights.instagram_account_id = shop_accounts.instagram_account_id

),

published as (

    select
        shop_id,
        instagram_account_id,
        posted_date as date_day,
        sum(case when not is_story then 1 else 0 end) as posts_published,
        sum(case when is_story then 1 else 0 end) as stories_published
    from posts
    where posted_date is not null
    group by shop_id, instagram_account_id, posted_date

),

post_activity as (

    select
        shop_id,
        instagram_account_id,
        date_day,
        sum(total_interactions) as post_interactions,
        sum(likes) as post_likes,
        sum(comments) as post_comments,
        sum(replies) as story_replies,
        sum(saves) as post_saves,
        sum(shares) as post_shares,
        sum(profile_visits) as post_profile_visits,
        sum(follows) as post_follows
    from post_daily
    where not is_backfill
    group by shop_id, instagram_account_id, date_day

),

account_days as (

    select
        shop_id,
        instagram_account_id,
        date_day
    from insights
    union distinct
    select
        shop_id,
        instagram_account_id,
        date_day
    from published
    union distinct
    select
        shop_id,
        instagram_account_id,
        date_day
    from post_activity

),

follower_count_read as (

    select
        shop_accounts.shop_id,
        accounts.instagram_account_id,
        accounts.followers_count,
        {{ instagram_snapshot_activity_date('accounts.extracted_at', 'shop_accounts.shop_time_zone') }} as read_for_date
    from accounts
    left join shop_accounts
        on accounts.instagram_account_id = shop_accounts.instagram_account_id

),

combined as (

    select
        account_days.shop_id,
        account_days.instagram_account_id,
        account_days.date_day,
        coalesce(insights.new_followers, 0) as new_followers,
        insights.reach,
        insights.reach_7_days,
        insights.reach_28_days,
        coalesce(published.posts_published, 0) as posts_published,
        coalesce(published.stories_published, 0) as stories_published,
        coalesce(post_activity.post_interactions, 0) as post_interactions,
        coalesce(post_activity.post_likes, 0) as post_likes,
        coalesce(post_activity.post_comments, 0) as post_comments,
        coalesce(post_activity.story_replies, 0) as story_replies,
        coalesce(post_activity.post_saves, 0) as post_saves,
        coalesce(post_activity.post_shares, 0) as post_shares,
        coalesce(post_activity.post_profile_visits, 0) as post_profile_visits,
        coalesce(post_activity.post_follows, 0) as post_follows,
        follower_count_read.followers_count as latest_followers_count,
        follower_count_read.read_for_date
    from account_days
    left join insights
        on account_days.instagram_account_id = insights.instagram_account_id
        and account_days.date_day = insights.date_day
    left join published
        on account_days.instagram_account_id = published.instagram_account_id
        and account_days.date_day = published.date_day
    left join post_activity
        on account_days.instagram_account_id = post_activity.instagram_account_id
        and account_days.date_day = post_activity.date_day
    left join follower_count_read
        on account_days.instagram_account_id = follower_count_read.instagram_account_id

),

final as (

    select
        shop_id,
        instagram_account_id,
        date_day,
        new_followers,
        case
            when date_day <= read_for_date
                then cast(
                        latest_followers_count - coalesce(
                            sum(case when date_day <= read_for_date then new_followers end) over (
                                partition by instagram_account_id
                                order by date_day
                                rows between 1 following and unbounded following
                            ),
                            0
                        ) as {{ dbt.type_bigint() }}
                    )
        end as followers_count,
        date_day <> read_for_date as followers_count_is_estimated,
        reach,
        reach_7_days,
        reach_28_days,
        cast(posts_published as {{ dbt.type_bigint() }}) as posts_published,
        cast(stories_published as {{ dbt.type_bigint() }}) as stories_published,
        cast(post_interactions as {{ dbt.type_bigint() }}) as post_interactions,
        cast(post_likes as {{ dbt.type_bigint() }}) as post_likes,
        cast(post_comments as {{ dbt.type_bigint() }}) as post_comments,
        cast(story_replies as {{ dbt.type_bigint() }}) as story_replies,
        cast(post_saves as {{ dbt.type_bigint() }}) as post_saves,
        cast(post_shares as {{ dbt.type_bigint() }}) as post_shares,
        cast(post_profile_visits as {{ dbt.type_bigint() }}) as post_profile_visits,
        cast(post_follows as {{ dbt.type_bigint() }}) as post_follows
    from combined

)

select * from final
