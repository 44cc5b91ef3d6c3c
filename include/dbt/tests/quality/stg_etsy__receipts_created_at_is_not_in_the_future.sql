{#- A receipt created after this dbt run started is a clock or connector bug (epoch in
    milliseconds, a test shop), not an order: reporting it would open days that have not
    happened in every daily table. One hour of tolerance for clock skew. Run timestamps
    are UTC, like created_at. -#}
{{ config(severity='error') }}

select receipt_id, created_at
from {{ ref('stg_etsy__receipts') }}
where created_at > cast('{{ (run_started_at + modules.datetime.timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S") }}' as timestamp)
