{#- One row per GA4 property, day, host name and page path with query string. The report has no
    session count, so its bounce rate cannot become a count: it stays a rate (page_bounce_rate)
    that must never be summed or averaged. -#}
with source as (

    select * from {{ source('ga4', 'pages') }}

),

latest_extract_of_day as (

    select *
    from source
    {{ ga4_latest_extract_of_day(['hostName', 'pagePathPlusQueryString']) }}

),

final as (

    select
        cast(property_id as {{ dbt.type_string() }}) as ga4_property_id,
        {{ parse_yyyymmdd('date') }} as date_day,
        {{ ga4_dimension('hostName') }} as host_name,
        {{ ga4_dimension('pagePathPlusQueryString') }} as page_path,
        screenPageViews as page_views,
        cast(bounceRate as {{ dbt.type_numeric() }}) as page_bounce_rate,
        {{ ga4_is_provisional() }} as is_provisional,
        {{ timestamptz_to_utc('_airbyte_extracted_at') }} as extracted_at
    from latest_extract_of_day

)

select * from final
