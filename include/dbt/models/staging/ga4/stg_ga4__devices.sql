{#- One row per GA4 property, day, device category, operating system and browser. -#}
with source as (

    select * from {{ source('ga4', 'devices') }}

),

latest_extract_of_day as (

    select *
    from source
    {{ ga4_latest_extract_of_day(['deviceCategory', 'operatingSystem', 'browser']) }}

),

final as (

    select
        cast(property_id as {{ dbt.type_string() }}) as ga4_property_id,
        {{ parse_yyyymmdd('date') }} as date_day,
        {{ ga4_dimension('deviceCategory') }} as device_category,
        {{ ga4_dimension('operatingSystem') }} as operating_system,
        {{ ga4_dimension('browser') }} as browser,
        {{ ga4_session_metrics() }},
        {{ ga4_is_provisional() }} as is_provisional,
        {{ airbyte_nulled_metrics([
            'sessions', 'bounceRate', 'averageSessionDuration', 'screenPageViews', 'newUsers', 'totalUsers'
        ]) }} as airbyte_nulled_metrics,
        {{ timestamptz_to_utc('_airbyte_extracted_at') }} as extracted_at
    from latest_extract_of_day

)

select * from final
