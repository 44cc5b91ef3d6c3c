{#- Money is decimal everywhere, DECIMAL(38, 9): BigQuery's NUMERIC range (DECIMAL is its alias
    and accepts the parameters, 38 - 9 <= 29), and DuckDB's widest exact decimal. One literal
    on both engines, the one the marts' contracts declare (`data_type: decimal(38, 9)`), so a
    contract and a reconciliation hold identically on DuckDB and BigQuery. Counts in a
    contracted mart are cast to dbt.type_bigint() (DuckDB sums integers into HUGEINT). -#}
{% macro type_money() -%}
    {{ return(adapter.dispatch('type_money', 'shop_analytics')()) }}
{%- endmacro %}

{% macro default__type_money() -%}
    decimal(38, 9)
{%- endmacro %}

{#- Etsy Money {amount, divisor, currency_code} (JSON) -> decimal amount.
    Division happens in decimal on BigQuery; DuckDB divides decimals as doubles, so the
    result is cast back to the money type (exact for divisors up to 10^9). -#}
{% macro money_amount(money_json) -%}
    cast(
        cast({{ json_string(money_json, '$.amount') }} as {{ type_money() }})
        / nullif(cast({{ json_string(money_json, '$.divisor') }} as {{ type_money() }}), 0)
        as {{ type_money() }}
    )
{%- endmacro %}

{% macro money_currency(money_json) -%}
    {{ json_string(money_json, '$.currency_code') }}
{%- endmacro %}
