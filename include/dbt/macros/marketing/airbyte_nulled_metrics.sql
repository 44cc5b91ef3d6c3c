{#- The metric fields, among `fields`, that Airbyte could not type and wrote as NULL: the
    destination lists each in `_airbyte_meta.changes` with change NULLED. Comma-separated
    field names, null when none. A NULLED metric must never be read as 0 (a sum skipping
    it, a coalesce to 0): staging exposes this column and a test per model stops the run,
    naming the records, so the reporting tables keep their last good version. Kept with the
    marketing models until a shared macro for every source lands. -#}
{% macro airbyte_nulled_metrics(fields) -%}
    {{ return(adapter.dispatch('airbyte_nulled_metrics', 'shop_analytics')(fields)) }}
{%- endmacro %}

{% macro default__airbyte_nulled_metrics(fields) -%}
    (
        select nullif(string_agg(json_extract_string(changes.change, '$.field'), ', '), '')
        from unnest(cast(json_extract(_airbyte_meta, '$.changes') as json[])) as changes (change)
        where json_extract_string(changes.change, '$.change') = 'NULLED'
            and json_extract_string(changes.change, '$.field') in ('{{ fields | join("', '") }}')
    )
{%- endmacro %}

{% macro bigquery__airbyte_nulled_metrics(fields) -%}
    (
        select nullif(string_agg(json_value(change, '$.field'), ', '), '')
        from unnest(json_query_array(_airbyte_meta, '$.changes')) as change
        where json_value(change, '$.change') = 'NULLED'
            and json_value(change, '$.field') in ('{{ fields | join("', '") }}')
    )
{%- endmacro %}
