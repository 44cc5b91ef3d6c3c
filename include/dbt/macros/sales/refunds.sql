{#- Etsy refund statuses (lower case) that mean the buyer got the money back. A refund in
    any other status (pending, failed...) is kept in int_sales__refunds with
    is_completed = false and counts nowhere. -#}
{% macro etsy_completed_refund_statuses() -%}
    {{ return(['succeeded']) }}
{%- endmacro %}
