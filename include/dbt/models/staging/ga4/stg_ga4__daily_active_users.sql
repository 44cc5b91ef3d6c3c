{#- One row per GA4 property and day. Active users are distinct users: never summed across days. -#}
with source as (

    select * from {{ source('ga4', 'daily_active_users') }}

),

latest_extract_of_day as (

    select *
    from source
    {{ ga4_latest_extract_of_day([]) }}

),

final as (

    select
        cast(property_id as {{ dbt.type_string() }}) as ga4_property_id,
        {{ parse_yyyymmdd('date') }} as date_day,
        active1DayUsers as active_users,
        {{ ga4_is_provisional() }} as is_provisional,
        {{ timestamptz_to_utc('_airbyte_extracted_at') }} as extracted_at
    from latest_extract_of_day

)

select * from final
