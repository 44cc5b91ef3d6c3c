{#- No record has one of `fields` (source field names) among the fields Airbyte could not
    type and wrote as NULL (`column_name`, from the airbyte_nulled_fields macro). Such a
    record is kept, flagged and counted by this test instead of reading as 0 or as an empty
    value: each failing row names the record and its nulled fields. -#}
{% test has_no_airbyte_nulled_fields(model, column_name, fields) %}
select *
from {{ model }}
where {{ column_name }} is not null
    and (
        {%- for field in fields %}
        concat(',', {{ column_name }}, ',') like '%,{{ field }},%'{{ ' or' if not loop.last }}
        {%- endfor %}
    )
{% endtest %}
