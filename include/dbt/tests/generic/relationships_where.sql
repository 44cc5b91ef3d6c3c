{#- relationships with a filter on the parent: every non-null `column_name` of the model
    exists as `field` in `to` where `to_condition` holds. Needed where the parent requires
    a partition filter (BigQuery require_partition_filter), which core's relationships
    test cannot add. -#}
{% test relationships_where(model, column_name, to, field, to_condition='true') %}
with children as (
    select {{ column_name }} as child_value
    from {{ model }}
    where {{ column_name }} is not null
),

parents as (
    select {{ field }} as parent_value
    from {{ to }}
    where {{ to_condition }}
)

select children.child_value
from children
left join parents
    on children.child_value = parents.parent_value
where parents.parent_value is null
{% endtest %}
