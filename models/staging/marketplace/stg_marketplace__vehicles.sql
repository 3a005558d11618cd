{% set text_columns = ['vin', 'make', 'model', '"trim"', 'color', 'interior_color', 'transmission', 'engine', 'body_style', 'drivetrain'] %}
{% set optional_columns = ['vin', '"trim"', 'color', 'interior_color', 'transmission', 'engine', 'body_style', 'drivetrain'] %}
{% set identifying_columns = ['make', 'model', 'color'] %}
{% set checks = [
    {'reason': 'missing_required_value',
     'when': "coalesce(" ~ is_placeholder(clean_text('make')) ~ ", true) or coalesce(" ~ is_placeholder(clean_text('model')) ~ ", true)",
     'value': "'make=' || coalesce(make, '<null>') || '; model=' || coalesce(model, '<null>')"},
    {'reason': 'invalid_year',
     'when': 'year < 1900 or year > extract(year from _loaded_at)::integer + 1',
     'value': 'year'},
    {'reason': 'mileage_out_of_range', 'when': 'mileage < 0 or mileage > 2000000', 'value': 'mileage'},
    {'reason': 'condition_rating_out_of_range',
     'when': 'condition_rating < 1 or condition_rating > 5',
     'value': 'condition_rating'},
    {'reason': 'placeholder_value',
     'when': dq_any(optional_columns, is_placeholder('{col}')),
     'value': dq_evidence(optional_columns, is_placeholder('{col}'))},
    {'reason': 'control_characters',
     'when': dq_any(text_columns, "{col} ~ " ~ control_character_pattern()),
     'value': dq_evidence(text_columns, "{col} ~ " ~ control_character_pattern(), describe_odd_character('{col}', control_character_pattern()))},
    {'reason': 'zero_width_characters',
     'when': dq_any(text_columns, "{col} ~ " ~ zero_width_pattern()),
     'value': dq_evidence(text_columns, "{col} ~ " ~ zero_width_pattern(), describe_odd_character('{col}', zero_width_pattern()))},
    {'reason': 'mixed_scripts',
     'when': dq_any(identifying_columns, "{col} ~ " ~ mixed_script_pattern()),
     'value': dq_evidence(identifying_columns, "{col} ~ " ~ mixed_script_pattern())},
    {'reason': 'unknown_user_reference',
     'when': 'current_owner_id is not null and not owner_exists',
     'value': 'current_owner_id'},
    {'reason': 'non_vehicle_lot', 'when': "lot_category = 'non_vehicle'", 'value': 'make'},
    {'reason': 'motorcycle_lot', 'when': "lot_category = 'motorcycle'", 'value': "make || ' ' || model"},
] %}

with

source as (
    select * from {{ source('marketplace', 'vehicles') }}
),

latest_delivery as (
    {{ keep_latest_delivery('source', 'id', ['updated_at']) }}
),

make_aliases as (
    select * from {{ ref('make_aliases') }}
),

transmission_families as (
    select * from {{ ref('transmission_families') }}
),

normalized as (
    {#- Seed look-ups: which canonical make and lot category, which transmission family. #}
    select
        latest_delivery.*,
        {{ null_if_placeholder(latinize_lookalikes(clean_text('make'))) }} as make_cleaned,
        coalesce(
            make_aliases.make_name,
            initcap({{ null_if_placeholder(latinize_lookalikes(clean_text('make'))) }})
        ) as make_name,
        case
            when make_aliases.lot_category = 'non_vehicle' then 'non_vehicle'
            when make_aliases.lot_category = 'motorcycle' or latest_delivery.body_style ~* 'motorcycle|motorbike'
                then 'motorcycle'
            else 'car'
        end as lot_category,
        (
            select transmission_families.transmission_family
            from transmission_families
            where lower(latest_delivery.transmission) ~ transmission_families.pattern
            order by transmission_families.priority
            limit 1
        ) as transmission_family,
        exists(
            select 1 from {{ source('marketplace', 'users') }} as users
            where users.id = latest_delivery.current_owner_id
        ) as owner_exists
    from latest_delivery
    left join make_aliases
        on make_aliases.make_key = regexp_replace(
            lower({{ latinize_lookalikes(clean_text('latest_delivery.make')) }}), '[^a-z0-9]', '', 'g'
        )
),

checked as (
    select
        normalized.*,
        {{ dq_issue_columns(checks) }}
    from normalized
    {#- offset 0 keeps this step a plan node of its own: otherwise PostgreSQL copies the dq_issues
        expression into every later reference and evaluates each rule several times per row. #}
    offset 0  -- noqa: AM09
),

renamed as (
    select
        id as vehicle_id,
        {{ null_if_placeholder(clean_text('vin')) }} as vin,
        case when not 'invalid_year' = any(dq_issues) then year end as model_year,
        make_name as make,
        {{ null_if_placeholder(latinize_lookalikes(clean_text('model'))) }} as model,
        {{ null_if_placeholder(clean_text('"trim"')) }} as trim_level,
        {{ null_if_placeholder(latinize_lookalikes(clean_text('color'))) }} as color,
        {{ null_if_placeholder(clean_text('interior_color')) }} as interior_color,
        case when not 'mileage_out_of_range' = any(dq_issues) then mileage end as mileage,
        {{ null_if_placeholder(clean_text('transmission')) }} as transmission,
        case when not {{ is_placeholder('transmission') }} then transmission_family end as transmission_family,
        substring(lower(transmission) from '([0-9]+) ?-? ?(?:speed|spd|sp)')::integer as gear_count,
        {{ null_if_placeholder(clean_text('engine')) }} as engine,
        {{ null_if_placeholder(clean_text('body_style')) }} as body_style,
        {{ null_if_placeholder(clean_text('drivetrain')) }} as drivetrain,
        case
            when not 'condition_rating_out_of_range' = any(dq_issues) then condition_rating
        end as condition_rating,
        case when owner_exists then current_owner_id end as current_owner_id,
        lot_category,
        created_at,
        updated_at,
        _loaded_at as loaded_at,
        delivery_count,
        dq_issues,
        dq_evidence,
        {{ dq_has_blocking_issue('vehicles') }} as has_blocking_issue
    from checked
)

select * from renamed
