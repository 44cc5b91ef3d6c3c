{#- One row per listing: every listing of the listings stream, plus any listing only
    known from order lines (deleted or never synced), so each order line has its product.
    Lifetime sales count non-canceled orders. Etsy's API has no listing views: `views` is
    null until a traffic source provides them (GA4 page paths are the [marketing] models'). -#}
{{ config(cluster_by=['shop_id', 'listing_id']) }}

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

sales_by_listing as (
    select
        listing_id,
        shop_id,
        currency_code,
        min(title) as sold_title,
        sum(case when not is_canceled_order then quantity else 0 end) as lifetime_units,
        sum(case when not is_canceled_order then gross_sales else 0 end) as lifetime_gross_sales,
        count(distinct case when not is_canceled_order then receipt_id end) as lifetime_orders,
        min(ordered_at) as first_sold_at,
        max(ordered_at) as last_sold_at
    from order_items
    where listing_id is not null
    group by listing_id, shop_id, currency_code
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
    select listing_id, shop_id from listings
    union distinct
    select listing_id, shop_id from sales_by_listing
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
        coalesce(listings.currency_code, sales_by_listing.currency_code) as currency_code,
        listings.price,
        listings.quantity_available,
        listings.created_at,
        listings.updated_at,
        coalesce(sales_by_listing.lifetime_units, 0) as lifetime_units,
        coalesce(sales_by_listing.lifetime_orders, 0) as lifetime_orders,
        coalesce(sales_by_listing.lifetime_gross_sales, 0) as lifetime_gross_sales,
        sales_by_listing.first_sold_at,
        sales_by_listing.last_sold_at,
        cast(null as bigint) as views,
        listings.favorer_count as favorites,
        coalesce(reviews_by_listing.review_count, 0) as review_count,
        reviews_by_listing.average_rating
    from product_ids
    left join listings
        on product_ids.listing_id = listings.listing_id
    left join sales_by_listing
        on product_ids.listing_id = sales_by_listing.listing_id
    left join reviews_by_listing
        on product_ids.listing_id = reviews_by_listing.listing_id
)

select * from final
