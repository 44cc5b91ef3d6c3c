{#- One row per Instagram business account and insight day (the latest extract wins: the
    2-day lookback re-sends recent days). The Graph API dates a daily value by the end of
    its day (end_time): see macro instagram_insight_date. -#}
with source as (

    select * from {{ source('instagram', 'user_insights') }}

),

latest_extract as (

    select *
    from source
    {{ latest_airbyte_record(['business_account_id', 'date']) }}

),

final as (

    select
        cast(business_account_id as {{ dbt.type_string() }}) as instagram_account_id,
        {{ instagram_insight_date(timestamptz_to_utc('date')) }} as date_day,
        follower_count as new_followers,
        reach,
        reach_week as reach_7_days,
        reach_days_28 as reach_28_days,
        {{ timestamptz_to_utc('date') }} as insight_end_at,
        {{ airbyte_nulled_metrics([
            'follower_count', 'reach', 'reach_week', 'reach_days_28'
        ]) }} as airbyte_nulled_metrics,
        {{ timestamptz_to_utc('_airbyte_extracted_at') }} as extracted_at
    from latest_extract

)

select * from final
