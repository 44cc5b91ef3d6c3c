{#- One row per post (or story) and activity day with a snapshot: the change of its lifetime
    insights that day (see int_instagram__post_insights_daily for the dating rule). Summed
    over a post's days they give its latest lifetime value (fct_instagram_posts). -#}
{{ config(**date_partitioned_table_config('date_day', ['shop_id'])) }}

with daily as (

    select * from {{ ref('int_instagram__post_insights_daily') }}

),

final as (

    select * from daily

)

select * from final
