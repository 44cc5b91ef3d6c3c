{#- One row per post per sync: the lifetime totals Instagram reported for the post at that
    sync (media_insights is a full refresh append, so every sync's snapshot is kept). Only a
    record delivered twice within one sync is collapsed (latest extract wins). Posts deleted
    since keep their history here. -#}
with source as (

    select * from {{ source('instagram', 'media_insights') }}

),

with_sync as (

    select
        *,
        coalesce(
            {{ json_string('_airbyte_meta', '$.sync_id') }},
            cast({{ timestamptz_to_utc('_airbyte_extracted_at') }} as {{ dbt.type_string() }})
        ) as airbyte_sync_id
    from source

),

latest_per_sync as (

    select *
    from with_sync
    {{ latest_airbyte_record(['id', 'airbyte_sync_id']) }}

),

final as (

    select
        cast(id as {{ dbt.type_string() }}) as post_id,
        cast(business_account_id as {{ dbt.type_string() }}) as instagram_account_id,
        airbyte_sync_id,
        {{ timestamptz_to_utc('_airbyte_extracted_at') }} as snapshot_at,
        reach as lifetime_reach,
        likes as lifetime_likes,
        comments as lifetime_comments,
        saved as lifetime_saves,
        shares as lifetime_shares,
        total_interactions as lifetime_total_interactions,
        follows as lifetime_follows,
        profile_visits as lifetime_profile_visits,
        {{ instagram_milliseconds_to_seconds('ig_reels_video_view_total_time') }} as lifetime_reels_watch_seconds,
        {{ instagram_milliseconds_to_seconds('ig_reels_avg_watch_time') }} as reels_average_watch_seconds
    from latest_per_sync

)

select * from final
