{#- Time: Etsy sends epoch seconds, GA4 sends 'YYYYMMDD' strings in the property's zone.
    Every *_at column is a UTC timestamp without zone (DuckDB TIMESTAMP, BigQuery TIMESTAMP). -#}

{% macro epoch_to_timestamp(epoch_seconds) -%}
    {{ return(adapter.dispatch('epoch_to_timestamp', 'shop_analytics')(epoch_seconds)) }}
{%- endmacro %}

{% macro default__epoch_to_timestamp(epoch_seconds) -%}
    (to_timestamp(cast({{ epoch_seconds }} as bigint)) at time zone 'UTC')
{%- endmacro %}

{% macro bigquery__epoch_to_timestamp(epoch_seconds) -%}
    timestamp_seconds(cast({{ epoch_seconds }} as int64))
{%- endmacro %}

{#- Whole epoch seconds of a UTC timestamp (no zone): the inverse of epoch_to_timestamp. -#}
{% macro timestamp_to_epoch(utc_timestamp) -%}
    {{ return(adapter.dispatch('timestamp_to_epoch', 'shop_analytics')(utc_timestamp)) }}
{%- endmacro %}

{% macro default__timestamp_to_epoch(utc_timestamp) -%}
    cast(floor(epoch({{ utc_timestamp }})) as bigint)
{%- endmacro %}

{% macro bigquery__timestamp_to_epoch(utc_timestamp) -%}
    unix_seconds({{ utc_timestamp }})
{%- endmacro %}

{#- The calendar date of a UTC timestamp in an IANA time zone (column or quoted literal). -#}
{% macro local_date(utc_timestamp, time_zone) -%}
    {{ return(adapter.dispatch('local_date', 'shop_analytics')(utc_timestamp, time_zone)) }}
{%- endmacro %}

{% macro default__local_date(utc_timestamp, time_zone) -%}
    cast(timezone({{ time_zone }}, timezone('UTC', {{ utc_timestamp }})) as date)
{%- endmacro %}

{% macro bigquery__local_date(utc_timestamp, time_zone) -%}
    date({{ utc_timestamp }}, {{ time_zone }})
{%- endmacro %}

{% macro parse_yyyymmdd(date_string) -%}
    {{ return(adapter.dispatch('parse_yyyymmdd', 'shop_analytics')(date_string)) }}
{%- endmacro %}

{% macro default__parse_yyyymmdd(date_string) -%}
    cast(strptime({{ date_string }}, '%Y%m%d') as date)
{%- endmacro %}

{% macro bigquery__parse_yyyymmdd(date_string) -%}
    parse_date('%Y%m%d', {{ date_string }})
{%- endmacro %}
