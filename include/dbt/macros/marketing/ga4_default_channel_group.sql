{#- GA4's default channel group of a session source / medium, following Google's published
    rules in their order (first match wins). `source_category` is the source's category
    from the ga4_source_categories seed (SEARCH, SOCIAL, VIDEO, SHOPPING or null).
    Limits: the rules that also read the campaign name (Cross-network; the campaign half of
    the Shopping rules) cannot apply, as the traffic_sources report has no campaign.
    GA4's regex ^(.*cp.*|ppc|retargeting|paid.*)$ is written with LIKE, which both
    warehouses read the same way. -#}
{% macro ga4_is_paid_medium(medium) -%}
    ({{ medium }} like '%cp%' or {{ medium }} in ('ppc', 'retargeting') or {{ medium }} like 'paid%')
{%- endmacro %}

{% macro ga4_default_channel_group(source_column, medium_column, source_category_column) -%}
    {%- set source = 'lower(' ~ source_column ~ ')' -%}
    {%- set medium = 'lower(' ~ medium_column ~ ')' -%}
    case
        when {{ source }} = '(direct)' and {{ medium }} in ('(not set)', '(none)')
            then 'Direct'
        when {{ source_category_column }} = 'SHOPPING' and {{ ga4_is_paid_medium(medium) }}
            then 'Paid Shopping'
        when {{ source_category_column }} = 'SEARCH' and {{ ga4_is_paid_medium(medium) }}
            then 'Paid Search'
        when {{ source_category_column }} = 'SOCIAL' and {{ ga4_is_paid_medium(medium) }}
            then 'Paid Social'
        when {{ source_category_column }} = 'VIDEO' and {{ ga4_is_paid_medium(medium) }}
            then 'Paid Video'
        when {{ medium }} in ('display', 'banner', 'expandable', 'interstitial', 'cpm')
            then 'Display'
        when {{ ga4_is_paid_medium(medium) }}
            then 'Paid Other'
        when {{ source_category_column }} = 'SHOPPING'
            then 'Organic Shopping'
        when {{ source_category_column }} = 'SOCIAL'
            or {{ medium }} in ('social', 'social-network', 'social-media', 'sm', 'social network', 'social media')
            then 'Organic Social'
        when {{ source_category_column }} = 'VIDEO' or {{ medium }} like '%video%'
            then 'Organic Video'
        when {{ source_category_column }} = 'SEARCH' or {{ medium }} = 'organic'
            then 'Organic Search'
        when {{ medium }} in ('referral', 'app', 'link')
            then 'Referral'
        when {{ source }} in ('email', 'e-mail', 'e_mail', 'e mail')
            or {{ medium }} in ('email', 'e-mail', 'e_mail', 'e mail')
            then 'Email'
        when {{ medium }} = 'affiliate'
            then 'Affiliates'
        when {{ medium }} = 'audio'
            then 'Audio'
        when {{ source }} = 'sms' or {{ medium }} = 'sms'
            then 'SMS'
        when {{ medium }} like '%push' or {{ medium }} like '%mobile%' or {{ medium }} like '%notification%'
            or {{ source }} = 'firebase'
            then 'Mobile Push Notifications'
        else 'Unassigned'
    end
{%- endmacro %}
