{#- Like cross_join_json_array / left_join_json_array, also exposing each element's
    position in its array, so elements without an id of their own (receipt refunds) get a
    stable key. Read the position with json_array_offset(element_alias): zero-based on
    every warehouse (DuckDB's ordinality counts from 1, BigQuery's offset from 0). -#}
{% macro cross_join_json_array_with_offset(column, element_alias) -%}
    {{ return(adapter.dispatch('join_json_array_with_offset', 'shop_analytics')(column, element_alias, 'cross join')) }}
{%- endmacro %}

{% macro left_join_json_array_with_offset(column, element_alias) -%}
    {{ return(adapter.dispatch('join_json_array_with_offset', 'shop_analytics')(column, element_alias, 'left join')) }}
{%- endmacro %}

{% macro default__join_json_array_with_offset(column, element_alias, join_kind) -%}
    {{ join_kind }} unnest(cast(json_extract({{ column }}, '$[*]') as json[])) with ordinality as _unnested_{{ element_alias }}({{ element_alias }}, {{ element_alias }}_ordinality){% if join_kind == 'left join' %} on true{% endif %}
{%- endmacro %}

{% macro bigquery__join_json_array_with_offset(column, element_alias, join_kind) -%}
    {{ join_kind }} unnest(json_query_array({{ column }})) as {{ element_alias }} with offset as {{ element_alias }}_offset{% if join_kind == 'left join' %} on true{% endif %}
{%- endmacro %}

{% macro json_array_offset(element_alias) -%}
    {{ return(adapter.dispatch('json_array_offset', 'shop_analytics')(element_alias)) }}
{%- endmacro %}

{% macro default__json_array_offset(element_alias) -%}
    ({{ element_alias }}_ordinality - 1)
{%- endmacro %}

{% macro bigquery__json_array_offset(element_alias) -%}
    {{ element_alias }}_offset
{%- endmacro %}
