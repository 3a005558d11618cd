{#
    Which lot category wins when the evidence disagrees: a part is never packaged as a vehicle, an
    other vehicle (boat, tractor) never as a motorcycle, a motorcycle never as a car.
#}
{% macro lot_category_rank(category) -%}
    case {{ category }} when 'non_vehicle' then 1 when 'other_vehicle' then 2 when 'motorcycle' then 3 else 4 end
{%- endmacro %}
