{#- JSON access: Airbyte lands objects and arrays as JSON (BigQuery JSON, DuckDB JSON). -#}

{#- A scalar at a JSONPath, as a string (null when absent or JSON null). -#}
{% macro json_string(column, path) -%}
    {{ return(adapter.dispatch('json_string', 'shop_analytics')(column, path)) }}
{%- endmacro %}

{% macro default__json_string(column, path) -%}
    json_extract_string({{ column }}, '{{ path }}')
{%- endmacro %}

{% macro bigquery__json_string(column, path) -%}
    json_value({{ column }}, '{{ path }}')
{%- endmacro %}

{#- A sub-document at a JSONPath, still JSON. -#}
{% macro json_object(column, path) -%}
    {{ return(adapter.dispatch('json_object', 'shop_analytics')(column, path)) }}
{%- endmacro %}

{% macro default__json_object(column, path) -%}
    json_extract({{ column }}, '{{ path }}')
{%- endmacro %}

{% macro bigquery__json_object(column, path) -%}
    json_query({{ column }}, '{{ path }}')
{%- endmacro %}
