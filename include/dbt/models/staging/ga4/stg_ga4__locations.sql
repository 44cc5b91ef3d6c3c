{#- One row per GA4 property, day, country, region and city (GA4 country and region names, not codes). -#}
with source as (

    select * from {{ source('ga4', 'locations') }}

),

latest_extract_of_day as (

    select *
    from source
    {{ ga4_latest_extract_of_day(['region', 'country', 'city']) }}

),

final as (

    select
        cast(property_id as {{ dbt.type_string() }}) as ga4_property_id,
        {{ parse_yyyymmdd('date') }} as date_day,
        {{ ga4_dimension('country') }} as country_name,
        {{ ga4_dimension('region') }} as region_name,
        {{ ga4_dimension('city') }} as city_name,
        {{ ga4_session_metrics() }},
        {{ ga4_is_provisional() }} as is_provisional,
        {{ airbyte_nulled_metrics([
            'sessions', 'bounceRate', 'averageSessionDuration', 'screenPageViews', 'newUsers', 'totalUsers'
        ]) }} as airbyte_nulled_metrics,
        {{ timestamptz_to_utc('_airbyte_extracted_at') }} as extracted_at
    from latest_extract_of_day

)

select * from final
