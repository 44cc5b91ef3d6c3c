{#- A daily reporting table: on BigQuery partitioned by its date column (Looker Studio can
    use the partition as its date range dimension and scans only the days it shows) and
    clustered; on DuckDB a plain table. Use: {{ config(**date_partitioned_table_config('date_day', ['shop_id'])) }} -#}
{% macro date_partitioned_table_config(partition_column, cluster_by) -%}
    {{ return(adapter.dispatch('date_partitioned_table_config', 'shop_analytics')(partition_column, cluster_by)) }}
{%- endmacro %}

{% macro default__date_partitioned_table_config(partition_column, cluster_by) -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}

{% macro bigquery__date_partitioned_table_config(partition_column, cluster_by) -%}
    {{ return({
        'materialized': 'table',
        'partition_by': {'field': partition_column, 'data_type': 'date', 'granularity': 'day'},
        'cluster_by': cluster_by,
    }) }}
{%- endmacro %}
