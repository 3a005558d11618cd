{% macro split_name(group_id) -%}
    case
        when {{ split_bucket(group_id) }} < {{ var('split_train_percent') }} then 'train'
        when {{ split_bucket(group_id) }} < {{ var('split_train_percent') + var('split_validation_percent') }} then 'validation'
        else 'test'
    end
{%- endmacro %}
