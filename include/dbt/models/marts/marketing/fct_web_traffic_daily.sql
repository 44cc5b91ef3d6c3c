{#- Website traffic per shop, day (GA4 property time zone = shop time zone) and session
    source / medium, with the default channel group. Sessions, engaged sessions, session
    seconds, page views and new users are additive; total_users is not (a user who came
    from two sources counts in both rows). -#}
{{ config(**date_partitioned_table_config('date_day', ['shop_id'])) }}

with traffic_sources as (

    select * from {{ ref('int_ga4__traffic_sources_classified') }}

),

final as (

    select
        shop_id,
        date_day,
        session_source,
        session_medium,
        channel_group,
        source_category,
        sessions,
        engaged_sessions,
        bounced_sessions,
        cast(session_duration_seconds as {{ type_money() }}) as session_duration_seconds,
        page_views,
        new_users,
        total_users,
        is_provisional
    from traffic_sources

)

select * from final
