{#
    dbt-postgres builds a table with an enforced contract as `create table (columns); insert into ...
    select`, and PostgreSQL never runs the SELECT of an INSERT in parallel workers: the package marts'
    jsonb projection then runs on one core. When the contract declares no constraints (ours check keys
    with data tests), the same contract holds with `create table as`, which PostgreSQL does run in
    parallel: the column names and types are still asserted against the contract before the build,
    and the select lists the columns in contract order. Declared constraints keep the column list and
    INSERT form, which is the only way to create them with the table.
#}
{% macro postgres__create_table_as(temporary, relation, sql) -%}
    {%- set sql_header = config.get('sql_header', none) -%}
    {%- set enforced = config.get('contract').enforced and not temporary -%}
    {%- set found = namespace(constraints=(model.get('constraints') or []) | length > 0) -%}
    {%- for column in (model.get('columns') or {}).values() -%}
        {%- if (column.get('constraints') or []) | length > 0 -%}
            {%- set found.constraints = true -%}
        {%- endif -%}
    {%- endfor -%}

    {{ sql_header if sql_header is not none }}
    {%- if enforced %}
    {{ get_assert_columns_equivalent(sql) }}
    {%- endif %}
    create {% if temporary -%}
        temporary
    {%- elif config.get('unlogged', default=false) -%}
        unlogged
    {%- endif %} table {{ relation }}
    {%- if enforced and found.constraints %}
        {{ get_table_columns_and_constraints() }};
    insert into {{ relation }} ({{ adapter.dispatch('get_column_names', 'dbt')() }}) (
        {{ get_select_subquery(sql) }}
    );
    {%- elif enforced %}
    as (
        {{ get_select_subquery(sql) }}
    );
    {%- else %}
    as (
        {{ sql }}
    );
    {%- endif %}
{%- endmacro %}
