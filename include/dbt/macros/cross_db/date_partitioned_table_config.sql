{#- Config of a table rebuilt in full and read by date: on BigQuery partitioned by its date
    column (Looker Studio can use the partition as its date range dimension and scans only
    the days it shows; `granularity` 'month' for a monthly table) and clustered, optionally
    requiring a partition filter of its readers (see all_partitions); on DuckDB a plain table.
    Use: {{ config(**date_partitioned_table_config('date_day', ['shop_id'])) }} -#}
{% macro date_partitioned_table_config(partition_column, cluster_by, require_partition_filter=false, granularity='day') -%}
    {{ return(adapter.dispatch('date_partitioned_table_config', 'shop_analytics')(partition_column, cluster_by, require_partition_filter, granularity)) }}
{%- endmacro %}

{% macro default__date_partitioned_table_config(partition_column, cluster_by, require_partition_filter, granularity) -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}

{% macro bigquery__date_partitioned_table_config(partition_column, cluster_by, require_partition_filter, granularity) -%}
    {{ return({
        'materialized': 'table',
        'partition_by': {'field': partition_column, 'data_type': 'date', 'granularity': granularity},
        'cluster_by': cluster_by,
        'require_partition_filter': require_partition_filter,
    }) }}
{%- endmacro %}
