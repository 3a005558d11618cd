{#
    A state of a *_states model (valid_from, valid_to) holds at the time `at`: the interval is
    closed at its start and open at its end, so a state valid from the very second of `at` counts.
#}
{% macro valid_at(states, at) -%}
    ({{ states }}.valid_from <= {{ at }} and ({{ states }}.valid_to is null or {{ states }}.valid_to > {{ at }}))
{%- endmacro %}
