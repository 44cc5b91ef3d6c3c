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

{#- SQL predicate: a date column falls in the window, widened by `margin_days` each side
    (a UTC day of a record whose shop-local day may be in the window). -#}
{% macro sales_window_contains_date(date_column, margin_days=0) -%}
    {%- set margin = modules.datetime.timedelta(days=margin_days) -%}
    ({{ date_column }} >= date '{{ sales_window_start() - margin }}'
    {%- if sales_window_end() is not none %} and {{ date_column }} < date '{{ sales_window_end() + margin }}'{% endif %})
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

{#- The shop-local order days an incremental run of a receipt-derived intermediate model
    rebuilds: days in the window, and the days of every receipt updated or landed inside
    it (a refund or status change on an old order rebuilds that order's day). Whole days,
    so a day's partition is replaced with all of its orders. `receipts` is
    stg_etsy__receipts, `shop_accounts` the seed: the model passes both in. Receipts
    created in the window are found on their UTC day (the staging partition), one day of
    margin each side for any time zone, then dated exactly in the shop's zone. -#}
{% macro sales_changed_order_dates(receipts, shop_accounts) -%}
    select distinct order_date
    from (
        select
            {{ local_date('changed_receipts.created_at', 'shop_accounts.shop_time_zone') }} as order_date,
            changed_receipts.updated_at,
            changed_receipts.extracted_at
        from {{ receipts }} as changed_receipts
        left join {{ shop_accounts }} as shop_accounts
            on changed_receipts.shop_id = cast(shop_accounts.shop_id as string)
        where {{ sales_window_contains_date('changed_receipts.created_utc_date', margin_days=1) }}
            or {{ sales_window_contains_timestamp('changed_receipts.updated_at') }}
            or {{ sales_window_contains_timestamp('changed_receipts.extracted_at') }}
    ) as candidates
    where {{ sales_window_contains_date('order_date') }}
        or {{ sales_window_contains_timestamp('updated_at') }}
        or {{ sales_window_contains_timestamp('extracted_at') }}
{%- endmacro %}

{#- SQL predicate on a raw source (its own columns, unqualified): the record was created
    on a UTC day an incremental run of a staging model rebuilds. Those are the days of
    records created, updated or landed since the window start, one day early (a record
    created a day before the window may fall on a shop-local day inside it): every change
    is a new extraction, so `_airbyte_extracted_at` from that day on finds them all. No
    end bound: the run for [D-1, D) must see the sync that landed on D after the window.
    The days are looked up when the model runs and inlined as constants, because BigQuery
    prunes partitions only on constants (a subquery bound scans all of raw). A record's
    creation time is the same in every version, and every version of a record created on
    day D landed on D or later, so the read is bounded from the
    earliest changed day, one day early for clock skew between Etsy and Airbyte: the
    slice holds every version of its records, and deduplicating it (latest_airbyte_versions)
    keeps the same version as deduplicating all of raw. No changed day: nothing is read.
    Rebuilding a day that did not change is harmless (a staging day is a function of raw). -#}
{% macro sales_created_on_changed_days(source_relation, created_epoch_column) -%}
    {%- set one_day = modules.datetime.timedelta(days=1) -%}
    {%- set changed_since = sales_window_start() - one_day -%}
    {%- set changed_epoch_days = [] -%}
    {%- if execute and is_incremental() -%}
        {%- set changed_days_query -%}
            select distinct cast(floor({{ created_epoch_column }} / 86400) as bigint) as created_epoch_day
            from {{ source_relation }}
            where _airbyte_extracted_at >= {{ utc_midnight_timestamptz(changed_since) }}
        {%- endset -%}
        {#- A record with no creation time has no day to rebuild (it fails staging's tests on a full build). -#}
        {%- for changed_day in run_query(changed_days_query).rows if changed_day[0] is not none -%}
            {%- do changed_epoch_days.append(changed_day[0] | int) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if changed_epoch_days -%}
        {%- set changed_epoch_days = changed_epoch_days | sort -%}
        {%- set earliest_changed_day = modules.datetime.date(1970, 1, 1)
            + modules.datetime.timedelta(days=changed_epoch_days[0]) -%}
        {#- Never later than the lookup's own bound: a record created after it was extracted
            (bad input, e.g. a timestamp in the future) must still reach staging and fail its
            tests there, not fall outside the slice. -#}
        {%- set slice_start = [earliest_changed_day - one_day, changed_since] | min -%}
        (_airbyte_extracted_at >= {{ utc_midnight_timestamptz(slice_start) }}
            and cast(floor({{ created_epoch_column }} / 86400) as bigint) in ({{ changed_epoch_days | join(', ') }}))
    {%- else -%}
        (_airbyte_extracted_at >= {{ utc_midnight_timestamptz(changed_since) }} and false)
    {%- endif -%}
{%- endmacro %}

{#- SQL predicate on a staging UTC day column: the row may fall on one of the shop-local
    `local_dates` (a one-column CTE, `local_date_column`), one day either side for any
    time zone. The exact local day is checked after the time-zone conversion. -#}
{% macro sales_utc_date_near_local_dates(utc_date_column, local_dates, local_date_column) -%}
    {{ utc_date_column }} in (
        select {{ date_add_days(local_date_column, 'day_offset') }}
        from {{ local_dates }}
        cross join (select -1 as day_offset union all select 0 union all select 1) as day_offsets
    )
{%- endmacro %}
