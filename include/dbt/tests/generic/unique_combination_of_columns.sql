{#- The grain of a model: no two rows share these columns' values (nulls count as a value,
    so a null in a key column cannot hide a duplicate). -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
select
    {{ combination_of_columns | join(',\n    ') }},
    count(*) as row_count
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}
