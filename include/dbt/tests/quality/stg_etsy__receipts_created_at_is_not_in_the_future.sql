{#- A receipt cannot be created after it was extracted: one that is is a clock or connector
    bug (epoch in milliseconds, a test shop), not an order, and reporting it would open days
    that have not happened in every daily table. Checked against the record's own extraction
    time, not the wall clock of the dbt run, so a late run, a backfill or clock skew between
    machines never blocks the pipeline. One hour of tolerance for clock skew between Etsy
    and Airbyte. Both are UTC. -#}
{{ config(severity='error') }}

select
    receipt_id,
    created_at,
    extracted_at
from {{ ref('stg_etsy__receipts') }}
where created_at > extracted_at + interval 1 hour
