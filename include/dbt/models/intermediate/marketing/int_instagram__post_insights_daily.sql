{#- Daily change of each post's lifetime insights: the lifetime value at a snapshot minus
    the value at the post's previous snapshot (0 before the first one), dated by the
    snapshot's activity day. The deltas of a post add up to its latest lifetime value by
    construction. A day without a sync folds into the next snapshot's delta; a negative
    delta (Instagram revises counts down: unlikes, deleted comments, spam removal) is kept,
    so the sum still matches. Reach deltas are new accounts reached by this post that day:
    additive over days for one post, not across posts.
    is_backfill marks a post's first snapshot dated after its posting day: its delta is
    growth accumulated over several days (a post older than the synced history, or a missed
    sync), not one day's activity; covered_days says how many days a delta spans. -#}
{%- set metrics = ['reach', 'likes', 'comments', 'replies', 'saves', 'shares', 'total_interactions',
                   'follows', 'profile_visits', 'reels_watch_seconds'] %}
with snapshots as (

    select * from {{ ref('int_instagram__post_snapshots_daily') }}

),

posts as (

    select * from {{ ref('int_instagram__posts') }}

),

with_previous as (

    select
        snapshots.*,
        posts.posted_date,
        lag(snapshots.date_day) over (
            partition by snapshots.post_id, snapshots.is_story order by snapshots.date_day
        ) as previous_date_day
    from snapshots
    inner join posts
        on snapshots.post_id = posts.post_id
        and snapshots.is_story = posts.is_story

),

final as (

    select
        shop_id,
        post_id,
        instagram_account_id,
        is_story,
        date_day,
        snapshot_at,
        snapshot_number,
        {% for metric in metrics %}
        lifetime_{{ metric }} - coalesce(
            lag(lifetime_{{ metric }}) over (partition by post_id, is_story order by date_day),
            0
        ) as {{ metric }},
        {% endfor %}
        snapshot_number = 1 and (posted_date is null or date_day > posted_date) as is_backfill,
        case
            when previous_date_day is not null then {{ date_diff_days('previous_date_day', 'date_day') }}
            when posted_date is not null then {{ date_diff_days('posted_date', 'date_day') }} + 1
        end as covered_days
    from with_previous

)

select * from final
