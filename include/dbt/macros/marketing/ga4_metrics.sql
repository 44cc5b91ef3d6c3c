{#- GA4 sends ratios and averages next to their bases. A ratio cannot be summed or averaged
    across days or dimension values, so staging turns each into its additive numerator;
    any re-aggregation then divides summed numerators by summed bases. -#}

{#- A count hidden in a rate (bounceRate x sessions = bounced sessions). GA4 rounds the
    rate it reports, so the product is rounded back to the whole count it came from. -#}
{% macro ga4_count_from_rate(rate_column, base_column) -%}
    cast(round({{ rate_column }} * {{ base_column }}) as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- A total hidden in an average (averageSessionDuration x sessions = session seconds). -#}
{% macro ga4_total_from_average(average_column, base_column) -%}
    cast({{ average_column }} * {{ base_column }} as {{ dbt.type_numeric() }})
{%- endmacro %}

{#- GA4 dimension values: the API sends '(not set)' (and Airbyte may land null) for a
    missing value; both become '(not set)' so grouping and joins see one value. -#}
{% macro ga4_dimension(column) -%}
    coalesce(nullif(trim({{ column }}), ''), '(not set)')
{%- endmacro %}

{#- The metric set GA4's website_overview, traffic_sources, devices and locations reports
    share (totalUsers, newUsers, sessions, sessionsPerUser, averageSessionDuration,
    screenPageViews, screenPageViewsPerSession, bounceRate), as additive columns.
    sessionsPerUser and screenPageViewsPerSession are dropped: they are sessions/total_users
    and page_views/sessions at the row's grain. total_users stays, documented as not
    additive (a user active on two days or in two rows counts in both). -#}
{% macro ga4_session_metrics() -%}
        sessions,
        {{ ga4_count_from_rate('bounceRate', 'sessions') }} as bounced_sessions,
        sessions - {{ ga4_count_from_rate('bounceRate', 'sessions') }} as engaged_sessions,
        {{ ga4_total_from_average('averageSessionDuration', 'sessions') }} as session_duration_seconds,
        screenPageViews as page_views,
        newUsers as new_users,
        totalUsers as total_users
{%- endmacro %}

{#- GA4 keeps processing a day for about two days: a row whose latest extract was taken
    within that window holds provisional counts (the connector's lookback re-sends it
    settled). Breakdown reports are rounded separately while provisional, so exact
    reconciliations only hold on settled rows. Reads the raw `date` and
    `_airbyte_extracted_at` columns of a GA4 stream. -#}
{% macro ga4_is_provisional() -%}
    {{ date_diff_days(parse_yyyymmdd('date'), 'cast(' ~ timestamptz_to_utc('_airbyte_extracted_at') ~ ' as date)') }}
        <= {{ var('ga4_processing_days', 2) }}
{%- endmacro %}
