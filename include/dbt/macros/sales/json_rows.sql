{#- Fast JSON unnesting for the large receipt arrays. DuckDB unnests in the select list:
    its lateral `cross join unnest(...)` drags every carried row through a correlated
    join and is ~10x slower on a million receipts. BigQuery has no select-list unnest, so
    it keeps the cross join. Both yield one row per element (none for a null or empty
    array), the carried columns and the element as JSON; with_offset adds its zero-based
    position as `<element_alias>_offset`. -#}
{% macro json_array_rows(relation, array_column, element_alias, carried_columns, with_offset=false) -%}
    {{ return(adapter.dispatch('json_array_rows', 'shop_analytics')(relation, array_column, element_alias, carried_columns, with_offset)) }}
{%- endmacro %}

{% macro default__json_array_rows(relation, array_column, element_alias, carried_columns, with_offset) -%}
    {%- set elements = "cast(json_extract(" ~ array_column ~ ", '$[*]') as json[])" -%}
    select
        {%- for column in carried_columns %}
        {{ column }},
        {%- endfor %}
        unnest({{ elements }}) as {{ element_alias }}
        {%- if with_offset %},
        generate_subscripts({{ elements }}, 1) - 1 as {{ element_alias }}_offset
        {%- endif %}
    from {{ relation }}
{%- endmacro %}

{% macro bigquery__json_array_rows(relation, array_column, element_alias, carried_columns, with_offset) -%}
    select
        {%- for column in carried_columns %}
        {{ column }},
        {%- endfor %}
        {{ element_alias }}
        {%- if with_offset %},
        {{ element_alias }}_offset
        {%- endif %}
    from {{ relation }}
    cross join unnest(json_query_array({{ array_column }})) as {{ element_alias }}
    {%- if with_offset %} with offset as {{ element_alias }}_offset{% endif %}
{%- endmacro %}

{#- One row per element of a JSON array column, with many scalars of the element as
    strings, named by `fields` (name -> JSONPath under the element, `$.a.b`): json_array_rows
    and a read of each path, in one pass. DuckDB parses each array once
    into a list of structs of exactly those paths (from_json; every leaf VARCHAR, so a
    value reads as json_extract_string reads it and the model's casts still fail loudly on
    bad input) instead of splitting it into element documents and parsing each again;
    BigQuery unnests with json_query_array and reads each path with json_value. -#}
{% macro json_array_string_fields(relation, array_column, fields, carried_columns) -%}
    {{ return(adapter.dispatch('json_array_string_fields', 'shop_analytics')(relation, array_column, fields, carried_columns)) }}
{%- endmacro %}

{% macro default__json_array_string_fields(relation, array_column, fields, carried_columns) -%}
    {#- The struct type of the element: nested objects for dotted paths, VARCHAR leaves. -#}
    {%- set tree = {} -%}
    {%- for field_name in fields -%}
        {%- set node = namespace(current=tree) -%}
        {%- set keys = fields[field_name][2:].split('.') -%}
        {%- for key in keys -%}
            {%- if loop.last -%}
                {%- do node.current.update({key: 'VARCHAR'}) -%}
            {%- else -%}
                {%- if key not in node.current -%}{%- do node.current.update({key: {}}) -%}{%- endif -%}
                {%- set node.current = node.current[key] -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    select
        {%- for column in carried_columns %}
        {{ column }},
        {%- endfor %}
        {%- for field_name in fields %}
        _element{% for key in fields[field_name][2:].split('.') %}['{{ key }}']{% endfor %} as {{ field_name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            {%- for column in carried_columns %}
            {{ column }},
            {%- endfor %}
            unnest(from_json({{ array_column }}, '[{{ tojson(tree) }}]')) as _element
        from {{ relation }}
    )
{%- endmacro %}

{% macro bigquery__json_array_string_fields(relation, array_column, fields, carried_columns) -%}
    select
        {%- for column in carried_columns %}
        {{ column }},
        {%- endfor %}
        {%- for field_name in fields %}
        json_value(_element, '{{ fields[field_name] }}') as {{ field_name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    cross join unnest(json_query_array({{ array_column }})) as _element
{%- endmacro %}

{#- The parts of several Etsy Money (JSON) columns as strings: `<column>_amount`,
    `<column>_divisor`, `<column>_currency_code` for each of money_columns, next to the
    carried columns. DuckDB parses each Money object once for its three parts (a receipt
    has eight, read forty times by separate json_extract_string calls); BigQuery reads
    each part with json_value. -#}
{% macro json_money_parts(relation, money_columns, carried_columns) -%}
    {{ return(adapter.dispatch('json_money_parts', 'shop_analytics')(relation, money_columns, carried_columns)) }}
{%- endmacro %}

{% macro default__json_money_parts(relation, money_columns, carried_columns) -%}
    select
        {%- for column in carried_columns %}
        {{ column }},
        {%- endfor %}
        {%- for money_column in money_columns %}
        _{{ money_column }}_parts[1] as {{ money_column }}_amount,
        _{{ money_column }}_parts[2] as {{ money_column }}_divisor,
        _{{ money_column }}_parts[3] as {{ money_column }}_currency_code{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            {%- for column in carried_columns %}
            {{ column }},
            {%- endfor %}
            {%- for money_column in money_columns %}
            json_extract_string({{ money_column }}, ['$.amount', '$.divisor', '$.currency_code']) as _{{ money_column }}_parts{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ relation }}
    )
{%- endmacro %}

{% macro bigquery__json_money_parts(relation, money_columns, carried_columns) -%}
    select
        {%- for column in carried_columns %}
        {{ column }},
        {%- endfor %}
        {%- for money_column in money_columns %}
        json_value({{ money_column }}, '$.amount') as {{ money_column }}_amount,
        json_value({{ money_column }}, '$.divisor') as {{ money_column }}_divisor,
        json_value({{ money_column }}, '$.currency_code') as {{ money_column }}_currency_code{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ relation }}
{%- endmacro %}

{#- A decimal money amount from Etsy Money parts already read as strings (amount, divisor). -#}
{% macro money_from_parts(amount, divisor) -%}
    cast(
        {{ money_from_string(amount) }} / nullif({{ money_from_string(divisor) }}, 0)
        as {{ type_money() }}
    )
{%- endmacro %}

{#- Etsy Money (JSON) -> decimal amount, like money_amount, through money_from_string. -#}
{% macro parsed_money_amount(money_json) -%}
    {{ money_from_parts(json_string(money_json, '$.amount'), json_string(money_json, '$.divisor')) }}
{%- endmacro %}

{#- A decimal string as money. DuckDB parses text into DECIMAL(38, 9) twenty times slower
    than into DECIMAL(18, 9) (128- vs 64-bit), so it parses narrow and widens: exact, and
    an amount beyond 10^9 fails the cast loudly instead of rounding. -#}
{% macro money_from_string(decimal_string) -%}
    {{ return(adapter.dispatch('money_from_string', 'shop_analytics')(decimal_string)) }}
{%- endmacro %}

{% macro default__money_from_string(decimal_string) -%}
    cast(cast({{ decimal_string }} as decimal(18, 9)) as {{ type_money() }})
{%- endmacro %}

{% macro bigquery__money_from_string(decimal_string) -%}
    cast({{ decimal_string }} as {{ type_money() }})
{%- endmacro %}
