{#- Write-audit-publish, the publish step. dbt builds every model into its own schema
    (marts is the audit copy); Looker Studio reads the `reporting` schema, which this
    operation replaces from marts only once the whole build and its tests have passed
    (the DAG runs it with trigger rule all_success; tests/quality runs it the same way).
    `tables` (the Looker-facing marts) and `schema` come from shop_analytics.publish.

        dbt run-operation publish_reporting_tables --args '{tables: [fct_orders, ...], schema: reporting}'
-#}
{% macro publish_reporting_tables(tables, schema) %}
    {%- if not execute -%}{{ return(none) }}{%- endif -%}
    {%- if not tables -%}
        {{ exceptions.raise_compiler_error("publish_reporting_tables: no tables given; pass --args from shop_analytics.publish.publish_args()") }}
    {%- endif -%}
    {%- set built_marts = [] -%}
    {%- set mart_nodes = {} -%}
    {%- for table in tables -%}
        {%- set nodes = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model') | selectattr('name', 'equalto', table) | list -%}
        {%- if nodes | length != 1 -%}
            {{ exceptions.raise_compiler_error("publish_reporting_tables: " ~ table ~ " is not a model of this project; fix REPORTING_TABLES in plugins/shop_analytics/publish") }}
        {%- endif -%}
        {%- set node = nodes[0] -%}
        {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
        {%- if relation is none -%}
            {{ exceptions.raise_compiler_error("publish_reporting_tables: " ~ node.schema ~ "." ~ node.alias ~ " does not exist; run `dbt build` before publishing") }}
        {%- endif -%}
        {%- do built_marts.append(relation) -%}
        {%- do mart_nodes.update({relation.identifier: node}) -%}
    {%- endfor -%}
    {%- set reporting = api.Relation.create(database=target.database, schema=generate_schema_name(schema, none)) -%}
    {%- do adapter.create_schema(reporting) -%}
    {{ adapter.dispatch('publish_relations', 'shop_analytics')(built_marts, reporting, mart_nodes) }}
    {{ log("published " ~ built_marts | length ~ " reporting tables to " ~ reporting.schema, info=true) }}
{% endmacro %}

{#- DuckDB: one transaction (dbt opens it; run-operation never commits on its own), so
    readers see either every old table or every new one, and a failure changes none.
    `create table as` keeps no comments: the models' descriptions (from their yml, doc
    blocks rendered) are set again on each published table and column, in the same
    transaction, so a reader of `reporting` sees what each field means. -#}
{% macro default__publish_relations(built_marts, reporting, mart_nodes) %}
    {%- call statement('publish_reporting_tables') -%}
        {% for mart in built_marts -%}
        {%- set published = reporting.incorporate(path={'identifier': mart.identifier}, type='table') -%}
        create or replace table {{ published }} as select * from {{ mart }};
        {%- set node = mart_nodes[mart.identifier] %}
        comment on table {{ published }} is {{ publish_sql_string(node.description) }};
        {% for column in node.columns.values() if column.description -%}
        comment on column {{ published }}.{{ adapter.quote(column.name) }} is {{ publish_sql_string(column.description) }};
        {% endfor -%}
        {% endfor -%}
    {%- endcall -%}
    {%- do adapter.commit() -%}
{% endmacro %}

{#- A SQL string literal (DuckDB's): the text as is, quotes doubled. -#}
{% macro publish_sql_string(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}

{#- BigQuery: table clones are copy-on-write (no bytes copied or billed until marts changes)
    and keep partitioning, clustering and require_partition_filter. BigQuery cannot run DDL
    inside a transaction, so each table is swapped atomically on its own; the tables are
    published only after every test passed, and a failed publish is re-run as a whole.
    A clone has its base table's schema (column descriptions are part of it, set on marts
    by persist_docs), but the descriptions are set again from the models' yml (two metadata
    calls per table, no job, no bytes) so Looker Studio shows them whatever the marts carry. -#}
{% macro bigquery__publish_relations(built_marts, reporting, mart_nodes) %}
    {%- for mart in built_marts -%}
        {%- set published = reporting.incorporate(path={'identifier': mart.identifier}, type='table') -%}
        {%- call statement('publish_' ~ mart.identifier) -%}
            create or replace table {{ published }} clone {{ mart }}
        {%- endcall -%}
        {%- if mart_nodes[mart.identifier].description -%}
            {%- do alter_relation_comment(published, mart_nodes[mart.identifier].description) -%}
        {%- endif -%}
        {%- do alter_column_comment(published, mart_nodes[mart.identifier].columns) -%}
    {%- endfor -%}
{% endmacro %}
