{#- Reconciliation: sum(expression) over the tested model equals sum(compare_expression)
    over compare_model, per group (e.g. per shop and currency). Groups present on one side
    only count as 0 on the other, so a missing group fails instead of vanishing. Group
    columns must be non-null (BigQuery full joins need plain equality): test them not_null.
    `compare_where` filters the compare side (the `where` config filters the tested side);
    `tolerance` absorbs rounding of allocated amounts. Returns the mismatching groups. -#}
{% test equal_sum(model, expression, compare_model, compare_expression=none, group_by=[], compare_group_by=none, compare_where=none, tolerance=0) %}
{%- set compare_expression = compare_expression if compare_expression is not none else expression -%}
{%- set compare_group_by = compare_group_by if compare_group_by is not none else group_by -%}
{%- if group_by | length != compare_group_by | length -%}
    {{ exceptions.raise_compiler_error("equal_sum: group_by and compare_group_by need the same number of columns") }}
{%- endif -%}
with tested as (
    select
        {%- for column in group_by %}
        {{ column }} as group_key_{{ loop.index }},
        {%- endfor %}
        sum({{ expression }}) as tested_sum
    from {{ model }}
    {%- if group_by %}
    group by {% for column in group_by %}{{ column }}{{ ', ' if not loop.last }}{% endfor %}
    {%- endif %}
),

compared as (
    select
        {%- for column in compare_group_by %}
        {{ column }} as group_key_{{ loop.index }},
        {%- endfor %}
        sum({{ compare_expression }}) as compared_sum
    from {{ compare_model }}
    {%- if compare_where %}
    where {{ compare_where }}
    {%- endif %}
    {%- if compare_group_by %}
    group by {% for column in compare_group_by %}{{ column }}{{ ', ' if not loop.last }}{% endfor %}
    {%- endif %}
),

final as (
    select
        {%- for column in group_by %}
        coalesce(tested.group_key_{{ loop.index }}, compared.group_key_{{ loop.index }}) as group_key_{{ loop.index }},
        {%- endfor %}
        coalesce(tested.tested_sum, 0) as tested_sum,
        coalesce(compared.compared_sum, 0) as compared_sum
    from tested
    {%- if group_by %}
    full outer join compared
        on {% for column in group_by %}tested.group_key_{{ loop.index }} = compared.group_key_{{ loop.index }}{{ ' and ' if not loop.last }}{% endfor %}
    {%- else %}
    cross join compared
    {%- endif %}
)

select *
from final
where abs(tested_sum - compared_sum) > {{ tolerance }}
{% endtest %}
