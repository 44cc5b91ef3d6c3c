{#- A join clause adding one row per calendar day from start_date to end_date (both
    inclusive, date expressions, may refer to the joined row) as column `date_alias`.
    Use: `from shops {{ cross_join_date_spine('shops.first_day', 'shops.last_day', 'date_day') }}`. -#}
{% macro cross_join_date_spine(start_date, end_date, date_alias) -%}
    {{ return(adapter.dispatch('cross_join_date_spine', 'shop_analytics')(start_date, end_date, date_alias)) }}
{%- endmacro %}

{% macro default__cross_join_date_spine(start_date, end_date, date_alias) -%}
    cross join unnest(
        list_transform(generate_series(cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day), spine_day -> cast(spine_day as date))
    ) as _date_spine({{ date_alias }})
{%- endmacro %}

{% macro bigquery__cross_join_date_spine(start_date, end_date, date_alias) -%}
    cross join unnest(generate_date_array({{ start_date }}, {{ end_date }})) as {{ date_alias }}
{%- endmacro %}
