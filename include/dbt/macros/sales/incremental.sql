{#- Incremental sales models rebuild whole days. The window comes from the environment
    (the DAG sets it from its data interval): SHOP_ANALYTICS_START_DATE (inclusive,
    default: yesterday, UTC, of the dbt run) and SHOP_ANALYTICS_END_DATE (exclusive,
    default: open), both YYYY-MM-DD. It reaches `sales_lookback_days` (a dbt var, default
    3, Airbyte's lookback) before the start, so records re-sent by the connector's lookback
    are picked up again. A backfill of a range rebuilds exactly the days it names plus the
    days of anything that changed inside them.
    Not dbt --vars: dbt re-parses the whole project whenever --vars change (every day),
    while an environment variable read only when a model runs (these macros read it only
    when is_incremental(), false while dbt parses) leaves the deploy-time parse valid. -#}

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

{#- The change index of a raw Etsy stream: every landed version's `_airbyte_extracted_at`
    (the column Airbyte's BigQuery destination partitions raw on), shop and UTC creation day,
    nothing else. A view: always as fresh as raw, whatever a run selects. Every incremental
    sales model looks up in it the creation days that changed (sales_changed_created_days)
    with a constant bound on `_airbyte_extracted_at`, which BigQuery pushes through the view
    to prune raw's partitions, instead of scanning its own large inputs for changes. -#}
{% macro etsy_change_index(source_relation, created_epoch_column) -%}
    select
        _airbyte_extracted_at,
        cast(shop_id as string) as shop_id,
        cast({{ epoch_to_timestamp(created_epoch_column) }} as date) as created_utc_date
    from {{ source_relation }}
{%- endmacro %}

{#- Changes are looked for from the window start, one day early: a record created a day
    before the window may fall on a shop-local day inside it. Every change is a new
    extraction, so the landing day finds them all. No end bound: the run for [D-1, D) must
    see the sync that landed on D after the window. -#}
{% macro sales_changed_since() -%}
    {{ return(sales_window_start() - modules.datetime.timedelta(days=1)) }}
{%- endmacro %}

{#- The UTC creation days of the records landed since sales_changed_since, looked up in a
    change index (etsy_change_index) when the model runs, as a sorted list of dates: the
    model inlines them as constants, because BigQuery prunes partitions only on constants
    (a subquery bound scans the whole table). A record with no creation time has no day to
    rebuild (it fails staging's tests on a full build). Empty when not incremental. -#}
{% macro sales_changed_created_days(change_index) -%}
    {%- if not (execute and is_incremental()) -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set changed_days_query -%}
        select distinct created_utc_date
        from {{ change_index }}
        where _airbyte_extracted_at >= {{ utc_midnight_timestamptz(sales_changed_since()) }}
            and created_utc_date is not null
    {%- endset -%}
    {{ return(sales_looked_up_dates(changed_days_query)) }}
{%- endmacro %}

{#- The dates a one-column query answers, run when an incremental model runs (run_query),
    as a sorted list of distinct dates; empty when not incremental and while dbt parses. -#}
{% macro sales_looked_up_dates(query) -%}
    {%- set dates = [] -%}
    {%- if execute and is_incremental() -%}
        {%- for row in run_query(query).rows if row[0] is not none -%}
            {%- do dates.append(modules.datetime.date.fromisoformat((row[0] | string)[:10])) -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(dates | unique | sort | list) }}
{%- endmacro %}

{#- The shop-local days an incremental run of a receipt- or ledger-derived intermediate
    model rebuilds, as a sorted list of dates: every day of the window (a backfill rebuilds
    the days it names; an open window ends the day after the run's UTC day), and the days
    a record created on a changed UTC day may fall on in any time zone (one day either
    side). Whole days, so a partition is replaced with all of its rows; rebuilding a day
    that did not change is harmless. `change_index` is the stream's etsy_change_index. -#}
{% macro sales_rebuilt_local_dates(change_index) -%}
    {%- if not is_incremental() -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set one_day = modules.datetime.timedelta(days=1) -%}
    {%- set window_end = sales_window_end() or run_started_at.date() + one_day + one_day -%}
    {%- set window_start = sales_window_start() -%}
    {%- set window_days = [] -%}
    {%- for offset in range((window_end - window_start).days) -%}
        {%- do window_days.append(window_start + modules.datetime.timedelta(days=offset)) -%}
    {%- endfor -%}
    {{ return((window_days + sales_dates_near(sales_changed_created_days(change_index), 1)) | unique | sort | list) }}
{%- endmacro %}

{#- Every day within `margin_days` of one of `dates`, as a sorted list. -#}
{% macro sales_dates_near(dates, margin_days) -%}
    {%- set near = [] -%}
    {%- for day in dates -%}
        {%- for offset in range(-margin_days, margin_days + 1) -%}
            {%- do near.append(day + modules.datetime.timedelta(days=offset)) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(near | unique | sort | list) }}
{%- endmacro %}

{#- SQL predicate on a raw source (its own columns, unqualified) for an incremental run of a
    staging model: the record was created on a UTC day with a change
    (sales_changed_created_days of the stream's `change_index`), and its slice of raw is
    bounded by a constant on `_airbyte_extracted_at`. A record's creation time is the same
    in every version, and every version of a record created on day D landed on D or later,
    so reading from the earliest changed day, one day early for clock skew between Etsy and
    Airbyte, holds every version of its records: deduplicating the slice
    (latest_airbyte_versions) keeps the same version as deduplicating all of raw. Never
    later than sales_changed_since: a record created after it was extracted (bad input,
    e.g. a timestamp in the future) must still reach staging and fail its tests there. No
    changed day: nothing is read. -#}
{% macro sales_created_on_changed_days(change_index, created_epoch_column) -%}
    {%- set changed_days = sales_changed_created_days(change_index) -%}
    {%- set epoch = modules.datetime.date(1970, 1, 1) -%}
    {%- if changed_days -%}
        {%- set slice_start = [changed_days[0] - modules.datetime.timedelta(days=1), sales_changed_since()] | min -%}
        (_airbyte_extracted_at >= {{ utc_midnight_timestamptz(slice_start) }}
            and cast(floor({{ created_epoch_column }} / 86400) as bigint) in (
                {%- for day in changed_days %}{{ (day - epoch).days }}{% if not loop.last %}, {% endif %}{% endfor -%}
            ))
    {%- else -%}
        (_airbyte_extracted_at >= {{ utc_midnight_timestamptz(sales_changed_since()) }} and false)
    {%- endif -%}
{%- endmacro %}

{#- SQL predicate: a date column is on or after the earliest of `dates` shifted by
    `offset_days` (false when there are none). -#}
{% macro sales_date_on_or_after(date_column, dates, offset_days) -%}
    {%- if dates -%}
        {{ date_column }} >= date '{{ (dates | min) + modules.datetime.timedelta(days=offset_days) }}'
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

{#- SQL predicate: a date column is one of `dates` (constants; false when there are none). -#}
{% macro sales_date_in(date_column, dates) -%}
    {%- if dates -%}
        {{ date_column }} in ({% for day in dates %}date '{{ day }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- else -%}
        false
    {%- endif -%}
{%- endmacro %}

