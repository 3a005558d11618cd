{#
    Whether a staged photo was uploaded by `moment`: by its upload time, or, when the platform gave none,
    by its delivery (a photo cannot go up after it reached the warehouse). The person packages' rule for
    which photos they may show as of their cutoff.
#}
{% macro photo_uploaded_by(photo, moment) -%}
    coalesce({{ photo }}.uploaded_at, {{ photo }}.loaded_at) <= {{ moment }}
{%- endmacro %}
