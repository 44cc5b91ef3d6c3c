{#- One row per Instagram business account: its profile and counts as of the latest sync. -#}
with source as (

    select * from {{ source('instagram', 'users') }}

),

latest_extract as (

    select *
    from source
    {{ latest_airbyte_record(['id']) }}

),

final as (

    select
        cast(id as {{ dbt.type_string() }}) as instagram_account_id,
        cast(page_id as {{ dbt.type_string() }}) as facebook_page_id,
        username,
        name as account_name,
        website,
        followers_count,
        follows_count,
        media_count,
        {{ timestamptz_to_utc('_airbyte_extracted_at') }} as extracted_at
    from latest_extract

)

select * from final
