{#
    A regular expression from seeds/name_patterns.csv (platform UI text, taxonomy suffixes, seller
    type spellings, mileage in text). The sub-select is uncorrelated, so it runs once per query.
#}
{% macro name_pattern(rule_name) -%}
    (select name_patterns.pattern from {{ ref('name_patterns') }} as name_patterns where name_patterns.rule_name = '{{ rule_name }}')
{%- endmacro %}
