{#- Incremental sales models rebuild whole days. The window comes from the environment
    (the DAG sets it from its data interval): SHOP_ANALYTICS_START_DATE (inclusive,
    default: yesterday, UTC, of the dbt run) and SHOP_ANALYTICS_END_DATE (exclusive,
    default: open), both YYYY-MM-DD. It reaches `sales_lookback_days` (a dbt var, default
    3, Airbyte's lookback) before the start, so records re-sent by the connector's lookback
    are picked up again. A backfill of a range rebuilds exactly the days it names plus the
    days of anything that changed inside them.
    Not dbt --vars: dbt re-parses the whole project whenever --vars change (every day),
    while an environment variable read only when a model runs (these macros are called
    inside is_incremental() blocks) leaves the deploy-time parse valid. -#}

{% macro sales_window_start() -%}
    {%- set start_day = sales_window_day('SHOP_ANALYTICS_START_DATE') -%}
    {%- if start_day is none -%}
        {%- set start_day = run_started_at.date() - modules.datetime.timedelta(days=1) -%}
    {%- endif -%}
    {{ return(start_day - modules.datetime.timedelta(days=var('sales_lookback_days', 3) | int)) }}
{%- endmacro %}

{% macro sales_window_end() -%}
    {{ return(sales_window_day('SHOP_ANALYTICS_END_DATE')) }}
{%- endmacro %}

{#- The day an environment variable names, or none when it is unset or empty. -#}
{% macro sales_window_day(env_var_name) -%}
    {%- set value = env_var(env_var_name, '') -%}
    {%- if not value -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value) -%}
        {{ exceptions.raise_compiler_error(env_var_name ~ '=' ~ value ~ ' is not a day: set it as YYYY-MM-DD, or unset it for the default window') }}
    {%- endif -%}
    {{ return(modules.datetime.date.fromisoformat(value)) }}
{%- endmacro %}

{#- SQL predicate: a date column falls in the window. -#}
{% macro sales_window_contains_date(date_column) -%}
    ({{ date_column }} >= date '{{ sales_window_start() }}'
    {%- if sales_window_end() is not none %} and {{ date_column }} < date '{{ sales_window_end() }}'{% endif %})
{%- endmacro %}

{#- SQL predicate: a UTC timestamp (no zone) falls in the window. -#}
{% macro sales_window_contains_timestamp(timestamp_column) -%}
    ({{ timestamp_column }} >= cast('{{ sales_window_start() }} 00:00:00' as timestamp)
    {%- if sales_window_end() is not none %} and {{ timestamp_column }} < cast('{{ sales_window_end() }} 00:00:00' as timestamp){% endif %})
{%- endmacro %}

{#- Config of a large sales table rebuilt by whole days of `partition_column`.
    BigQuery: day partitions replaced with insert_overwrite (dynamic: exactly the days the
    run selects), clustered, optionally requiring a partition filter of its readers.
    DuckDB: the same semantics with delete+insert keyed on the day. -#}
{% macro sales_incremental_config(partition_column, cluster_by, require_partition_filter=false) -%}
    {{ return(adapter.dispatch('sales_incremental_config', 'shop_analytics')(partition_column, cluster_by, require_partition_filter)) }}
{%- endmacro %}

{% macro default__sales_incremental_config(partition_column, cluster_by, require_partition_filter) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': partition_column,
        'on_schema_change': 'fail',
    }) }}
{%- endmacro %}

{% macro bigquery__sales_incremental_config(partition_column, cluster_by, require_partition_filter) -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': {'field': partition_column, 'data_type': 'date', 'granularity': 'day'},
        'cluster_by': cluster_by,
        'require_partition_filter': require_partition_filter,
        'on_schema_change': 'fail',
    }) }}
{%- endmacro %}

