{#- Shop-local days of epoch seconds, converted once per shop and UTC quarter hour instead
    of once per row: a time-zone conversion costs more than everything else a staging row
    needs (ten million ledger entries: ~2/3 of the model's time on DuckDB). Exact for every
    zone whose UTC offsets are whole quarter hours (all of them since 1980): local
    midnight then falls on a quarter-hour boundary in UTC, so every second of a quarter
    hour has the same local day. Readers join shop_local_dates on (shop_id,
    epoch_quarter_hour); a shop missing from shop_accounts gets a null day, as before.
    The model passes the shop_accounts relation in (`ref('shop_accounts')`), so its file
    shows that it reads the seed; staging never does (shop-local days are intermediate). -#}
{% macro epoch_quarter_hour(epoch_seconds) -%}
    cast(floor({{ epoch_seconds }} / 900) as bigint)
{%- endmacro %}

{% macro shop_local_dates(shop_accounts_relation, relation, shop_id_column, epoch_column) -%}
    select
        quarter_hours.shop_id,
        quarter_hours.epoch_quarter_hour,
        {{ local_date(epoch_to_timestamp('quarter_hours.epoch_quarter_hour * 900'), 'shop_accounts.shop_time_zone') }} as local_date
    from (
        select distinct
            cast({{ shop_id_column }} as string) as shop_id,
            {{ epoch_quarter_hour(epoch_column) }} as epoch_quarter_hour
        from {{ relation }}
    ) as quarter_hours
    left join (
        select cast(shop_id as string) as shop_id, shop_time_zone from {{ shop_accounts_relation }}
    ) as shop_accounts
        on quarter_hours.shop_id = shop_accounts.shop_id
{%- endmacro %}

{#- `local_dates as {{ materialized_cte() }} (...)`: DuckDB computes the small lookup once.
    Inlined, it re-ran the deduplicating read it is built from (an incremental run of
    stg_etsy__receipts took 3x as long); BigQuery has no such hint and needs none. -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte', 'shop_analytics')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}
    materialized
{%- endmacro %}

{% macro bigquery__materialized_cte() -%}
{%- endmacro %}
