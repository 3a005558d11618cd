{#
    An override of dbt-postgres's own postgres__create_table_as, for every table of the project: a contracted
    table without declared constraints is built with `create table as` instead of `create table; insert`,
    because PostgreSQL never runs the SELECT of an INSERT in parallel (the package marts' jsonb would take one
    core). The contract still asserts names and types first; declared constraints keep dbt's INSERT form.
    It leans on dbt-postgres internals (this macro's signature; get_assert_columns_equivalent,
    get_table_columns_and_constraints, get_select_subquery, get_column_names):
    tests/python/test_adapter_override.py fails loudly when an upgrade changes them.
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
