{#- Layers land in their own schema/dataset (staging, marts, ...) without the target
    schema prefix dbt adds by default, so Looker Studio and Airbyte see stable names.
    A target schema still prefixes them in dev/test when SHOP_ANALYTICS_SCHEMA_PREFIX is set. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set prefix = env_var('SHOP_ANALYTICS_SCHEMA_PREFIX', '') -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ prefix }}{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
