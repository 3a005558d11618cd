{#
    dbt-postgres builds a table with an enforced contract as `create table (columns); insert into ...
    select`, and PostgreSQL never runs the SELECT of an INSERT in parallel workers: the package marts'
    jsonb projection then runs on one core. When the contract declares no constraints (ours check keys
    with data tests), the same contract holds with `create table as`, which PostgreSQL does run in
    parallel: the column names and types are still asserted against the contract before the build, and
    the select lists the columns in contract order. Anything else goes to dbt-postgres's own macro.
#}
{% macro postgres__create_table_as(temporary, relation, sql) -%}
    {%- set contract_config = config.get('contract') -%}
    {%- set found = namespace(constraints=(model.get('constraints') or []) | length > 0) -%}
    {%- for column in (model.get('columns') or {}).values() -%}
        {%- if (column.get('constraints') or []) | length > 0 -%}
            {%- set found.constraints = true -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if contract_config.enforced and not temporary and not found.constraints
        and not config.get('unlogged', default=false) and config.get('sql_header', none) is none -%}
        {{ get_assert_columns_equivalent(sql) }}
        create table {{ relation }} as (
            {{ get_select_subquery(sql) }}
        );
    {%- else -%}
        {{ dbt_postgres.postgres__create_table_as(temporary, relation, sql) }}
    {%- endif -%}
{%- endmacro %}
