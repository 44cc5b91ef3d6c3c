{#- One row per GA4 property, day and key event (the conversions report: GA4 renamed conversions to key events). -#}
with source as (

    select * from {{ source('ga4', 'conversions_report') }}

),

latest_extract_of_day as (

    select *
    from source
    {{ ga4_latest_extract_of_day(['eventName']) }}

),

final as (

    select
        cast(property_id as {{ dbt.type_string() }}) as ga4_property_id,
        {{ parse_yyyymmdd('date') }} as date_day,
        {{ ga4_dimension('eventName') }} as event_name,
        cast(conversions as {{ dbt.type_bigint() }}) as key_events,
        cast(totalRevenue as {{ type_money() }}) as ga4_revenue,
        totalUsers as total_users,
        {{ ga4_is_provisional() }} as is_provisional,
        {{ airbyte_nulled_metrics(['conversions', 'totalRevenue', 'totalUsers']) }} as airbyte_nulled_metrics,
        {{ timestamptz_to_utc('_airbyte_extracted_at') }} as extracted_at
    from latest_extract_of_day

)

select * from final
