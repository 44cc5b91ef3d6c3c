{#- The column has at least one non-null value: catches a source field that silently
    stopped arriving (a renamed property lands as an all-null column). -#}
{% test at_least_one(model, column_name) %}
select count({{ column_name }}) as non_null_count
from {{ model }}
having count({{ column_name }}) = 0
{% endtest %}
