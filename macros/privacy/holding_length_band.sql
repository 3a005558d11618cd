{#
    How long a vehicle was held, as a band instead of its dates: under_1_year, 1_to_3_years,
    3_to_10_years or over_10_years (null when its start is unknown). The bands follow the owner_type
    rule's own lines (a flip within a year, a collector's decade) and are wide enough that a garage's
    bands do not single its owner out in the raw tables, which its dates, even as months, do.
#}
{% macro holding_length_band(holding_years) -%}
    case
        when {{ holding_years }} is null then null
        when {{ holding_years }} < 1 then 'under_1_year'
        when {{ holding_years }} < 3 then '1_to_3_years'
        when {{ holding_years }} < 10 then '3_to_10_years'
        else 'over_10_years'
    end
{%- endmacro %}
