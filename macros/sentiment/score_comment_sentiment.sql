{#
    VADER-style sentiment of free text, scored set-based in SQL (rule version: var sentiment_rule_version).

    score_comment_sentiment(relation, id_column='comment_id', text_column='body', passthrough_columns=none,
    parallel_branches=2) returns one row per row of `relation` (a relation or a `not materialized` CTE:
    every branch reads it): id_column, the passthrough columns, sentiment_compound, sentiment_positive,
    sentiment_neutral, sentiment_negative (double precision) and sentiment_token_count (integer).
    id_column must be unique. Empty or null text scores compound 0, neutral 1.

    It follows vaderSentiment 3.3.2's rules over the vader_* seeds (scripts/build_vader_seeds.py), simplified
    for speed (no special-case idioms, no multi-word boosters, ...): the rules, every simplification, the
    changelog and why the query has this shape (parallel branches, `offset null`, the caller's planner
    settings) are in docs/sentiment_scorer.md; the agreement with vaderSentiment and the speed are measured
    in BENCHMARKS.md.
#}
{% macro score_comment_sentiment(relation, id_column='comment_id', text_column='body', passthrough_columns=none, parallel_branches=2) %}
    {%- set passthrough = passthrough_columns or [] -%}
    {#- The trailing punctuation a token may carry and still be looked up (vaderSentiment strips any leading
        and trailing punctuation, unless that leaves two characters or fewer). -#}
    {%- set token_suffixes = ["", ".", ",", "!", "!!", "!!!", "!!!!", "!!!!!", "!!!!!!", "?", "??", "???", "????", "?????", ":", ";", "...", ")", "?!", "!?"] -%}
    {%- set suffix_characters = [".", ",", "!", "?", ":", ";", ")"] -%}
    {%- set modifier_suffix_array = "array['', ',', '.', '!', '?']" -%}
    {%- set token_suffix_array -%}
        array[{% for suffix in token_suffixes %}'{{ suffix }}'{{ ", " if not loop.last }}{% endfor %}]
    {%- endset -%}
    {#- Rule constants of vaderSentiment 3.3.2, as double precision so no row converts numerics. -#}
    {%- set negation_scalar = 'cast(-0.74 as double precision)' -%}
    {%- set all_caps_increment = 'cast(0.733 as double precision)' -%}
    {%- set damping = {1: 'cast(1 as double precision)', 2: 'cast(0.95 as double precision)', 3: 'cast(0.9 as double precision)'} -%}
    {#- The branches split the int4 range of hashtext(id) into equal parts, on any id type (a null id goes
        with 0). -#}
    {%- set branch_hash = 'coalesce(hashtext(cast(scored_rows.' ~ id_column ~ ' as text)), 0)' -%}
    {%- set branch_width = 4294967296 // parallel_branches -%}
with

sentiment_scoring_tokens as not materialized (
    -- the tokens that score, with the trailing punctuation they may carry: lexicon words (booster words
    -- score 0, so they are left out) and emoji, whose valence is the plain sum of their description's
    -- lexicon words; plus the empty token that ends every text
    -- (distinct on the looked-up token, so that the planner knows it is unique and estimates the joins
    -- right; a punctuated form that is itself an entry gives way to it)
    select distinct on ((expanded_words.token || expanded_words.suffix) collate "C")
        (expanded_words.token || expanded_words.suffix) collate "C" as lookup_token,
        expanded_words.is_word,
        -- the form an ALL-CAPS occurrence has in the original text
        expanded_words.caps_token || expanded_words.suffix as caps_form,
        expanded_words.valence,
        expanded_words.emoji_positive,
        expanded_words.emoji_negative,
        expanded_words.emoji_scored_words,
        expanded_words.extra_tokens
    from (
        select
            scoring_words.*,
            unnest(scoring_words.suffixes) as suffix
        from (
            -- one row per token: full joins, not UNION ALL (see the header)
            select
                coalesce(lexicon_words.token, emoji_scores.emoji, end_marker.token) as token,
                lexicon_words.token is not null as is_word,
                nullif(upper(lexicon_words.token), lexicon_words.token) as caps_token,
                case
                    when lexicon_words.token is not null then lexicon_words.valence else emoji_scores.valence
                end as valence,
                case when lexicon_words.token is null then emoji_scores.emoji_positive end as emoji_positive,
                case when lexicon_words.token is null then emoji_scores.emoji_negative end as emoji_negative,
                case when lexicon_words.token is null then emoji_scores.emoji_scored_words end as emoji_scored_words,
                -- null marks the empty token
                case when lexicon_words.token is not null then 0 else emoji_scores.extra_tokens end as extra_tokens,
                case
                    when
                        lexicon_words.token is not null
                        and char_length(lexicon_words.token) > 2
                        and right(lexicon_words.token, 1) not in (
                            {%- for character in suffix_characters %}'{{ character }}'{{ ", " if not loop.last }}{% endfor -%}
                        )
                        then {{ token_suffix_array }}
                    -- (an emoji also with the same emoji glued after it once or twice: "👍👍" scores as one)
                    when lexicon_words.token is null and emoji_scores.emoji is not null
                        then {{ token_suffix_array }} || array[emoji_scores.emoji, emoji_scores.emoji || emoji_scores.emoji]
                    else array['']
                end as suffixes
            from (
                select
                    lexicon.token,
                    cast(lexicon.valence as double precision) as valence
                from {{ ref('vader_lexicon') }} as lexicon
                where not exists (
                    select boosters.token from {{ ref('vader_boosters') }} as boosters
                    where boosters.token = lexicon.token
                )
            ) as lexicon_words
            full join (
                select
                    emoji.emoji,
                    coalesce(sum(cast(lexicon.valence as double precision)), 0) as valence,
                    coalesce(sum(cast(lexicon.valence as double precision) + 1) filter (where lexicon.valence > 0), 0)
                        as emoji_positive,
                    coalesce(sum(cast(lexicon.valence as double precision) - 1) filter (where lexicon.valence < 0), 0)
                        as emoji_negative,
                    cast(count(*) filter (where lexicon.valence != 0) as integer) as emoji_scored_words,
                    cast(count(*) - 1 as integer) as extra_tokens
                from {{ ref('vader_emoji') }} as emoji
                cross join lateral unnest(string_to_array(lower(emoji.description), ' ')) as description_words (word)
                left join {{ ref('vader_lexicon') }} as lexicon
                    on rtrim(description_words.word, ',.:') = lexicon.token
                group by emoji.emoji
            ) as emoji_scores
                on lexicon_words.token = emoji_scores.emoji
            full join (values ('')) as end_marker (token)
                on coalesce(lexicon_words.token, emoji_scores.emoji) = end_marker.token
            -- (the cast and the cases once per word, not once per punctuated form)
            offset null
        ) as scoring_words
    ) as expanded_words
    order by (expanded_words.token || expanded_words.suffix) collate "C", expanded_words.suffix != ''
),

sentiment_modifiers as not materialized (
    -- the words that change a lexicon word up to three words after them, with the trailing punctuation
    -- they may carry: boosters (their scalar) and negations (x -0.74); a word that is itself in the
    -- lexicon changes nothing, except "no"
    select distinct on ((modifier_words.token || suffixes.suffix) collate "C")
        (modifier_words.token || suffixes.suffix) collate "C" as lookup_token,
        modifier_words.booster_scalar,
        modifier_words.negation_factor
    from (
        select
            coalesce(boosters.token, negation_words.token) as token,
            coalesce(cast(boosters.scalar as double precision), 0) as booster_scalar,
            case when negation_words.token is not null then {{ negation_scalar }} else 1 end as negation_factor
        from {{ ref('vader_boosters') }} as boosters
        full join (
            -- "no" is a lexicon word, but negates the words after it too
            select coalesce(negations.token, no_word.token) as token
            from {{ ref('vader_negations') }} as negations
            full join (values ('no')) as no_word (token)
                on negations.token = no_word.token
        ) as negation_words
            on boosters.token = negation_words.token
    ) as modifier_words
    cross join unnest({{ modifier_suffix_array }}) as suffixes (suffix)
    -- (the booster and negation seeds share no word with the lexicon, so none is skipped for being one)
    where suffixes.suffix = '' or char_length(modifier_words.token) > 2
    order by (modifier_words.token || suffixes.suffix) collate "C", suffixes.suffix != ''
),
{%- for branch in range(parallel_branches) %}

sentiment_texts_{{ branch }} as (
    select
        scored_rows.{{ id_column }},
        {%- for column in passthrough %}
        scored_rows.{{ column }},
        {%- endfor %}
        scored_rows.{{ text_column }} as scored_text,
        -- the trailing space makes the empty token that ends every text
        lower(coalesce(scored_rows.{{ text_column }}, '')) || ' ' as spaced_lower_text,
        case
            when strpos(scored_rows.{{ text_column }}, '!') > 0
                then
                    octet_length(scored_rows.{{ text_column }})
                    - octet_length(replace(scored_rows.{{ text_column }}, '!', ''))
            else 0
        end as exclamation_marks,
        case
            when strpos(scored_rows.{{ text_column }}, '?') > 0
                then
                    octet_length(scored_rows.{{ text_column }})
                    - octet_length(replace(scored_rows.{{ text_column }}, '?', ''))
            else 0
        end as question_marks
    from {{ relation }} as scored_rows
    {%- if parallel_branches > 1 %}
    where
        {%- if branch > 0 %} {{ branch_hash }} >= {{ -2147483648 + branch * branch_width }}{% endif %}
        {%- if branch > 0 and not loop.last %} and{% endif %}
        {%- if not loop.last %} {{ branch_hash }} < {{ -2147483648 + (branch + 1) * branch_width }}{% endif %}
    {%- endif %}
    offset null
),

sentiment_token_arrays_{{ branch }} as (
    select
        sentiment_texts_{{ branch }}.{{ id_column }},
        {%- for column in passthrough %}
        sentiment_texts_{{ branch }}.{{ column }},
        {%- endfor %}
        sentiment_texts_{{ branch }}.scored_text,
        string_to_array(sentiment_texts_{{ branch }}.spaced_lower_text, ' ') as lower_tokens,
        strpos(sentiment_texts_{{ branch }}.spaced_lower_text, 'but') > 0 as may_have_but,
        -- "!" adds 0.292 each, up to four; "?" adds 0.18 each when there are two or three, 0.96 beyond
        least(sentiment_texts_{{ branch }}.exclamation_marks, 4) * cast(0.292 as double precision)
        + case
            when sentiment_texts_{{ branch }}.question_marks <= 1 then 0
            when sentiment_texts_{{ branch }}.question_marks <= 3
                then sentiment_texts_{{ branch }}.question_marks * cast(0.18 as double precision)
            else cast(0.96 as double precision)
        end as punctuation_amount
    from sentiment_texts_{{ branch }}
    offset null
),

sentiment_tokens_{{ branch }} as (
    select
        sentiment_token_arrays_{{ branch }}.*,
        unnest(sentiment_token_arrays_{{ branch }}.lower_tokens) as lower_token,
        generate_series(1, cardinality(sentiment_token_arrays_{{ branch }}.lower_tokens)) as token_position
    from sentiment_token_arrays_{{ branch }}
),

sentiment_word_scores_{{ branch }} as (
    -- each hit's rule-adjusted valence, as plain arithmetic over looked-up columns
    select
        sentiment_words.{{ id_column }},
        {%- for column in passthrough %}
        sentiment_words.{{ column }},
        {%- endfor %}
        sentiment_words.punctuation_amount,
        -- the empty token at the end counts the tokens before it, any other takes itself back
        coalesce(
            scoring_tokens.extra_tokens,
            case
                when sentiment_words.token_position = cardinality(sentiment_words.lower_tokens)
                    then sentiment_words.token_position - 1
                else -1
            end
        ) as token_count,
        scoring_tokens.emoji_positive,
        scoring_tokens.emoji_negative,
        scoring_tokens.emoji_scored_words,
        case
            when scoring_tokens.emoji_scored_words is not null then scoring_tokens.valence
            when scoring_tokens.is_word then
                (
                    -- the word's valence, 0.733 stronger when it is ALL CAPS in mixed-case text
                    scoring_tokens.valence
                    + sign(scoring_tokens.valence) * (
                        case
                            when
                                -- (strpos first: it finds nothing in most texts, and copies nothing)
                                strpos(sentiment_words.scored_text, scoring_tokens.caps_form) > 0
                                and split_part(sentiment_words.scored_text, ' ', sentiment_words.token_position)
                                = scoring_tokens.caps_form
                                and (
                                    sentiment_words.scored_text != upper(sentiment_words.scored_text)
                                    or octet_length(sentiment_words.scored_text)
                                    != char_length(sentiment_words.scored_text)
                                )
                                then {{ all_caps_increment }}
                            else 0
                        end
                        -- boosters one, two and three words before, damped
                        + coalesce(modifier_1.booster_scalar, 0)
                        + {{ damping[2] }} * coalesce(modifier_2.booster_scalar, 0)
                        + {{ damping[3] }} * coalesce(modifier_3.booster_scalar, 0)
                    )
                )
                -- negations one, two and three words before
                * coalesce(modifier_1.negation_factor, 1)
                * coalesce(modifier_2.negation_factor, 1)
                * coalesce(modifier_3.negation_factor, 1)
                -- x0.5 before the first "but", x1.5 after it
                * case
                    when sentiment_words.may_have_but
                        then
                            case sign(
                                sentiment_words.token_position
                                - array_position(sentiment_words.lower_tokens, 'but')
                            )
                                when -1 then cast(0.5 as double precision)
                                when 1 then cast(1.5 as double precision)
                                else 1
                            end
                    else 1
                end
        end as valence
    from sentiment_tokens_{{ branch }} as sentiment_words
    inner join sentiment_scoring_tokens as scoring_tokens
        on sentiment_words.lower_token = scoring_tokens.lookup_token
    {%- for distance in [1, 2, 3] %}
    left join sentiment_modifiers as modifier_{{ distance }}
        on
            case
                when scoring_tokens.is_word
                    then sentiment_words.lower_tokens[sentiment_words.token_position - {{ distance }}]
            end
            = modifier_{{ distance }}.lookup_token
    {%- endfor %}
    offset null
),

sentiment_sums_{{ branch }} as (
    select
        sentiment_word_scores_{{ branch }}.{{ id_column }},
        -- (the passthrough columns and the punctuation are the same on every row of a text)
        {%- for column in passthrough %}
        max(sentiment_word_scores_{{ branch }}.{{ column }}) as {{ column }},
        {%- endfor %}
        max(sentiment_word_scores_{{ branch }}.punctuation_amount) as punctuation_amount,
        sum(sentiment_word_scores_{{ branch }}.token_count) as token_count,
        coalesce(sum(sentiment_word_scores_{{ branch }}.valence), 0) as valence_sum,
        coalesce(sum(
            case
                when sentiment_word_scores_{{ branch }}.emoji_positive is not null
                    then sentiment_word_scores_{{ branch }}.emoji_positive
                when sentiment_word_scores_{{ branch }}.valence > 0 then sentiment_word_scores_{{ branch }}.valence + 1
            end
        ), 0) as positive_sum,
        coalesce(sum(
            case
                when sentiment_word_scores_{{ branch }}.emoji_negative is not null
                    then sentiment_word_scores_{{ branch }}.emoji_negative
                when sentiment_word_scores_{{ branch }}.valence < 0 then sentiment_word_scores_{{ branch }}.valence - 1
            end
        ), 0) as negative_sum,
        coalesce(sum(
            case
                when sentiment_word_scores_{{ branch }}.emoji_scored_words is not null
                    then sentiment_word_scores_{{ branch }}.emoji_scored_words
                when sentiment_word_scores_{{ branch }}.valence != 0 then 1
            end
        ), 0) as scored_word_count
    from sentiment_word_scores_{{ branch }}
    group by sentiment_word_scores_{{ branch }}.{{ id_column }}
),

sentiment_emphasised_sums_{{ branch }} as (
    -- the punctuation emphasis goes the sum's way, and to the larger of the positive and negative sides
    select
        sentiment_sums_{{ branch }}.{{ id_column }},
        {%- for column in passthrough %}
        sentiment_sums_{{ branch }}.{{ column }},
        {%- endfor %}
        sentiment_sums_{{ branch }}.token_count,
        sentiment_sums_{{ branch }}.valence_sum
        + sign(sentiment_sums_{{ branch }}.valence_sum) * sentiment_sums_{{ branch }}.punctuation_amount
            as valence_sum,
        sentiment_sums_{{ branch }}.positive_sum
        + case
            when sentiment_sums_{{ branch }}.positive_sum > -sentiment_sums_{{ branch }}.negative_sum
                then sentiment_sums_{{ branch }}.punctuation_amount
            else 0
        end as positive_sum,
        sentiment_sums_{{ branch }}.negative_sum
        - case
            when sentiment_sums_{{ branch }}.positive_sum < -sentiment_sums_{{ branch }}.negative_sum
                then sentiment_sums_{{ branch }}.punctuation_amount
            else 0
        end as negative_sum,
        sentiment_sums_{{ branch }}.token_count - sentiment_sums_{{ branch }}.scored_word_count as neutral_count
    from sentiment_sums_{{ branch }}
    -- (each sum once, not once per use below)
    offset null
),

sentiment_scored_{{ branch }} as (
    select
        sentiment_emphasised_sums_{{ branch }}.{{ id_column }},
        {%- for column in passthrough %}
        sentiment_emphasised_sums_{{ branch }}.{{ column }},
        {%- endfor %}
        case
            when sentiment_emphasised_sums_{{ branch }}.token_count = 0 then 0
            -- "+ 0" turns a rounded -0 into 0
            else round(
                sentiment_emphasised_sums_{{ branch }}.valence_sum
                / sqrt(
                    sentiment_emphasised_sums_{{ branch }}.valence_sum * sentiment_emphasised_sums_{{ branch }}.valence_sum
                    + 15
                )
                * 10000
            ) / 10000 + 0
        end as sentiment_compound,
        {#- each share of the sum of positive, |negative| and neutral weight, rounded like vaderSentiment #}
        {%- set sums = 'sentiment_emphasised_sums_' ~ branch -%}
        {%- set shares = [
            ('sentiment_positive', 'positive_sum', 0, false),
            ('sentiment_neutral', 'neutral_count', 1, false),
            ('sentiment_negative', 'negative_sum', 0, true),
        ] -%}
        {%- for alias, numerator, empty_value, absolute in shares %}
        case
            when {{ sums }}.token_count = 0 then {{ empty_value }}
            else {{ 'abs(' if absolute }}round(
                {{ sums }}.{{ numerator }}
                / ({{ sums }}.positive_sum - {{ sums }}.negative_sum + {{ sums }}.neutral_count)
                * 1000
            ) / 1000{{ ')' if absolute }}
        end as {{ alias }},
        {%- endfor %}
        cast(sentiment_emphasised_sums_{{ branch }}.token_count as integer) as sentiment_token_count
    from sentiment_emphasised_sums_{{ branch }}
){{ "," if not loop.last }}
{%- endfor %}

{% for branch in range(parallel_branches) %}
select
    sentiment_scored_{{ branch }}.{{ id_column }},
    {%- for column in passthrough %}
    sentiment_scored_{{ branch }}.{{ column }},
    {%- endfor %}
    sentiment_scored_{{ branch }}.sentiment_compound,
    sentiment_scored_{{ branch }}.sentiment_positive,
    sentiment_scored_{{ branch }}.sentiment_neutral,
    sentiment_scored_{{ branch }}.sentiment_negative,
    sentiment_scored_{{ branch }}.sentiment_token_count
from sentiment_scored_{{ branch }}
{{ "union all" if not loop.last }}
{% endfor %}
{% endmacro %}
