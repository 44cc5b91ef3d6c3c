{#- One row per Instagram post or story: its attributes (unknown once deleted or expired),
    its latest lifetime metrics (the last known value of each) and its first-7-days metrics:
    the sum of its daily deltas dated from the shop-local posting day through the 6 days
    after it. The 7-day figures are complete only when the first snapshot fell inside that
    window (otherwise the first delta carries older growth) and a snapshot exists on or after
    its last day (has_complete_first_7_days). -#}
{{ config(**date_partitioned_table_config('posted_date', ['shop_id'])) }}
{%- set count_metrics = ['reach', 'likes', 'comments', 'replies', 'saves', 'shares', 'total_interactions',
                         'follows', 'profile_visits'] %}
{%- set first_7_days_metrics = ['reach', 'likes', 'comments', 'saves', 'shares', 'total_interactions',
                               'follows', 'profile_visits'] %}
with posts as (

    select * from {{ ref('int_instagram__posts') }}

),

snapshots as (

    select * from {{ ref('int_instagram__post_snapshots_daily') }}

),

daily as (

    select * from {{ ref('int_instagram__post_insights_daily') }}

),

latest_snapshot as (

    select *
    from snapshots
    qualify row_number() over (partition by post_id, is_story order by date_day desc) = 1

),

snapshot_coverage as (

    select
        post_id,
        is_story,
        count(*) as snapshot_days,
        min(date_day) as first_snapshot_date,
        max(date_day) as last_snapshot_date
    from snapshots
    group by post_id, is_story

),

first_7_days as (

    select
        daily.post_id,
        {% for metric in first_7_days_metrics %}
        sum({{ metric }}) as first_7_days_{{ metric }},
        {% endfor %}
        daily.is_story
    from daily
    inner join posts
        on daily.post_id = posts.post_id
        and daily.is_story = posts.is_story
    where daily.date_day between posts.posted_date and {{ date_add_days('posts.posted_date', 6) }}
    group by daily.post_id, daily.is_story

),

final as (

    select
        posts.post_id,
        posts.shop_id,
        posts.instagram_account_id,
        posts.is_story,
        posts.media_product_type,
        posts.media_type,
        posts.caption,
        posts.permalink,
        posts.posted_at,
        posts.posted_date,
        posts.is_deleted,
        posts.is_expired_story,
        posts.first_snapshot_at,
        posts.last_snapshot_at,
        coalesce(snapshot_coverage.snapshot_days, 0) as snapshot_days,
        {%- for metric in count_metrics %}
        latest_snapshot.lifetime_{{ metric }},
        {%- endfor %}
        cast(latest_snapshot.lifetime_reels_watch_seconds as {{ type_money() }}) as lifetime_reels_watch_seconds,
        {%- for metric in first_7_days_metrics %}
        case
            when posts.posted_date is not null and snapshot_coverage.post_id is not null
                then cast(coalesce(first_7_days.first_7_days_{{ metric }}, 0) as {{ dbt.type_bigint() }})
        end as first_7_days_{{ metric }},
        {%- endfor %}
        coalesce(
            snapshot_coverage.first_snapshot_date <= {{ date_add_days('posts.posted_date', 6) }}
            and snapshot_coverage.last_snapshot_date >= {{ date_add_days('posts.posted_date', 6) }},
            false
        ) as has_complete_first_7_days
    from posts
    left join latest_snapshot
        on posts.post_id = latest_snapshot.post_id
        and posts.is_story = latest_snapshot.is_story
    left join snapshot_coverage
        on posts.post_id = snapshot_coverage.post_id
        and posts.is_story = snapshot_coverage.is_story
    left join first_7_days
        on posts.post_id = first_7_days.post_id
        and posts.is_story = first_7_days.is_story

)

select * from final
