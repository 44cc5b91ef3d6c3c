{#- Every post and story the account ever had in our data: the current media listing, every
    story a sync saw live, plus any post or story known only from its insight snapshots. The
    media stream is overwritten at every sync, so a deleted post keeps only its id, account and
    insights history: it stays, flagged, with unknown attributes. The stories stream is
    appended at every sync, so a story keeps its posting time after it expires; it is expired
    once 24 hours have passed by the account's latest sync (Instagram's own story lifetime). -#}
with posts as (

    select * from {{ ref('stg_instagram__posts') }}

),

stories as (

    select * from {{ ref('stg_instagram__stories') }}

),

post_snapshots as (

    select * from {{ ref('stg_instagram__post_insight_snapshots') }}

),

story_snapshots as (

    select * from {{ ref('stg_instagram__story_insight_snapshots') }}

),

shop_accounts as (

    select * from {{ ref('int_marketing__shop_accounts') }}

),

snapshot_history as (

    select
        post_id,
        false as is_story,
        min(instagram_account_id) as instagram_account_id,
        min(snapshot_at) as first_snapshot_at,
        max(snapshot_at) as last_snapshot_at
    from post_snapshots
    group by post_id

    union all

    select
        post_id,
        true as is_story,
        min(instagram_account_id) as instagram_account_id,
        min(snapshot_at) as first_snapshot_at,
        max(snapshot_at) as last_snapshot_at
    from story_snapshots
    group by post_id

),

listed as (

    select
        post_id,
        instagram_account_id,
        false as is_story,
        media_type,
        media_product_type,
        caption,
        permalink,
        posted_at
    from posts

    union all

    select
        post_id,
        instagram_account_id,
        true as is_story,
        media_type,
        media_product_type,
        caption,
        permalink,
        posted_at
    from stories

),

latest_sync as (

    select
        instagram_account_id,
        max(last_snapshot_at) as last_synced_at
    from (
        select
            instagram_account_id,
            last_snapshot_at
        from snapshot_history
        union all
        select
            instagram_account_id,
            extracted_at as last_snapshot_at
        from stories
    ) as syncs
    group by instagram_account_id

),

all_posts as (

    select
        coalesce(listed.post_id, snapshot_history.post_id) as post_id,
        coalesce(listed.instagram_account_id, snapshot_history.instagram_account_id) as instagram_account_id,
        coalesce(listed.is_story, snapshot_history.is_story) as is_story,
        listed.media_type,
        listed.media_product_type,
        listed.caption,
        listed.permalink,
        listed.posted_at,
        snapshot_history.first_snapshot_at,
        snapshot_history.last_snapshot_at,
        listed.post_id is not null as is_listed
    from listed
    full outer join snapshot_history
        on listed.post_id = snapshot_history.post_id
        and listed.is_story = snapshot_history.is_story

),

final as (

    select
        all_posts.post_id,
        shop_accounts.shop_id,
        all_posts.instagram_account_id,
        all_posts.is_story,
        case
            when all_posts.media_product_type is not null then all_posts.media_product_type
            when all_posts.is_story then 'STORY'
        end as media_product_type,
        all_posts.media_type,
        all_posts.caption,
        all_posts.permalink,
        all_posts.posted_at,
        {{ local_date('all_posts.posted_at', 'shop_accounts.shop_time_zone') }} as posted_date,
        all_posts.first_snapshot_at,
        all_posts.last_snapshot_at,
        not all_posts.is_story and not all_posts.is_listed as is_deleted,
        all_posts.is_story and (
            all_posts.posted_at is null
            -- dbt's datediff renders past the line limit.
            or {{ dbt.datediff('all_posts.posted_at', 'latest_sync.last_synced_at', 'second') }} >= 24 * 3600  -- noqa: LT05
        ) as is_expired_story
    from all_posts
    left join shop_accounts
        on all_posts.instagram_account_id = shop_accounts.instagram_account_id
    left join latest_sync
        on all_posts.instagram_account_id = latest_sync.instagram_account_id

)

select * from final
