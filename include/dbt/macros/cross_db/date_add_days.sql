{#- Calendar arithmetic on DATE values that stays DATE on both warehouses (dbt.dateadd
    returns a timestamp on DuckDB and a DATETIME on BigQuery). -#}
{% macro date_add_days(date_expression, days) -%}
    {{ return(adapter.dispatch('date_add_days', 'shop_analytics')(date_expression, days)) }}
{%- endmacro %}

{% macro default__date_add_days(date_expression, days) -%}
    cast({{ date_expression }} + cast({{ days }} as integer) as date)
{%- endmacro %}

{% macro bigquery__date_add_days(date_expression, days) -%}
    date_add({{ date_expression }}, interval {{ days }} day)
{%- endmacro %}

{#- Whole days from start_date to end_date (end - start), both DATE. -#}
{% macro date_diff_days(start_date, end_date) -%}
    {{ return(adapter.dispatch('date_diff_days', 'shop_analytics')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__date_diff_days(start_date, end_date) -%}
    date_diff('day', {{ start_date }}, {{ end_date }})
{%- endmacro %}

{% macro bigquery__date_diff_days(start_date, end_date) -%}
    date_diff({{ end_date }}, {{ start_date }}, day)
{%- endmacro %}
