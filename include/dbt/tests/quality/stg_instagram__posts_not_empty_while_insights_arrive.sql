{#- media is a full-refresh-overwrite stream: a sync that lands no post at all while the
    account's insight snapshots keep arriving is a failed read (expired token, API outage)
    reported as success, not every post deleted at once. Without this test every post would
    turn is_deleted and lose its attributes in the reporting tables. -#}
with posts as (
    select count(*) as post_count from {{ ref('stg_instagram__posts') }}
),

snapshots as (
    select count(*) as snapshot_count from {{ ref('stg_instagram__post_insight_snapshots') }}
)

select
    posts.post_count,
    snapshots.snapshot_count
from posts
cross join snapshots
where posts.post_count = 0 and snapshots.snapshot_count > 0
