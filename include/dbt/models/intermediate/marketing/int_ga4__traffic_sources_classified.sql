{#- GA4 sessions by source / medium, assigned to their shop and to a default channel group
    (macro ga4_default_channel_group over the ga4_source_categories seed).
    A property missing from shop_accounts keeps its rows with a null shop_id, which the
    marts' not_null tests report, instead of vanishing in an inner join. -#}
with traffic_sources as (

    select * from {{ ref('stg_ga4__traffic_sources') }}

),

shop_accounts as (

    select * from {{ ref('int_marketing__shop_accounts') }}

),

source_categories as (

    select * from {{ ref('ga4_source_categories') }}

),

classified as (

    select
        shop_accounts.shop_id,
        traffic_sources.ga4_property_id,
        traffic_sources.date_day,
        traffic_sources.session_source,
        traffic_sources.session_medium,
        source_categories.source_category,
        {{ ga4_default_channel_group(
            'traffic_sources.session_source',
            'traffic_sources.session_medium',
            'source_categories.source_category'
        ) }} as channel_group,
        traffic_sources.sessions,
        traffic_sources.engaged_sessions,
        traffic_sources.bounced_sessions,
        traffic_sources.session_duration_seconds,
        traffic_sources.page_views,
        traffic_sources.new_users,
        traffic_sources.total_users,
        traffic_sources.is_provisional
    from traffic_sources
    left join shop_accounts
        on traffic_sources.ga4_property_id = shop_accounts.ga4_property_id
    left join source_categories
        on lower(traffic_sources.session_source) = source_categories.session_source

),

final as (

    select * from classified

)

select * from final
