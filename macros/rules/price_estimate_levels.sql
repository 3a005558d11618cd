{#
    The comparable steps of int_listings_price_estimated, each completed with the SQL fragments its
    CTEs need: its rule (price_estimate_<name> in seeds/rule_parameters.csv), the keys it groups by
    (plus the target year of a year band), the partition of the sales, and the not-null filters of
    sales and listing starts. levels: a list of {name, keys, banded}.
#}
{% macro price_estimate_levels(levels) %}
    {%- set completed = [] -%}
    {%- for level in levels -%}
        {%- set step = {
            'name': level.name,
            'keys': level['keys'],
            'banded': level.banded,
            'rule': 'price_estimate_' ~ level.name,
            'group_keys': level['keys'] + (['target_year'] if level.banded else []),
            'sale_partition': [],
            'sale_filters': [],
            'start_filters': [],
        } -%}
        {%- for key in level['keys'] -%}
            {%- do step.sale_partition.append('closed_sales.' ~ key) -%}
            {%- do step.sale_filters.append('closed_sales.' ~ key ~ ' is not null') -%}
            {%- do step.start_filters.append(key ~ ' is not null') -%}
        {%- endfor -%}
        {%- if level.banded -%}
            {%- do step.sale_partition.append('closed_sales.model_year + band.shift') -%}
            {%- do step.sale_filters.append('closed_sales.model_year is not null') -%}
            {%- do step.start_filters.append('model_year is not null') -%}
        {%- endif -%}
        {%- do completed.append(step) -%}
    {%- endfor -%}
    {{ return(completed) }}
{% endmacro %}