{#- Readers of a table that requires a partition filter (BigQuery) read all of it. -#}
{% macro all_partitions(partition_column) -%}
    {{ partition_column }} >= date '1900-01-01'
{%- endmacro %}

{#- The order days an incremental run of a receipt-derived model rebuilds: days in the
    window, and the days of every receipt updated or landed inside it (a refund or status
    change on an old order rebuilds that order's day). Whole days, so a day's partition is
    replaced with all of its orders. The model passes `ref('stg_etsy__receipts')`. -#}
{% macro sales_changed_order_dates(receipts_relation) -%}
    select distinct created_date as order_date
    from {{ receipts_relation }}
    where {{ sales_window_contains_date('created_date') }}
        or {{ sales_window_contains_timestamp('updated_at') }}
        or {{ sales_window_contains_timestamp('extracted_at') }}
{%- endmacro %}

{#- The shop-local days an incremental run of a staging model rebuilds, from its raw
    source: days of records created, updated or landed (_airbyte_extracted_at) inside the
    window, the same rule as sales_changed_order_dates. Only the few candidate rows get a
    time-zone conversion: the epoch filter keeps a day of margin on each side. A record
    of a shop missing from shop_accounts is dated in UTC here, so the run still selects
    it and the model's tests on its shop (relationships, not_null day) fail on it. -#}
{% macro sales_changed_source_dates(source_relation, shop_accounts_relation, created_epoch_column, updated_epoch_column=none) -%}
    {%- set unix_epoch = modules.datetime.date(1970, 1, 1) -%}
    {%- set start_epoch = (sales_window_start() - unix_epoch).days * 86400 -%}
    {%- set end_epoch = none if sales_window_end() is none else (sales_window_end() - unix_epoch).days * 86400 -%}
    select distinct changed_date
    from (
        select
            {{ local_date(epoch_to_timestamp('raw_records.' ~ created_epoch_column), "coalesce(shop_accounts.shop_time_zone, 'UTC')") }} as changed_date,
            {{ timestamptz_to_utc('raw_records._airbyte_extracted_at') }} as extracted_at
            {%- if updated_epoch_column %},
            raw_records.{{ updated_epoch_column }} as updated_epoch
            {%- endif %}
        from {{ source_relation }} as raw_records
        left join (
            select cast(shop_id as string) as shop_id, shop_time_zone from {{ shop_accounts_relation }}
        ) as shop_accounts
            on cast(raw_records.shop_id as string) = shop_accounts.shop_id
        where (raw_records.{{ created_epoch_column }} >= {{ start_epoch - 86400 }}
                {%- if end_epoch is not none %} and raw_records.{{ created_epoch_column }} < {{ end_epoch + 86400 }}{% endif %})
            {%- if updated_epoch_column %}
            or (raw_records.{{ updated_epoch_column }} >= {{ start_epoch }}
                {%- if end_epoch is not none %} and raw_records.{{ updated_epoch_column }} < {{ end_epoch }}{% endif %})
            {%- endif %}
            or {{ sales_window_contains_timestamp(timestamptz_to_utc('raw_records._airbyte_extracted_at')) }}
    ) as candidates
    where {{ sales_window_contains_date('changed_date') }}
        {%- if updated_epoch_column %}
        or (updated_epoch >= {{ start_epoch }}{% if end_epoch is not none %} and updated_epoch < {{ end_epoch }}{% endif %})
        {%- endif %}
        or {{ sales_window_contains_timestamp('extracted_at') }}
{%- endmacro %}

{#- SQL predicate on a raw epoch column: the record may fall on one of the shop-local
    `changed_dates` (a CTE of sales_changed_source_dates). A cheap integer filter on the
    UTC day, one day either side for any time zone, applied before deduplication so
    every version of a record on those days is kept; the exact local day is checked
    after the time-zone conversion. -#}
{% macro sales_epoch_near_changed_dates(epoch_column, changed_dates) -%}
    cast(floor({{ epoch_column }} / 86400) as bigint) in (
        select {{ date_diff_days("date '1970-01-01'", 'changed_date') }} + day_offset
        from {{ changed_dates }}
        cross join (select -1 as day_offset union all select 0 union all select 1) as day_offsets
    )
{%- endmacro %}
