{#- Etsy fee types charged per order, as named in etsy_fee_schedule.csv and
    etsy_ledger_type_mapping.csv. Each gets its own column in fct_orders; any other fee an
    order carries lands in other_etsy_fees, so no fee is left out of the total. -#}
{% macro etsy_order_fee_types() -%}
    {{ return(['transaction', 'shipping_transaction', 'payment_processing', 'offsite_ads', 'regulatory_operating_fee']) }}
{%- endmacro %}

{#- Fee types estimated from the fee schedule when an order has no ledger entry of that
    type yet. Offsite Ads is charged only on orders Etsy attributes to its ads, which the
    API does not reveal, so it is never estimated. -#}
{% macro etsy_estimable_fee_types() -%}
    {{ return(['transaction', 'shipping_transaction', 'payment_processing', 'regulatory_operating_fee']) }}
{%- endmacro %}

{#- Fee types of no order that get their own column in the daily facts (listing fees and
    renewals; Etsy Ads). Any other shop-level fee lands in other_shop_fees. -#}
{% macro etsy_shop_fee_columns() -%}
    {{ return({
        'listing_fees': ['listing', 'listing_renewal', 'listing_renewal_sold'],
        'etsy_ads_fees': ['etsy_ads'],
    }) }}
{%- endmacro %}
