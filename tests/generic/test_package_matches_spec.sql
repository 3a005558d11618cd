{#
    A package column must hold exactly the keys its model declares in the column's `package_fields`
    meta, each of the declared jsonb type (or null when declared nullable). Fails with one row per
    offending key path and type, with how many rows show it. One scan per check, whatever the number
    of fields.
#}
{% test package_matches_spec(model, column_name) %}
    {%- set fields = {} -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == model.identifier -%}
            {%- set column = node.columns[column_name] -%}
            {%- do fields.update(column.meta.get('package_fields') or column.config.meta.get('package_fields') or {}) -%}
        {%- endfor -%}
        {%- if not fields -%}
            {{ exceptions.raise_compiler_error("package_matches_spec: " ~ model.identifier ~ "." ~ column_name ~ " declares no package_fields meta") }}
        {%- endif -%}
    {%- endif %}

    with

    packages as (
        select {{ column_name }} as package
        from {{ model }}
    ),

    type_violations as (
        select
            checked.field_path,
            checked.actual_type,
            count(*) as offending_rows
        from packages
        cross join lateral (
            values
    {%- for path, spec in fields.items() %}
                (
                    '{{ path }}',
                    coalesce(jsonb_typeof(packages.package #> '{{ "{" ~ path.replace(".", ",") ~ "}" }}'), 'missing'),
                    array['{{ spec.type }}'{% if spec.nullable %}, 'null'{% endif %}]
                ){{ "," if not loop.last }}
            {%- endfor %}
        ) as checked (field_path, actual_type, allowed_types)
        where not checked.actual_type = any(checked.allowed_types)
        group by checked.field_path, checked.actual_type
    ),

    key_paths as (
        select distinct
            top_level.key || coalesce('.' || nested.key, '') as field_path
        from packages
        cross join lateral jsonb_each(packages.package) as top_level
        left join lateral jsonb_each(
            case when jsonb_typeof(top_level.value) = 'object' then top_level.value else '{}'::jsonb end
        ) as nested on true
    ),

    undeclared_keys as (
        select
            key_paths.field_path,
            'undeclared' as actual_type,
            null::bigint as offending_rows
        from key_paths
        where key_paths.field_path not in (
    {%- for path in fields.keys() %}'{{ path }}'{{ ", " if not loop.last }}{% endfor -%}
        )
    )

    select * from type_violations
    union all
    select * from undeclared_keys
{% endtest %}
