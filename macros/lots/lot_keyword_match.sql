{#
    The first keyword of seeds/lot_keywords.csv that says a lot is not a car, as a lateral join
    named lot_match (columns lot_category, keyword_id; null when none matches). Non-vehicle
    evidence wins over other vehicles, which win over motorcycles. A keyword is scoped to a make
    when the seed names one (Honda's CT70 is a motorcycle, its Civic a car); a weak keyword (wheels,
    an engine, a hardtop) only counts with corroborating evidence, since cars ride on wheels and
    have engines: weak_evidence is SQL that says the lot looks like a part (no model year, a title
    without a year, a title that says what the part is for).
    Every text argument is SQL for lower-cased text or null: title_head (the title without what the
    lot comes with), lot_text (title head, model and trim), body_style.
#}
{% macro lot_keyword_match(make_name, title_head, lot_text, body_style, weak_evidence) %}
    left join lateral (
        select
            lot_keywords.lot_category,
            lot_keywords.keyword_id
        from {{ ref('lot_keywords') }} as lot_keywords
        where
            coalesce(nullif(lot_keywords.make_name, ''), {{ make_name }}) = {{ make_name }}
            and (lot_keywords.strength = 'strong' or coalesce({{ weak_evidence }}, false))
            and case lot_keywords.field
                when 'title_head' then {{ title_head }}
                when 'lot_text' then {{ lot_text }}
                when 'body_style' then {{ body_style }}
            end ~ lot_keywords.pattern
        order by {{ lot_category_rank('lot_keywords.lot_category') }}, lot_keywords.keyword_id
        limit 1
    ) as lot_match on true
{% endmacro %}
