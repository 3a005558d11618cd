{#
    Whether a listing had at least `threshold` documents photos by its start, three-valued: the exact count
    decides when it is known; when it is not (uncategorised or undated photos that may be documents), the
    documents photos counted decide only if they reach the threshold already, and otherwise it is unknown (null).
#}
{% macro document_photos_reach(listing, threshold) -%}
    case
        when {{ listing }}.document_photo_count is not null then {{ listing }}.document_photo_count >= {{ threshold }}
        when {{ listing }}.document_photo_count_at_least >= {{ threshold }} then true
    end
{%- endmacro %}
