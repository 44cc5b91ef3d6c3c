{#- One row per GA4 property, day and GA4's own session default channel group. eventsPerSession and
    engagementRate are dropped: they are event_count/sessions and engaged_sessions/sessions. -#}
with source as (

    select * from {{ source('ga4', 'traffic_acquisition_session_default_channel_grouping_report') }}

),

latest_extract_of_day as (

    select *
    from source
    {{ ga4_latest_extract_of_day(['sessionDefaultChannelGrouping']) }}

),

final as (

    select
        cast(property_id as {{ dbt.type_string() }}) as ga4_property_id,
        {{ parse_yyyymmdd('date') }} as date_day,
        {{ ga4_dimension('sessionDefaultChannelGrouping') }} as ga4_channel_group,
        sessions,
        engagedSessions as engaged_sessions,
        sessions - engagedSessions as bounced_sessions,
        cast(userEngagementDuration as {{ dbt.type_numeric() }}) as engagement_seconds,
        eventCount as event_count,
        cast(conversions as {{ dbt.type_bigint() }}) as key_events,
        cast(totalRevenue as {{ type_money() }}) as ga4_revenue,
        totalUsers as total_users,
        {{ ga4_is_provisional() }} as is_provisional,
        {{ airbyte_nulled_metrics([
            'sessions', 'engagedSessions', 'userEngagementDuration', 'eventCount', 'conversions',
            'totalRevenue', 'totalUsers'
        ]) }} as airbyte_nulled_metrics,
        {{ timestamptz_to_utc('_airbyte_extracted_at') }} as extracted_at
    from latest_extract_of_day

)

select * from final
