{#- One row per GA4 property and day: the property-wide totals every breakdown reconciles to. -#}
with source as (

    select * from {{ source('ga4', 'website_overview') }}

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
        {{ ga4_session_metrics() }},
        {{ ga4_is_provisional() }} as is_provisional,
        {{ airbyte_nulled_metrics([
            'sessions', 'bounceRate', 'averageSessionDuration', 'screenPageViews', 'newUsers', 'totalUsers'
        ]) }} as airbyte_nulled_metrics,
        {{ timestamptz_to_utc('_airbyte_extracted_at') }} as extracted_at
    from latest_extract_of_day

)

select * from final
