{#- Airbyte delivers at least once (incremental lookbacks, full-refresh appends): keep the
    latest extract of each primary key. Both DuckDB and BigQuery support QUALIFY. -#}
{% macro latest_airbyte_record(primary_key) -%}
    qualify row_number() over (
        partition by {{ primary_key | join(', ') if primary_key is not string else primary_key }}
        order by _airbyte_extracted_at desc, _airbyte_raw_id desc
    ) = 1
{%- endmacro %}
