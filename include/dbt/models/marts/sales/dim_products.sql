{#- One row per listing: every listing of the listings stream, plus any listing only
    known from order lines (deleted or never synced), so each order line has its product.
    Lifetime sales count the non-canceled order lines in the shop's currency (shop_accounts),
    the row's currency_code: receipts are always in it (staging blocks any other), and a line
    in another currency would be left out of the figures rather than summed with them.
    Etsy's API has no listing views: `views` is null until a traffic source provides them
    (GA4 page paths are the [marketing] models'). -#}
{{ config(cluster_by=['shop_id', 'listing_id']) }}
{%- set counted = 'not order_items.is_canceled_order and order_items.currency_code = shop_accounts.currency_code' %}

with listings as (
    select * from {{ ref('stg_etsy__listings') }}
),

order_items as (
    select * from {{ ref('fct_order_items') }}
    where {{ all_partitions('order_date') }}
),

reviews as (
    select * from {{ ref('stg_etsy__reviews') }}
),

shop_accounts as (
    select
        cast(shop_id as string) as shop_id,
        cast(shop_currency_code as string) as currency_code
    from {{ ref('shop_accounts') }}
),

sales_by_listing as (
    select
        order_items.listing_id,
        order_items.shop_id,
        min(order_items.title) as sold_title,
        sum(case when {{ counted }} then order_items.quantity else 0 end) as lifetime_units,
        sum(case when {{ counted }} then order_items.gross_sales else 0 end) as lifetime_gross_sales,
        count(distinct case when {{ counted }} then order_items.receipt_id end) as lifetime_orders,
        min(order_items.ordered_at) as first_sold_at,
        max(order_items.ordered_at) as last_sold_at
    from order_items
    left join shop_accounts
        on order_items.shop_id = shop_accounts.shop_id
    where order_items.listing_id is not null
    group by order_items.listing_id, order_items.shop_id
),

reviews_by_listing as (
    select
        listing_id,
        count(*) as review_count,
        cast(avg(cast(rating as {{ type_money() }})) as {{ type_money() }}) as average_rating
    from reviews
    group by listing_id
),

product_ids as (
    select
        listing_id,
        shop_id
    from listings
    union distinct
    select
        listing_id,
        shop_id
    from sales_by_listing
),

final as (
    select
        product_ids.listing_id,
        product_ids.shop_id,
        coalesce(listings.title, sales_by_listing.sold_title) as title,
        listings.listing_state,
        listings.listing_type,
        listings.listing_url,
        listings.listing_id is not null as is_in_listings_feed,
        shop_accounts.currency_code,
        -- Etsy prices a listing in its shop's currency; a price in another is not shown as one.
        case when listings.currency_code = shop_accounts.currency_code then listings.price end as price,
        listings.quantity_available,
        listings.created_at,
        listings.updated_at,
        cast(coalesce(sales_by_listing.lifetime_units, 0) as {{ dbt.type_bigint() }}) as lifetime_units,
        cast(coalesce(sales_by_listing.lifetime_orders, 0) as {{ dbt.type_bigint() }}) as lifetime_orders,
        cast(coalesce(sales_by_listing.lifetime_gross_sales, 0) as {{ type_money() }}) as lifetime_gross_sales,
        sales_by_listing.first_sold_at,
        sales_by_listing.last_sold_at,
        cast(null as {{ dbt.type_bigint() }}) as views,
        listings.favorer_count as favorites,
        cast(coalesce(reviews_by_listing.review_count, 0) as {{ dbt.type_bigint() }}) as review_count,
        reviews_by_listing.average_rating
    from product_ids
    left join listings
        on product_ids.listing_id = listings.listing_id
    left join sales_by_listing
        on product_ids.listing_id = sales_by_listing.listing_id
    left join reviews_by_listing
        on product_ids.listing_id = reviews_by_listing.listing_id
    left join shop_accounts
        on product_ids.shop_id = shop_accounts.shop_id
)

select * from final
