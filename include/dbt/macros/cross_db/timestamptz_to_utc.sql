{#- Airbyte lands date-time values (and _airbyte_extracted_at) as zoned timestamps
    (DuckDB TIMESTAMPTZ, BigQuery TIMESTAMP). *_at columns are UTC timestamps without zone:
    on DuckDB the zone is dropped after moving to UTC; BigQuery TIMESTAMP already is one. -#}
{% macro timestamptz_to_utc(column) -%}
    {{ return(adapter.dispatch('timestamptz_to_utc', 'shop_analytics')(column)) }}
{%- endmacro %}

{% macro default__timestamptz_to_utc(column) -%}
    timezone('UTC', {{ column }})
{%- endmacro %}

{% macro bigquery__timestamptz_to_utc(column) -%}
    {{ column }}
{%- endmacro %}

{#- A constant zoned timestamp at 00:00 UTC of `day` (a date), to compare with a raw zoned
    column as it is: BigQuery prunes a partition column only when it is compared bare
    with a constant, and DuckDB pushes such a comparison into its scan. -#}
{% macro utc_midnight_timestamptz(day) -%}
    {{ return(adapter.dispatch('utc_midnight_timestamptz', 'shop_analytics')(day)) }}
{%- endmacro %}

{% macro default__utc_midnight_timestamptz(day) -%}
    cast('{{ day }} 00:00:00+00' as timestamptz)
{%- endmacro %}

{% macro bigquery__utc_midnight_timestamptz(day) -%}
    timestamp '{{ day }} 00:00:00+00'
{%- endmacro %}
