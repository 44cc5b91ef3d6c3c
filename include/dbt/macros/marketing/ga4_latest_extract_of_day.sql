{#- GA4 day replacement. GA4 revises a day for about 72 hours and the connector's lookback
    re-reads recent days, so every extract of a day is the whole day as GA4 saw it then.
    Per property and day, the rows of the latest extract (the highest Airbyte sync id that
    delivered the day) replace every earlier extract of that day as a whole: a row that
    vanished or was relabelled since (a source / medium, device or city that GA4 no longer
    reports for that day) goes with its extract instead of lingering beside the new rows.
    Within that extract a record delivered twice keeps its latest copy (`dimension_columns`:
    the report's dimensions besides property_id and date). The copies are ranked by sync id
    before extraction time: two syncs can carry the same `_airbyte_extracted_at` (a re-run
    of a day), and a record whose newest copy came from the losing sync would otherwise
    vanish from the day. Each report is a table of its own,
    so the rule holds per property, report and day. A record without a sync id in
    `_airbyte_meta` (not written by Destinations V2) counts as sync 0: it can only lose to a
    sync that has one. -#}
{% macro ga4_latest_extract_of_day(dimension_columns) -%}
    {%- set sync_id = 'coalesce(cast(' ~ json_string('_airbyte_meta', '$.sync_id') ~ ' as ' ~ dbt.type_bigint() ~ '), 0)' %}
    qualify
        {{ sync_id }} = max({{ sync_id }}) over (partition by property_id, date)
        and row_number() over (
            partition by property_id, date{% for column in dimension_columns %}, {{ column }}{% endfor %}
            order by {{ sync_id }} desc, _airbyte_extracted_at desc, _airbyte_raw_id desc
        ) = 1
{%- endmacro %}
