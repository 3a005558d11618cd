{#
    Every delivered state of every vehicle, as a validity interval: the marketplace re-delivers a
    vehicle row (later _loaded_at and updated_at) when its mileage, colour, grade or anything else
    changes, and a listing package must describe the vehicle as it was when the listing started.
    A state is valid from its updated_at (or its _loaded_at when updated_at is missing or later)
    until the next state's. Cleaning, canonical names and every data-quality rule are evaluated per
    state here, once; stg_marketplace__vehicles picks the current state from this model (a reasoned
    exception: see the layout exceptions in _marketplace__docs.md).

    Canonical names (one car, one name across platforms): the make through seeds/make_aliases.csv;
    the model with platform UI text, a taxonomy suffix in parentheses and a repeated make removed,
    then seeds/model_aliases.csv (chassis codes, nicknames) and seeds/canonical_models.csv (spelling).
    The delivered text stays beside it in model_as_delivered.
#}
{% set text_columns = ['vin', 'make', 'model', '"trim"', 'color', 'interior_color', 'transmission', 'engine', 'body_style', 'drivetrain'] %}
{% set optional_columns = ['vin', '"trim"', 'color', 'interior_color', 'transmission', 'engine', 'body_style', 'drivetrain'] %}
{% set identifying_columns = ['make', 'model', 'color'] %}
{#- The make as the platform meant it: cleaned, look-alike letters latinized, page UI text ("Porsche\nWatch") off. #}
{% set make_text = strip_ui_text(latinize_lookalikes(clean_text('states.make'))) %}
{% set checks = [
    {'reason': 'missing_required_value',
     'when': "coalesce(" ~ is_placeholder(clean_text('make')) ~ ", true) or coalesce(" ~ is_placeholder(clean_text('model')) ~ ", true)",
     'value': "'make=' || coalesce(make, '<null>') || '; model=' || coalesce(model, '<null>')"},
    {'reason': 'invalid_year',
     'when': 'year < ' ~ rule_parameter('vehicle_year', 'earliest_model_year') ~ ' or year > extract(year from _loaded_at)::integer + 1',
     'value': 'year'},
    {'reason': 'mileage_out_of_range',
     'when': 'mileage < 0 or mileage > ' ~ rule_parameter('vehicle_mileage', 'max_miles'),
     'value': 'mileage'},
    {'reason': 'condition_rating_out_of_range',
     'when': 'condition_rating < 1 or condition_rating > 5',
     'value': 'condition_rating'},
    {'reason': 'future_timestamp',
     'when': dq_any(['created_at', 'updated_at'], '{col} > _loaded_at'),
     'value': dq_evidence(['created_at', 'updated_at'], '{col} > _loaded_at')},
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
    {'reason': 'non_vehicle_lot', 'when': "lot_category = 'non_vehicle'", 'value': 'lot_rule'},
    {'reason': 'other_vehicle_lot', 'when': "lot_category = 'other_vehicle'", 'value': 'lot_rule'},
    {'reason': 'motorcycle_lot', 'when': "lot_category = 'motorcycle'", 'value': 'lot_rule'},
] %}

{{
    config(
        materialized='incremental',
        unique_key='vehicle_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook=["set local enable_nestloop = off", "{{ empty_if_raw_was_replaced('vehicles', 'vehicle_id', several_rows_per_key=true) }}"],
    )
}}
{#- No nested loops (the pre-hook, local to this model's transaction): every join here is a vehicle state against a
    small seed, on a key computed with regular expressions. At scale 0.4 PostgreSQL chose nested loops, which ran
    those expressions once per state and alias row, and the model took 456 s; with hash and merge joins it took
    27 s, with the same rows (checksum at scale 0.1, where the time did not change: 7.8 against 8.1 s). #}

with

{% if is_incremental() %}
{#- Incremental run (macros/staging/incremental_staging.sql): every state of each vehicle delivered since the
    watermark or whose current owner was; delete+insert by vehicle_id replaces all of a vehicle's states. #}
    watermark as (
        {{ staging_watermark() }}
    ),

    recomputed_ids as (
        {{ ids_loaded_since('vehicles', 'watermark', {'current_owner_id': 'users'}) }}
    ),
{% endif %}

source as (
    select * from {{ source('marketplace', 'vehicles') }}
    {%- if is_incremental() %}
        where id in (select recomputed_ids.id from recomputed_ids)
    {%- else %}
        {#- a row without an id cannot be keyed: stg_marketplace__rows_without_id counts it #}
        where id is not null
    {%- endif %}
),

states as (
    {{ keep_delivered_states(
        'source', 'id',
        'least(coalesce(source.updated_at, source._loaded_at), source._loaded_at)'
    ) }}
),

make_aliases as (
    select * from {{ ref('make_aliases') }}
),

model_aliases as (
    select * from {{ ref('model_aliases') }}
),

canonical_models as (
    select
        make_name,
        model_name,
        regexp_replace(lower(model_name), '[^a-z0-9]', '', 'g') as model_key
    from {{ ref('canonical_models') }}
),

transmission_families as (
    select * from {{ ref('transmission_families') }}
),

made as (
    {#- Seed look-ups: the canonical make and its lot category, the transmission family. #}
    select
        states.*,
        coalesce(
            make_aliases.make_name,
            initcap({{ null_if_placeholder(make_text) }})
        ) as make_name,
        coalesce(make_aliases.lot_category, 'car') as make_lot_category,
        (
            select transmission_families.transmission_family
            from transmission_families
            where lower(states.transmission) ~ transmission_families.pattern
            order by transmission_families.priority
            limit 1
        ) as transmission_family,
        exists(
            select 1 from {{ source('marketplace', 'users') }} as users
            where users.id = states.current_owner_id
        ) as owner_exists,
        {#- Platform UI text comes off the model text first (as off the make: make_text above). #}
        {{ strip_ui_text(null_if_placeholder(latinize_lookalikes(clean_text('states.model')))) }} as model_without_ui_text
    from states
    left join make_aliases
        on make_aliases.make_key = regexp_replace(
            lower({{ make_text }}), '[^a-z0-9]', '', 'g'
        )
    {#- Sorted and fenced: PostgreSQL keeps only 32 compiled regular expressions per backend, and this model
        uses about 60 (cleaning, name patterns, aliases, lot keywords). Pipelined row by row, every row
        recompiled most of them (3 ms a vehicle); a sort at each stage runs that stage's few patterns over
        all rows before the next stage starts. #}
    order by states.id, states.valid_from
    offset 0  -- noqa: AM09
),

split_taxonomy as (
    {#- A taxonomy suffix in parentheses is the generation ("Camaro (6th Generation - 2016-2024)"). #}
    select
        made.*,
        regexp_replace(
            coalesce((regexp_match(made.model_without_ui_text, {{ name_pattern('model_taxonomy') }}))[1], made.model_without_ui_text),
            '\s+', ' ', 'g'
        ) as model_base,
        nullif(btrim(regexp_replace(
            (regexp_match(made.model_without_ui_text, {{ name_pattern('model_taxonomy') }}))[2],
            {{ name_pattern('generation_years') }}, '', 'i'
        )), '') as taxonomy_generation
    from made
),

tokenized as (
    select
        split_taxonomy.*,
        regexp_match(split_taxonomy.model_base, '^(\S+) (\S+)(?: (.+))?$') as model_tokens
    from split_taxonomy
),

make_spellings as (
    {#- Every way a make may be written inside a model: its aliases and its own canonical name. #}
    select
        make_aliases.make_name,
        make_aliases.make_key
    from make_aliases
    union
    select
        make_aliases.make_name,
        regexp_replace(lower(make_aliases.make_name), '[^a-z0-9]', '', 'g') as make_key
    from make_aliases
),

unprefixed as (
    {#- A model that repeats its make ("BMW E46 M3", "Mercedes Benz 280SL") loses the repetition. #}
    select
        tokenized.*,
        case
            when
                two_word_make.make_key is not null
                or (
                    tokenized.model_tokens[3] is not null
                    and regexp_replace(lower(tokenized.model_tokens[1] || tokenized.model_tokens[2]), '[^a-z0-9]', '', 'g')
                    = regexp_replace(lower(tokenized.make_name), '[^a-z0-9]', '', 'g')
                )
                then tokenized.model_tokens[3]
            when
                one_word_make.make_key is not null
                or regexp_replace(lower(tokenized.model_tokens[1]), '[^a-z0-9]', '', 'g')
                = regexp_replace(lower(tokenized.make_name), '[^a-z0-9]', '', 'g')
                then substring(tokenized.model_base from position(' ' in tokenized.model_base) + 1)
            else tokenized.model_base
        end as model_unprefixed
    from tokenized
    left join make_spellings as two_word_make
        on
            tokenized.make_name = two_word_make.make_name
            and tokenized.model_tokens[3] is not null
            and regexp_replace(lower(tokenized.model_tokens[1] || tokenized.model_tokens[2]), '[^a-z0-9]', '', 'g')
            = two_word_make.make_key
    left join make_spellings as one_word_make
        on
            tokenized.make_name = one_word_make.make_name
            and regexp_replace(lower(tokenized.model_tokens[1]), '[^a-z0-9]', '', 'g') = one_word_make.make_key
    order by tokenized.id, tokenized.valid_from  -- a stage of its own (see made)
    offset 0  -- noqa: AM09
),

aliased as (
    select
        unprefixed.*,
        coalesce(
            model_alias.alias_id,
            case
                when code_prefixed.model_name is not null and code_prefixed.generation_code is null
                    then 'trim_badge_prefix'
                when code_prefixed.model_name is not null then 'generation_code_prefix'
            end
        ) as alias_id,
        case
            when model_alias.alias_id is not null
                then btrim(regexp_replace(
                    regexp_replace(unprefixed.model_unprefixed, model_alias.pattern, model_alias.model_template, 'i'),
                    '\s+', ' ', 'g'
                ))
            when code_prefixed.model_name is not null then code_prefixed.model_name
            else unprefixed.model_unprefixed
        end as model_text,
        coalesce(
            nullif(btrim(regexp_replace(
                unprefixed.model_unprefixed, model_alias.pattern, coalesce(model_alias.generation_template, ''), 'i'
            )), ''),
            code_prefixed.generation_code,
            unprefixed.taxonomy_generation
        ) as generation_text
    from unprefixed
    left join lateral (
        select model_aliases.*
        from model_aliases
        where
            model_aliases.make_name = unprefixed.make_name
            and unprefixed.model_unprefixed ~* model_aliases.pattern
        order by model_aliases.priority, model_aliases.alias_id
        limit 1
    ) as model_alias on true
    left join lateral (
        {#- Without an alias: a code before a model of the make's catalogue ("Mk6 Golf GTI") is the
            generation, unless the whole text is itself a catalogue model; a trim badge in that place
            ("SS Camaro") comes off the model without naming a generation. #}
        select
            canonical_models.model_name,
            case
                when split_part(unprefixed.model_unprefixed, ' ', 1) !~* {{ name_pattern('trim_badge_prefix') }}
                    then split_part(unprefixed.model_unprefixed, ' ', 1)
            end as generation_code
        from canonical_models
        where
            model_alias.alias_id is null
            and canonical_models.make_name = unprefixed.make_name
            and split_part(unprefixed.model_unprefixed, ' ', 1) ~* {{ name_pattern('generation_code_prefix') }}
            and canonical_models.model_key = regexp_replace(
                lower(substring(unprefixed.model_unprefixed from position(' ' in unprefixed.model_unprefixed) + 1)),
                '[^a-z0-9]', '', 'g'
            )
            and position(' ' in unprefixed.model_unprefixed) > 0
            and not exists (
                select 1 from canonical_models as whole
                where
                    whole.make_name = unprefixed.make_name
                    and whole.model_key = regexp_replace(lower(unprefixed.model_unprefixed), '[^a-z0-9]', '', 'g')
            )
        order by canonical_models.model_name
        limit 1
    ) as code_prefixed on true
    order by unprefixed.id, unprefixed.valid_from  -- a stage of its own (see made)
    offset 0  -- noqa: AM09
),

named as (
    select
        aliased.*,
        regexp_replace(lower(aliased.model_text), '[^a-z0-9]', '', 'g') as model_key,
        coalesce(
            canonical_models.model_name,
            case
                when aliased.model_text ~ '[a-z]' and aliased.model_text ~ '[A-Z]' then aliased.model_text
                else (
                    {#- All one case: title case, with tokens that hold a digit in capitals (GT350, E46). #}
                    select
                        string_agg(
                            case when token.word ~ '[0-9]' then upper(token.word) else initcap(token.word) end,
                            ' ' order by token.position
                        )
                    from regexp_split_to_table(aliased.model_text, ' ') with ordinality as token (word, position)
                )
            end
        ) as model_name,
        case
            when aliased.generation_text ~ ' ' then aliased.generation_text
            else upper(aliased.generation_text)
        end as generation_name,
        {#- The texts the lot keywords are matched against, cleaned here, in this stage. #}
        lower(concat_ws(' ', aliased.model_text, {{ null_if_placeholder(clean_text('aliased."trim"')) }})) as lot_text,
        lower({{ null_if_placeholder(clean_text('aliased.body_style')) }}) as lot_body_style
    from aliased
    left join canonical_models
        on
            aliased.make_name = canonical_models.make_name
            and regexp_replace(lower(aliased.model_text), '[^a-z0-9]', '', 'g') = canonical_models.model_key
    order by aliased.id, aliased.valid_from  -- a stage of its own (see made)
    offset 0  -- noqa: AM09
),

classified as (
    {#- What the lot is, from the vehicle's own fields (the listing title adds evidence later, in
        int_listings_enriched): a keyword of seeds/lot_keywords.csv or the make's category. #}
    select
        named.*,
        {{ lot_category_from('named.make_lot_category', 'lot_match.lot_category') }} as lot_category,
        coalesce(lot_match.keyword_id, 'make:' || coalesce(named.make_name, '<none>')) as lot_rule
    from named
    {{ lot_keyword_match(
        make_name='named.make_name',
        title_head="lower(named.model_text)",
        lot_text='named.lot_text',
        body_style='named.lot_body_style',
        weak_evidence="named.year is null"
    ) }}
),

checked as (
    select
        classified.*,
        {{ dq_issue_columns(checks) }}
    from classified
    {#- offset 0 keeps this step a plan node of its own: otherwise PostgreSQL copies the dq_issues
        expression into every later reference and evaluates each rule several times per row. #}
    offset 0  -- noqa: AM09
),

renamed as (
    select
        id as vehicle_id,
        valid_from,
        valid_to,
        is_current_delivery,
        {{ null_if_placeholder(clean_text('vin')) }} as vin,
        case when not 'invalid_year' = any(dq_issues) then year end as model_year,
        make_name as make,
        model_name as model,
        model_key,
        generation_name as model_generation,
        alias_id as model_alias_id,
        {{ null_if_placeholder(latinize_lookalikes(clean_text('model'))) }} as model_as_delivered,
        {#- Platform UI text comes off every descriptive field, as off the model. #}
        {{ null_if_placeholder(strip_ui_text(clean_text('"trim"'))) }} as trim_level,
        {{ null_if_placeholder(strip_ui_text(latinize_lookalikes(clean_text('color')))) }} as color,
        {{ null_if_placeholder(strip_ui_text(clean_text('interior_color'))) }} as interior_color,
        case when not 'mileage_out_of_range' = any(dq_issues) then mileage end as mileage,
        {{ null_if_placeholder(strip_ui_text(clean_text('transmission'))) }} as transmission,
        case when not {{ is_placeholder('transmission') }} then transmission_family end as transmission_family,
        substring(lower(transmission) from '([0-9]+) ?-? ?(?:speed|spd|sp)')::integer as gear_count,
        {{ null_if_placeholder(strip_ui_text(clean_text('engine'))) }} as engine,
        {{ null_if_placeholder(strip_ui_text(clean_text('body_style'))) }} as body_style,
        {{ null_if_placeholder(strip_ui_text(clean_text('drivetrain'))) }} as drivetrain,
        case
            when not 'condition_rating_out_of_range' = any(dq_issues) then condition_rating
        end as condition_rating,
        case when owner_exists then current_owner_id end as current_owner_id,
        lot_category,
        lot_rule,
        case when not 'future_timestamp' = any(dq_issues) then created_at end as created_at,
        case when not 'future_timestamp' = any(dq_issues) then updated_at end as updated_at,
        _loaded_at as first_loaded_at,
        state_loaded_at as loaded_at,
        delivery_count,
        state_count,
        dq_issues,
        {{ dq_evidence_column(checks) }},
        {{ dq_has_blocking_issue('vehicles') }} as has_blocking_issue
    from checked
)

select * from renamed
