{#- Airbyte delivers at least once (incremental lookbacks, full-refresh appends): keep the
    latest extract of each primary key. Both DuckDB and BigQuery support QUALIFY. -#}
{% macro latest_airbyte_record(primary_key) -%}
    qualify row_number() over (
        partition by {{ primary_key | join(', ') if primary_key is not string else primary_key }}
        order by _airbyte_extracted_at desc, _airbyte_raw_id desc
    ) = 1
{%- endmacro %}

{#- The latest version of each record of a raw table (latest_airbyte_record), whole rows.
    The latest version is picked on narrow columns, then joined back: ranking whole rows
    would sort their JSON arrays too. `versions_filter` (a predicate on the raw columns,
    e.g. sales_created_on_changed_days) restricts both reads to a slice of raw holding
    every version of its records, so the ranking sees what it would see over all of raw,
    and each read is pruned on its own. -#}
{% macro latest_airbyte_versions(raw_relation, primary_key, versions_filter=none) -%}
    select raw_versions.*
    from {{ raw_relation }} as raw_versions
    where {% if versions_filter %}{{ versions_filter }} and {% endif %}raw_versions._airbyte_raw_id in (
        select ranked_versions._airbyte_raw_id
        from {{ raw_relation }} as ranked_versions
        {%- if versions_filter %}
        where {{ versions_filter }}
        {%- endif %}
        {{ latest_airbyte_record(primary_key) }}
    )
{%- endmacro %}

{#- The fields Airbyte could not type and wrote as NULL in this record, from its
    `_airbyte_meta.changes` (entries with change `NULLED`), as one comma-separated string
    (`total_shipping_cost,grandtotal`), null when there are none. Every staging model of a
    source carries it as `airbyte_nulled_fields`, so a NULL that Airbyte made is never
    mistaken for a value the API left empty; the `has_no_airbyte_nulled_fields` test names
    the records whose needed fields were nulled. -#}
{% macro airbyte_nulled_fields(meta_column) -%}
    {{ return(adapter.dispatch('airbyte_nulled_fields', 'shop_analytics')(meta_column)) }}
{%- endmacro %}

{% macro default__airbyte_nulled_fields(meta_column) -%}
    {#- Parsed only where the text mentions NULLED: ten million ledger entries with an empty
        change list then cost a string search, not a JSON parse each. -#}
    case
        when contains(cast({{ meta_column }} as varchar), 'NULLED') then nullif(array_to_string(list_transform(
            list_filter(
                cast(coalesce(json_extract({{ meta_column }}, '$.changes[*]'), []) as json[]),
                airbyte_change -> json_extract_string(airbyte_change, '$.change') = 'NULLED'
            ),
            airbyte_change -> json_extract_string(airbyte_change, '$.field')
        ), ','), '')
    end
{%- endmacro %}

{% macro bigquery__airbyte_nulled_fields(meta_column) -%}
    (
        select nullif(string_agg(json_value(airbyte_change, '$.field'), ','), '')
        from unnest(json_query_array({{ meta_column }}, '$.changes')) as airbyte_change
        where json_value(airbyte_change, '$.change') = 'NULLED'
    )
{%- endmacro %}
