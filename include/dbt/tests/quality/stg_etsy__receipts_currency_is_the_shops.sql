{#- Etsy prices a shop's receipts in the shop's currency (a buyer paying in another one
    shows up in payments, converted by Etsy). A receipt in any other currency is a
    connector or configuration error: summing it into the shop's figures would mix two
    currencies, and dropping it would lose sales, so the run stops here and names it.
    Fix shop_accounts.shop_currency_code if the shop changed currency. -#}
{{ config(severity='error') }}

with receipts as (
    select
        receipt_id,
        shop_id,
        currency_code
    from {{ ref('stg_etsy__receipts') }}
),

shop_accounts as (
    select
        cast(shop_id as string) as shop_id,
        shop_currency_code
    from {{ ref('shop_accounts') }}
)

select
    receipts.receipt_id,
    receipts.shop_id,
    receipts.currency_code,
    shop_accounts.shop_currency_code
from receipts
inner join shop_accounts
    on receipts.shop_id = shop_accounts.shop_id
where receipts.currency_code is distinct from shop_accounts.shop_currency_code
