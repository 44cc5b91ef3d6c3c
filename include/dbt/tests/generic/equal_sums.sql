{#- Reconciliation of many columns at once: for each entry of `columns` (tested expression
    -> compared expression; a list means the same expression on both sides), its sum over
    the tested model equals the compared sum over compare_model, per group (e.g. per shop,
    currency and day). Like equal_sum, a group present on one side only counts as 0 on the
    other. Each failing row names the column and the group. -#}
{% test equal_sums(model, columns, compare_model, group_by, compare_group_by=none, compare_where=none, tolerance=0) %}
{%- set compare_group_by = compare_group_by if compare_group_by is not none else group_by -%}
{%- set pairs = [] -%}
{%- for column in columns -%}
    {%- do pairs.append((column, columns[column]) if columns is mapping else (column, column)) -%}
{%- endfor -%}
with tested as (
    select
        {%- for column in group_by %}
        {{ column }} as group_key_{{ loop.index }},
        {%- endfor %}
        {%- for tested_expression, _ in pairs %}
        sum({{ tested_expression }}) as tested_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}
    group by {% for column in group_by %}{{ column }}{{ ', ' if not loop.last }}{% endfor %}
),

compared as (
    select
        {%- for column in compare_group_by %}
        {{ column }} as group_key_{{ loop.index }},
        {%- endfor %}
        {%- for _, compared_expression in pairs %}
        sum({{ compared_expression }}) as compared_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ compare_model }}
    {%- if compare_where %}
    where {{ compare_where }}
    {%- endif %}
    group by {% for column in compare_group_by %}{{ column }}{{ ', ' if not loop.last }}{% endfor %}
),

joined as (
    select
        {%- for column in group_by %}
        coalesce(tested.group_key_{{ loop.index }}, compared.group_key_{{ loop.index }}) as group_key_{{ loop.index }},
        {%- endfor %}
        {%- for _ in pairs %}
        coalesce(tested.tested_{{ loop.index }}, 0) as tested_{{ loop.index }},
        coalesce(compared.compared_{{ loop.index }}, 0) as compared_{{ loop.index }}{{ ',' if not loop.last }}
        {%- endfor %}
    from tested
    full outer join compared
        on {% for column in group_by %}tested.group_key_{{ loop.index }} = compared.group_key_{{ loop.index }}{{ ' and ' if not loop.last }}{% endfor %}
),

final as (
    {%- for tested_expression, _ in pairs %}
    select
        '{{ tested_expression | replace("'", "''") }}' as reconciled_column,
        {%- for column in group_by %}
        group_key_{{ loop.index }},
        {%- endfor %}
        tested_{{ loop.index }} as tested_sum,
        compared_{{ loop.index }} as compared_sum
    from joined
    where abs(tested_{{ loop.index }} - compared_{{ loop.index }}) > {{ tolerance }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)

select * from final
{% endtest %}
