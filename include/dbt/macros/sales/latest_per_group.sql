{#- Keep one row per group: the first in `order_by` (QUALIFY works on DuckDB and BigQuery). -#}
{% macro latest_per_group(partition_by, order_by) -%}
    qualify row_number() over (partition by {{ partition_by }} order by {{ order_by }}) = 1
{%- endmacro %}
