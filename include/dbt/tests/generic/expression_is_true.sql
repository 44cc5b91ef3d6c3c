{#- A row-level invariant: every row (optionally restricted by the `where` config) must
    satisfy `expression`; the failing rows are returned. -#}
{% test expression_is_true(model, expression) %}
select *
from {{ model }}
where not ({{ expression }}) or ({{ expression }}) is null
{% endtest %}
