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
