{#- Money is decimal everywhere: BigQuery NUMERIC is DECIMAL(38, 9), and DuckDB gets the
    same precision so contracts and reconciliations hold identically on both. -#}
{% macro type_money() -%}
    {{ return(adapter.dispatch('type_money', 'shop_analytics')()) }}
{%- endmacro %}

{% macro default__type_money() -%}
    decimal(38, 9)
{%- endmacro %}

{% macro bigquery__type_money() -%}
    numeric
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
