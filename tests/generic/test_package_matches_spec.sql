{#
    A package column must hold exactly the keys its model declares in the column's `package_fields`
    meta, each of the declared jsonb type (or null when declared nullable), and every declared field must
    carry a timing tag from the model's `meta.timings` vocabulary (checked when the test compiles). Fails with one row per
    offending key path and type, with how many rows show it.
    One pass, and no row explosion: each package is checked with path look-ups and by removing the
    declared keys of every object (`jsonb - text[]`) and expecting nothing left; only offending rows
    are unnested. (At 25M packages, exploding every package into its ~60 keys took minutes.)
#}
{% test package_matches_spec(model, column_name) %}
    {%- set fields = {} -%}
    {%- if execute -%}
        {%- set timings = {} -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model' and node.name == model.identifier -%}
            {%- set column = node.columns[column_name] -%}
            {%- do fields.update(column.meta.get('package_fields') or column.config.meta.get('package_fields') or {}) -%}
            {%- do timings.update(node.config.meta.get('timings') or node.meta.get('timings') or {}) -%}
        {%- endfor -%}
        {%- if not fields -%}
            {{ exceptions.raise_compiler_error("package_matches_spec: " ~ model.identifier ~ "." ~ column_name ~ " declares no package_fields meta") }}
        {%- endif -%}
        {#- Every field is timed in the mart's own vocabulary: an untimed field could leak into any task. #}
        {%- set untimed = [] -%}
        {%- for path, spec in fields.items() if spec.get('timing') not in timings -%}
            {%- do untimed.append(path ~ ' (' ~ spec.get('timing', 'no timing') ~ ')') -%}
        {%- endfor -%}
        {%- if not timings or untimed -%}
            {{ exceptions.raise_compiler_error("package_matches_spec: " ~ model.identifier ~ " needs meta.timings and a timing from it on every package field; offending: " ~ (untimed | join(', ') or 'meta.timings missing')) }}
        {%- endif -%}
    {%- endif %}
    {#- keys declared per object: '' is the top level #}
    {%- set objects = {'': []} -%}
    {%- for path in fields.keys() -%}
        {%- set parts = path.split('.') -%}
        {%- if parts | length == 1 -%}
            {%- do objects[''].append(parts[0]) -%}
        {%- else -%}
            {%- if parts[0] not in objects[''] -%}{%- do objects[''].append(parts[0]) -%}{%- endif -%}
            {%- do objects.setdefault(parts[0], []).append(parts[1]) -%}
        {%- endif -%}
    {%- endfor %}

    with

    checked as (
        select
            array_remove(array[
            {%- for path, spec in fields.items() %}
                case
                    when coalesce(jsonb_typeof({{ column_name }} #> '{{ "{" ~ path.replace(".", ",") ~ "}" }}'), 'missing')
                        not in ('{{ spec.type }}'{% if spec.nullable %}, 'null'{% endif %})
                        then '{{ path }}: ' || coalesce(jsonb_typeof({{ column_name }} #> '{{ "{" ~ path.replace(".", ",") ~ "}" }}'), 'missing')
                end,
            {%- endfor %}
            {%- for object, keys in objects.items() %}
                {%- set value = column_name if object == '' else "(" ~ column_name ~ " -> '" ~ object ~ "')" %}
                case
                    when jsonb_typeof({{ value }}) = 'object'
                        and {{ value }} - array[{% for key in keys %}'{{ key }}'{{ ", " if not loop.last }}{% endfor %}]::text [] <> '{}'::jsonb
                        then '{{ object or "(top level)" }}: undeclared keys '
                        || array_to_string(array(select jsonb_object_keys({{ value }} - array[{% for key in keys %}'{{ key }}'{{ ", " if not loop.last }}{% endfor %}]::text [])), ', ')
                end{{ "," if not loop.last }}
            {%- endfor %}
            ], null) as violations
        from (
            {#- A package over about 2 KB is stored compressed, and every path look-up would decompress it
                again (80 of them per row): decompress it once, into a working copy. #}
            select ({{ column_name }} - '__no_such_key__'::text) as {{ column_name }}
            from {{ model }}
            offset 0
        ) as working_copy
        offset 0
    )

    select
        violation,
        count(*) as offending_rows
    from checked
    cross join lateral unnest(checked.violations) as violation
    where cardinality(checked.violations) > 0
    group by violation
{% endtest %}
