{#
    A package column must hold exactly the keys its model declares in the column's `package_fields`
    meta, each of the declared jsonb type (or null when declared nullable), and every declared field must
    carry a timing tag from the model's `meta.timings` vocabulary (checked when the test compiles). Fails with one row per
    offending key path and type, with how many rows show it.
    One pass, and no row explosion: each package is checked with path look-ups and by removing the
    declared keys of every object (`jsonb - text[]`) and expecting nothing left; only offending rows
    are unnested. (At 25M packages, exploding every package into its ~60 keys took minutes.)
    sections_model (optional): a model with one row per group of packages whose jsonb columns are package
    sections copied verbatim into every package of the group (the listing mart's int_listings_packaged).
    The fields of those sections are checked there, once per group; the packages are checked for every
    other field, for undeclared top-level keys and for each such section being an object.
#}
{% test package_matches_spec(model, column_name, sections_model=none) %}
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
    {#- Sections checked on sections_model: the declared sections that are columns of it. #}
    {%- set sections = [] -%}
    {%- if sections_model is not none and execute -%}
        {%- set section_columns = adapter.get_columns_in_relation(sections_model) | map(attribute='name') | list -%}
        {%- for path in fields.keys() if '.' in path and path.split('.')[0] in section_columns
            and path.split('.')[0] not in sections -%}
            {%- do sections.append(path.split('.')[0]) -%}
        {%- endfor -%}
    {%- endif -%}
    {#- Per checked relation: the value expression of each declared path, and the keys declared per object
        ('' is the top level of the package; a section checked on sections_model is its own column). #}
    {%- set targets = [{'relation': model, 'checks': [], 'objects': {'': []}}] -%}
    {%- if sections -%}
        {%- do targets.append({'relation': sections_model, 'checks': [], 'objects': {}}) -%}
    {%- endif -%}
    {%- for path, spec in fields.items() -%}
        {%- set parts = path.split('.') -%}
        {%- if parts | length > 1 and parts[0] in sections -%}
            {%- do targets[1].checks.append({'path': path, 'value': parts[0] ~ " -> '" ~ parts[1] ~ "'", 'spec': spec}) -%}
            {%- do targets[1].objects.setdefault(parts[0], []).append(parts[1]) -%}
        {%- else -%}
            {#- `->` per level, not `#>`: a text[] path is taken apart again for every row (0.32 against 0.19 s per
                check over 1.85M packages). #}
            {%- set value = namespace(sql=column_name) -%}
            {%- for part in parts -%}{%- set value.sql = "(" ~ value.sql ~ " -> '" ~ part ~ "')" -%}{%- endfor -%}
            {%- do targets[0].checks.append({'path': path, 'value': value.sql, 'spec': spec}) -%}
            {%- if parts | length > 1 -%}
                {%- do targets[0].objects.setdefault(parts[0], []).append(parts[1]) -%}
            {%- endif -%}
        {%- endif -%}
        {%- if parts[0] not in targets[0].objects[''] -%}{%- do targets[0].objects[''].append(parts[0]) -%}{%- endif -%}
    {%- endfor -%}
    {%- for section in sections -%}
        {%- do targets[0].checks.append({'path': section, 'value': column_name ~ " -> '" ~ section ~ "'", 'spec': {'type': 'object'}}) -%}
    {%- endfor %}

    with

    {% for target in targets %}
    {#- Each rule: a condition that holds on an offending row, and the violation it names. #}
    {%- set rules = [] -%}
    {%- for check in target.checks -%}
        {%- set allowed = "'" ~ check.spec.type ~ "'" ~ (", 'null'" if check.spec.nullable else "") -%}
        {%- do rules.append({
            'when': "coalesce(jsonb_typeof(" ~ check.value ~ "), 'missing') not in (" ~ allowed ~ ")",
            'then': "'" ~ check.path ~ ": ' || coalesce(jsonb_typeof(" ~ check.value ~ "), 'missing')"}) -%}
    {%- endfor -%}
    {%- set on_packages = loop.first -%}
    {%- for object, keys in target.objects.items() -%}
        {%- if not on_packages %}{%- set value = object -%}
        {%- elif object == '' %}{%- set value = column_name -%}
        {%- else %}{%- set value = "(" ~ column_name ~ " -> '" ~ object ~ "')" %}{%- endif -%}
        {%- set undeclared = value ~ " - array['" ~ (keys | join("', '")) ~ "']::text []" -%}
        {#- The keys listed by a JSON path, not a subquery over jsonb_object_keys: a subquery would keep the whole
            check out of PostgreSQL's parallel workers. '["a", "b"]' becomes 'a, b'. #}
        {%- do rules.append({
            'when': "jsonb_typeof(" ~ value ~ ") = 'object' and " ~ undeclared ~ " <> '{}'::jsonb",
            'then': "'" ~ (object or '(top level)') ~ ": undeclared keys ' || translate(jsonb_path_query_array("
                ~ undeclared ~ ", '$.keyvalue().key')::text, '[]\"', '')"}) -%}
    {%- endfor %}
    checked_{{ loop.index }} as (
        {#- One violation per row and broken rule. The array is built only for a row that breaks a rule, not a
            30-element array for each of 1.85M packages; unnest in the select list turns it into rows. No step here
            is fenced with `offset 0` and no rule holds a subquery: either keeps PostgreSQL from running the checks
            in parallel workers (at scale 0.1: 8.8-10.4 s against 16.2-16.6 s for the listing mart, one worker). #}
        select
            unnest(case
                when
                {%- for rule in rules %}
                    ({{ rule.when }}){{ " or" if not loop.last }}
                {%- endfor %}
                    then array_remove(array[
                    {%- for rule in rules %}
                        case when {{ rule.when }} then {{ rule.then }} end,
                    {%- endfor %}
                        null
                    ], null)
            end) as violation
        {%- if loop.first %}
        {#- A package over about 2 KB is stored compressed, and every look-up would decompress it again (30 of them
            per row): decompress it once, into a working copy. `'{}' || package` returns the decompressed package
            itself (jsonb_concat's shortcut for an empty side; a package that is not an object becomes an array and
            fails every check); `package - 'key'` re-encoded it instead and cost more than the checks. The copy is
            the one element of an unnested array, so it is computed once per row, where a subquery would be
            inlined into every look-up. #}
        from (select {{ column_name }} as stored_package from {{ target.relation }}) as stored
        cross join lateral unnest(array['{}'::jsonb || stored.stored_package]) as working_copy ({{ column_name }})
        {%- else %}
        from {{ target.relation }}
        {%- endif %}
    ),
    {% endfor %}

    violations as (
        {%- for target in targets %}
        select violation from checked_{{ loop.index }}
        {{ "union all" if not loop.last }}
        {%- endfor %}
    )

    select
        violation,
        count(*) as offending_rows
    from violations
    group by violation
{% endtest %}
