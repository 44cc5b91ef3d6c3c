{#- amount x part / whole, rounded half away from zero to the currency's minor unit, exact:
    computed on integers of minor units (decimal division is floating point on DuckDB, and
    a half cent must not round by accident). For amounts, parts and wholes >= 0 (refunds
    and receipt totals are); a whole of 0 gives 0. `minor_unit_divisor` is 10^minor_units
    of the currency (100 for USD, 1 for JPY). -#}
{% macro rounded_money_share(amount, part, whole, minor_unit_divisor) -%}
    cast(
        case
            when {{ whole }} = 0 then 0
            else cast({{ integer_divide(
                '2 * cast(' ~ amount ~ ' * ' ~ minor_unit_divisor ~ ' as bigint) * cast(' ~ part ~ ' * ' ~ minor_unit_divisor ~ ' as bigint)'
                ~ ' + cast(' ~ whole ~ ' * ' ~ minor_unit_divisor ~ ' as bigint)',
                '2 * cast(' ~ whole ~ ' * ' ~ minor_unit_divisor ~ ' as bigint)'
            ) }} as {{ type_money() }}) / {{ minor_unit_divisor }}
        end
        as {{ type_money() }}
    )
{%- endmacro %}
