{#- One row per post currently on the account (feed posts, carousels, reels, ads): the
    media stream is a full refresh overwrite, so a deleted post is absent here (its
    insights history is kept by stg_instagram__post_insight_snapshots). -#}
with source as (

    select * from {{ source('instagram', 'media') }}

),

latest_extract as (

    select *
    from source
    {{ latest_airbyte_record(['id']) }}

),

final as (

    select
        cast(id as {{ dbt.type_string() }}) as post_id,
        cast(business_account_id as {{ dbt.type_string() }}) as instagram_account_id,
        upper(media_type) as media_type,
        upper(media_product_type) as media_product_type,
        caption,
        permalink,
        shortcode,
        {{ timestamptz_to_utc('timestamp') }} as posted_at,
        like_count,
        comments_count,
        is_comment_enabled,
        {{ timestamptz_to_utc('_airbyte_extracted_at') }} as extracted_at
    from latest_extract

)

select * from final
