{#- One row per story any sync saw live (the stories stream is a full refresh append: every
    sync appends the stories live then, so an expired story keeps its record, posting time
    included; the latest record of each story wins). -#}
with source as (

    select * from {{ source('instagram', 'stories') }}

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
        coalesce(upper(media_product_type), 'STORY') as media_product_type,
        caption,
        permalink,
        shortcode,
        {{ timestamptz_to_utc('timestamp') }} as posted_at,
        like_count,
        {{ timestamptz_to_utc('_airbyte_extracted_at') }} as extracted_at
    from latest_extract

)

select * from final
