{#- The day an Instagram account insight value belongs to. The connector's `date` names the
    day at the API's day boundary (a time of day around 07:00 UTC); its UTC calendar date is
    the day the value counts, as the Airbyte stand-in lands it. If a real sync shows `date`
    as the end of the day (the Graph API's end_time), subtract one day here: this macro is
    the only place that rule lives. Takes a UTC timestamp (timestamptz_to_utc of the column). -#}
{% macro instagram_insight_date(end_at_utc) -%}
    cast({{ end_at_utc }} as date)
{%- endmacro %}

{#- The day a lifetime-insight snapshot's growth is attributed to: a sync on shop-local day D
    (the DAG runs in the morning) reports activity through D - 1, so the change since the
    previous snapshot is dated D - 1 in the shop's time zone. -#}
{% macro instagram_snapshot_activity_date(extracted_at_utc, time_zone_column) -%}
    {{ date_add_days(local_date(extracted_at_utc, time_zone_column), -1) }}
{%- endmacro %}

{#- The Graph API reports reels watch times (ig_reels_avg_watch_time,
    ig_reels_video_view_total_time) in milliseconds; the models count seconds. -#}
{% macro instagram_milliseconds_to_seconds(milliseconds_column) -%}
    cast({{ milliseconds_column }} as {{ dbt.type_numeric() }}) / 1000
{%- endmacro %}
