{#
    A threshold from seeds/rule_parameters.csv. The sub-select is uncorrelated, so it runs once per
    query; a missing parameter yields null and the rule's tests fail rather than guess.
#}
{% macro rule_parameter(rule_name, parameter) -%}
    (
        select rule_parameters.value
        from {{ ref('rule_parameters') }} as rule_parameters
        where rule_parameters.rule_name = '{{ rule_name }}' and rule_parameters.parameter = '{{ parameter }}'
    )
{%- endmacro %}
