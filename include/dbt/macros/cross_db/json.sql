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

{#- A join clause that turns each element of a JSON array column into a row, exposed as
    `element_alias` (JSON). Use: `from receipts {{ cross_join_json_array('receipts.transactions', 'transaction') }}`.
    Rows whose array is null or empty disappear, as with any inner unnest: use
    left_join_json_array where the parent row must be kept. -#}
{% macro cross_join_json_array(column, element_alias) -%}
    {{ return(adapter.dispatch('cross_join_json_array', 'shop_analytics')(column, element_alias, 'cross join')) }}
{%- endmacro %}

{% macro left_join_json_array(column, element_alias) -%}
    {{ return(adapter.dispatch('cross_join_json_array', 'shop_analytics')(column, element_alias, 'left join')) }}
{%- endmacro %}

{% macro default__cross_join_json_array(column, element_alias, join_kind) -%}
    {{ join_kind }} unnest(cast(json_extract({{ column }}, '$[*]') as json[])) as _unnested_{{ element_alias }}({{ element_alias }}){% if join_kind == 'left join' %} on true{% endif %}
{%- endmacro %}

{% macro bigquery__cross_join_json_array(column, element_alias, join_kind) -%}
    {{ join_kind }} unnest(json_query_array({{ column }})) as {{ element_alias }}{% if join_kind == 'left join' %} on true{% endif %}
{%- endmacro %}
