{#- One row per story per sync: the lifetime totals Instagram reported while the story was
    live (story_insights is a full refresh append without a primary key; the story id plus
    the sync identify a snapshot, and a record delivered twice within one sync is collapsed). -#}
with source as (

    select * from {{ source('instagram', 'story_insights') }}

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
        replies as lifetime_replies,
        shares as lifetime_shares,
        total_interactions as lifetime_total_interactions,
        follows as lifetime_follows,
        profile_visits as lifetime_profile_visits
    from latest_per_sync

)

select * from final
