{#- One row per post (or story) and activity day with a snapshot: the change of its lifetime
    insights that day (see int_instagram__post_insights_daily for the dating rule). Summed
    over a post's days they give its latest lifetime value (fct_instagram_posts). -#}
{{ config(**date_partitioned_table_config('date_day', ['shop_id'])) }}
{%- set count_metrics = ['reach', 'likes', 'comments', 'replies', 'saves', 'shares', 'total_interactions',
                         'follows', 'profile_visits'] %}

with daily as (

    select * from {{ ref('int_instagram__post_insights_daily') }}

),

final as (

    select
        shop_id,
        post_id,
        instagram_account_id,
        is_story,
        date_day,
        snapshot_at,
        snapshot_number,
        is_backfill,
        covered_days,
        {%- for metric in count_metrics %}
        {{ metric }},
        {%- endfor %}
        cast(reels_watch_seconds as {{ type_money() }}) as reels_watch_seconds
    from daily

)

select * from final
