{#- Instagram -> sessions -> orders, one row per shop, shop-local day and GA4 channel
    group: what each channel brought to the site and what the site turned into orders,
    with Instagram's reach and interactions beside the Organic Social row (Instagram
    traffic reaches GA4 as Organic Social). Read from fct_channel_performance_daily by
    column name; the rates are per row, so Looker Studio recomputes them from the sums. -#}
{{ config(**date_partitioned_table_config('date_day', ['shop_id'])) }}

with channel_performance as (
    select * from {{ ref('fct_channel_performance_daily') }}
),

final as (
    select
        shop_id,
        date_day,
        channel_group,
        currency_code,
        instagram_reach,
        instagram_interactions,
        sessions,
        engaged_sessions,
        attributed_orders,
        attributed_revenue,
        cast(
            case when instagram_reach > 0 then sessions * 1.0 / instagram_reach end as {{ type_money() }}
        ) as reach_to_session_rate,
        cast(
            case when sessions > 0 then attributed_orders * 1.0 / sessions end as {{ type_money() }}
        ) as session_to_order_rate
    from channel_performance
)

select * from final
