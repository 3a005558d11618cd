{#
    The version of a seeded rule, as `<rule>@<version>`, for the package's rule_versions section.
#}
{% macro rule_version(rule_name, seed='rule_parameters', name_column='rule_name') -%}
    (
        select '{{ rule_name }}@' || max(rule_seed.rule_version)
        from {{ ref(seed) }} as rule_seed
    {%- if name_column %}
        where rule_seed.{{ name_column }} = '{{ rule_name }}'
    {%- endif %}
    )
{%- endmacro %}
