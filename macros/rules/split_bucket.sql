{#
    The split of a group (vehicle, owner, technician): a bucket 0..99 from md5(salt || ':' || id),
    so a row's split depends on its own id only. New data never moves an old group, and a rebuild
    gives the same answer. scripts/splits.py computes the same bucket in Python.
#}
{% macro split_bucket(group_id) -%}
    (('x' || substr(md5('{{ var("split_salt") }}' || ':' || ({{ group_id }})::text), 1, 8))::bit(32)::bigint % 100)
{%- endmacro %}
