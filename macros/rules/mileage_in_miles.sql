{#
    Miles from the groups of a mileage matched in text (seeds/name_patterns.csv mileage_*):
    [1] the number ("31", "12,400", "3.5"), [2] 'k' for thousands, [3] the unit (miles or km).
#}
{% macro mileage_in_miles(parts) -%}
    round(
        {{ mileage_as_stated(parts) }}
        * case when {{ parts }}[3] ~ '^k' then {{ miles_per_kilometre() }} else 1 end
    )::integer
{%- endmacro %}

{#- Miles in a kilometre: the one place the factor is written. #}
{% macro miles_per_kilometre() -%}
    0.621371
{%- endmacro %}

{#
    The reading a matched mileage states, in its own unit ("45,000 km" and "45k km" are both 45000).
#}
{% macro mileage_as_stated(parts) -%}
    (replace({{ parts }}[1], ',', '')::numeric * case when {{ parts }}[2] = 'k' then 1000 else 1 end)
{%- endmacro %}
