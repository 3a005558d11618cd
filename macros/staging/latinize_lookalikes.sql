{#
    Cyrillic and Greek letters that look like Latin ones turn "Porsche" into a different string
    (a homoglyph). Only applied to short identifying fields (make, model, color), never to prose,
    where Cyrillic or Greek may be a real language.
#}
{% macro latinize_lookalikes(expression) -%}
    translate({{ expression }}, 'АВЕЅІЈКМНОРСТХУаеіјорсухԁѕΑΒΕΗΙΚΜΝΟΡΤΧΥΖαοκνρτυ', 'ABESIJKMHOPCTXYaeijopcyxdsABEHIKMNOPTXYZaokvptu')
{%- endmacro %}
