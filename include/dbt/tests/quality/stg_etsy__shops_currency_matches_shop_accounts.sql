{#- The currency Etsy reports for a shop is the one shop_accounts.csv states: the marts'
    shop-currency figures (is_shop_currency) rely on it. A test, not a staging join:
    staging reads only its source. -#}
select
    shops.shop_id,
    shops.currency_code,
    shop_accounts.shop_currency_code as configured_currency_code
from {{ ref('stg_etsy__shops') }} as shops
inner join {{ ref('shop_accounts') }} as shop_accounts
    on shops.shop_id = cast(shop_accounts.shop_id as string)
where shops.currency_code <> shop_accounts.shop_currency_code
