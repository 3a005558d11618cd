{#
    The lot category from several pieces of evidence (each SQL for a category or null): the one
    of highest rank (lot_category_rank), `car` when none says otherwise.
#}
{% macro lot_category_from() -%}
    case least(
        {%- for category in varargs %}
            coalesce({{ lot_category_rank(category) }}, 4){{ "," if not loop.last }}
        {%- endfor %}
    )
        when 1 then 'non_vehicle'
        when 2 then 'other_vehicle'
        when 3 then 'motorcycle'
        else 'car'
    end
{%- endmacro %}
