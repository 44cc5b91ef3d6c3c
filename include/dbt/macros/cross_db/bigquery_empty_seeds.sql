{#- An empty seed (header only, e.g. etsy_listing_costs before the owner enters any cost)
    must still be a table on BigQuery. dbt-bigquery creates a seed's table only by loading
    its rows (its create_csv_table is a no-op) and dbt skips the load of zero rows, so the
    table was never created and every model reading it failed with "Not found" (found by
    running the bigquery target on the emulator, docs/bigquery.md). These overrides create
    the empty table from the seed's column types; a seed with rows loads as before. -#}

{% macro bigquery__create_csv_table(model, agate_table) -%}
    {%- if agate_table.rows | length == 0 -%}
        {%- set column_override = model['config'].get('column_types', {}) -%}
        {%- set sql -%}
            create table {{ this.render() }} (
            {%- for column_name in agate_table.column_names %}
                {{ adapter.quote(column_name) }} {{ column_override.get(column_name, adapter.convert_type(agate_table, loop.index0)) }}{{ "," if not loop.last }}
            {%- endfor %}
            )
        {%- endset -%}
        {%- call statement('_') -%}
            {{ sql }}
        {%- endcall -%}
        {{ return(sql) }}
    {%- endif -%}
{%- endmacro %}

{% macro bigquery__reset_csv_table(model, full_refresh, old_relation, agate_table) -%}
    {{ adapter.drop_relation(old_relation) }}
    {{ return(bigquery__create_csv_table(model, agate_table)) }}
{%- endmacro %}
