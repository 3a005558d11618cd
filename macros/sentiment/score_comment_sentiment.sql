{#
    VADER-style sentiment of free text, scored set-based in SQL.

    score_comment_sentiment(relation, id_column='comment_id', text_column='body', passthrough_columns=none)
    returns a select with one row per row of `relation` (a relation or a CTE name): id_column, any
    passthrough columns, sentiment_compound, sentiment_positive, sentiment_neutral, sentiment_negative
    (double precision) and sentiment_token_count (integer).

    It follows the rules of vaderSentiment 3.3.2 (Hutto & Gilbert, 2014) over the lexicon, booster,
    negation, special-case and emoji seeds that scripts/build_vader_seeds.py writes from that package:
      * emoji become their descriptions; the text splits on white space and each token loses its
        leading and trailing punctuation unless that leaves two characters or fewer (emoticons);
      * booster words, and "kind" in "kind of", score 0; other words score their lexicon valence;
      * "no" one or two words before a lexicon word, or three before with "or"/"nor" right before it,
        negates it (x -0.74); "no" right before a lexicon word scores 0 itself;
      * an ALL-CAPS lexicon word in mixed-case text gains 0.733 in its direction;
      * each of the three preceding words that is not itself in the lexicon then modifies the
        valence, nearest first: a booster adds +/-0.293 in the current direction (0.733 more when it
        is ALL CAPS in mixed-case text), damped x0.95 at distance two and x0.9 at three; a negation
        word multiplies by -0.74, except "never so/this" (x1.25) and "without doubt" (unchanged);
        at distance three "so"/"this" right before the word also gives x1.25;
      * with a third non-lexicon word before it, a special-case idiom around the word ("the bomb",
        "yeah right", "kiss of death", ...) replaces the valence, and "kind of" / "sort of" /
        "just enough" before it add their (dampening) booster scalar;
      * "least" right before a word negates it, unless it reads "at least" or "very least";
      * words before the first "but" count x0.5, words after it x1.5;
      * the sum gains 0.292 per "!" (at most four) and, with two or three "?", 0.18 each (0.96 for
        more), in its own direction; compound = s / sqrt(s^2 + 15);
      * positive / negative / neutral are the shares of sum(valence + 1), sum(valence - 1) and the
        count of neutral words, the punctuation emphasis going to the larger side.
    Outputs are rounded like vaderSentiment's: compound to 4 decimals, shares to 3 (in floating
    point, half to even, so a value on an exact tie can differ from vaderSentiment's by one unit
    in the last decimal).

    Text without any token (null, empty or only white space) scores compound 0, neutral 1, positive 0,
    negative 0 and token count 0, so the three shares always sum to 1 (vaderSentiment itself returns 0
    for all four on an empty string and raises on None).

    Known departures: vaderSentiment's "but" rule finds list positions by value, so a word whose score
    equals an earlier word's can be weighted at the wrong position; here each word is weighted at its
    own position. lower()/upper() (lexicon look-up, ALL-CAPS test) follow the database's ctype rather
    than Python's for non-ASCII letters.

    Shape, for speed: a lateral subquery per row splits its text, looks every token up in an in-memory
    jsonb map built once per query, reads neighbouring words with window functions ordered by
    position inside that row, runs the modifier rules only for the lexicon words (plus one row that
    carries the token count) and aggregates back to one row. Nothing is sorted or hashed across rows,
    so the cost grows linearly with the row count. PostgreSQL 15 never runs a lateral subquery with
    outer references in parallel workers, so this scores in one process.
    `offset 0` marks a step that must stay a plan node of its own: inlined, every reference to its
    output would copy and re-evaluate its whole expression (string functions, look-ups, rules).
    Callers should `set local enable_memoize = off`: a memoize cache keyed on the text only adds work.
#}
{% macro score_comment_sentiment(relation, id_column='comment_id', text_column='body', passthrough_columns=none) %}
    {#- Python's str.split() white space beyond the space: ASCII control white space, then Unicode. -#}
    {%- set ascii_white_space = ['\\t', '\\n', '\\u000b', '\\f', '\\r', '\\u001c', '\\u001d', '\\u001e', '\\u001f'] -%}
    {%- set unicode_white_space = "E'\\u0085\\u00a0\\u1680\\u2000\\u2001\\u2002\\u2003\\u2004\\u2005\\u2006\\u2007\\u2008\\u2009\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000'" -%}
    {%- set unicode_white_space_as_spaces = "'" ~ (' ' * 19) ~ "'" -%}
    {#- replace(...replace(<text>, E'\t', ' ')..., E'\u001f', ' '): cheaper than translate() for the
        common ASCII text. -#}
    {%- set replace_ascii_white_space_open = 'replace(' * (ascii_white_space | length) -%}
    {%- set replace_ascii_white_space_close -%}
        {%- for character in ascii_white_space %}, E'{{ character }}', ' '){% endfor -%}
    {%- endset -%}
    {#- Every single-code-point emoji of the emoji seed lies in these ranges (the seed script checks
        it); a text without such a character skips the per-character emoji pass. -#}
    {%- set emoji_class = "[\\u00a9\\u00ae\\u203c-\\u3299\\U0001f000-\\U0001faff]" -%}
    {#- Python's string.punctuation, stripped from both ends of a token. -#}
    {%- set punctuation = "'!\"#$%&''()*+,-./:;<=>?@[\\]^_`{|}~'" -%}
    {#- Rule constants of vaderSentiment 3.3.2, as double precision so no row converts numerics. -#}
    {%- set negation_scalar = 'cast(-0.74 as double precision)' -%}
    {%- set all_caps_increment = 'cast(0.733 as double precision)' -%}
    {%- set never_so_scalar = 'cast(1.25 as double precision)' -%}
    {%- set damping = {1: 'cast(1 as double precision)', 2: 'cast(0.95 as double precision)', 3: 'cast(0.9 as double precision)'} -%}
    {%- set damping_label = {1: '1', 2: '0.95', 3: '0.9'} -%}
select
    scored_rows.{{ id_column }},
    {%- for column in passthrough_columns or [] %}
    scored_rows.{{ column }},
    {%- endfor %}
    comment_scores.sentiment_compound,
    comment_scores.sentiment_positive,
    comment_scores.sentiment_neutral,
    comment_scores.sentiment_negative,
    comment_scores.sentiment_token_count
from {{ relation }} as scored_rows
cross join lateral (
    -- the text as vaderSentiment splits it: emoji described, every white space a plain space
    select prepared_text.scored_text
    from (
        select
            case
                when octet_length(scored_rows.{{ text_column }}) = char_length(scored_rows.{{ text_column }})
                    then {{ replace_ascii_white_space_open }}scored_rows.{{ text_column }}{{ replace_ascii_white_space_close }}
                when scored_rows.{{ text_column }} !~ '{{ emoji_class }}'
                    then translate(
                        {{ replace_ascii_white_space_open }}scored_rows.{{ text_column }}{{ replace_ascii_white_space_close }},
                        {{ unicode_white_space }}, {{ unicode_white_space_as_spaces }}
                    )
                else (
                    -- vaderSentiment puts a space before each emoji's description, none after it
                    select
                        translate(
                            {{ replace_ascii_white_space_open }}string_agg(
                                coalesce(' ' || emoji.description, text_pieces.text_piece), ''
                                order by text_pieces.piece_position
                            ){{ replace_ascii_white_space_close }},
                            {{ unicode_white_space }}, {{ unicode_white_space_as_spaces }}
                        )
                    from regexp_split_to_table(
                        scored_rows.{{ text_column }}, '(?={{ emoji_class }})|(?<={{ emoji_class }})'
                    ) with ordinality as text_pieces (text_piece, piece_position)
                    left join {{ ref('vader_emoji') }} as emoji
                        on text_pieces.text_piece = emoji.emoji
                )
            end as scored_text
    ) as prepared_text
    offset 0  -- noqa: AM09
) as described
cross join lateral (
    select
        punctuation_marks.exclamation_count,
        punctuation_marks.question_mark_count
    from (
        select
            octet_length(described.scored_text)
            - octet_length(replace(described.scored_text, '!', '')) as exclamation_count,
            octet_length(described.scored_text)
            - octet_length(replace(described.scored_text, '?', '')) as question_mark_count
    ) as punctuation_marks
    offset 0  -- noqa: AM09
) as punctuation
cross join lateral (
    with

    split_words as (
        select
            split_text.token_position,
            split_text.token,
            btrim(split_text.token, {{ punctuation }}) as stripped_token
        from string_to_table(described.scored_text, ' ') with ordinality as split_text (token, token_position)
        where split_text.token != ''
        offset 0  -- noqa: AM09
    ),

    words as (
        -- a token keeps its punctuation when stripping it would leave two characters or fewer (":)")
        select
            split_words.token_position,
            case
                when char_length(split_words.stripped_token) <= 2 then split_words.token
                else split_words.stripped_token
            end as word,
            lower(
                case
                    when char_length(split_words.stripped_token) <= 2 then split_words.token
                    else split_words.stripped_token
                end
            ) as word_lower
        from split_words
        offset 0  -- noqa: AM09
    ),

    words_looked_up as (
        select
            words.token_position,
            words.word_lower,
            words.word != words.word_lower and words.word = upper(words.word) as is_all_caps,
            (
                -- every token the rules look up, as one jsonb object token -> [valence, booster scalar,
                -- is negation]: built once per query (an initplan), then an in-memory binary search
                -- per token, with no join for the planner to cost per row
                select
                    jsonb_object_agg(
                        coalesce(lexicon.token, boosters.token, negations.token),
                        jsonb_build_array(lexicon.valence, boosters.scalar, negations.token is not null)
                    )
                from {{ ref('vader_lexicon') }} as lexicon
                full outer join {{ ref('vader_boosters') }} as boosters
                    on lexicon.token = boosters.token
                full outer join {{ ref('vader_negations') }} as negations
                    on coalesce(lexicon.token, boosters.token) = negations.token
            ) -> words.word_lower as term
        from words
        offset 0  -- noqa: AM09
    ),

    tokens as (
        select
            words_looked_up.token_position,
            words_looked_up.word_lower,
            words_looked_up.is_all_caps,
            (words_looked_up.term ->> 0)::double precision as valence,
            (words_looked_up.term ->> 1)::double precision as booster_scalar,
            coalesce((words_looked_up.term -> 2)::boolean, false)
            or strpos(words_looked_up.word_lower, 'n''t') > 0 as is_negation
        from words_looked_up
        offset 0  -- noqa: AM09
    ),

    word_context as (
        select
            tokens.token_position,
            tokens.word_lower,
            tokens.is_all_caps,
            tokens.valence,
            tokens.booster_scalar,
            lead(tokens.word_lower, 1) over by_position as next_1_word,
            lead(tokens.word_lower, 2) over by_position as next_2_word,
            lead(tokens.valence is not null) over by_position as next_1_in_lexicon,
            {% for distance in [1, 2, 3] -%}
            lag(tokens.word_lower, {{ distance }}) over by_position as previous_{{ distance }}_word,
            lag(tokens.valence is not null, {{ distance }}) over by_position as previous_{{ distance }}_in_lexicon,
            lag(tokens.booster_scalar, {{ distance }}) over by_position as previous_{{ distance }}_booster,
            lag(tokens.is_all_caps, {{ distance }}) over by_position as previous_{{ distance }}_is_all_caps,
            lag(tokens.is_negation, {{ distance }}) over by_position as previous_{{ distance }}_is_negation,
            {% endfor -%}
            count(*) over () as token_count,
            count(*) filter (where tokens.is_all_caps) over () as all_caps_count,
            min(tokens.token_position) filter (where tokens.word_lower = 'but') over () as first_but_position
        from tokens
        window by_position as (order by tokens.token_position)
    ),

    lexicon_words as (
        -- only lexicon words go through the rules; the first token comes along (scoring 0 unless it
        -- is a lexicon word) to carry the token count of texts without any
        select
            word_context.*,
            word_context.valence is not null
            and word_context.booster_scalar is null
            and not (word_context.word_lower = 'kind' and word_context.next_1_word is not distinct from 'of')
            as is_scored,
            word_context.all_caps_count > 0
            and word_context.all_caps_count < word_context.token_count as is_caps_differential
        from word_context
        where
            word_context.previous_1_word is null
            or (
                word_context.valence is not null
                and word_context.booster_scalar is null
                and not (word_context.word_lower = 'kind' and word_context.next_1_word is not distinct from 'of')
            )
        offset 0  -- noqa: AM09
    ),

    own_valence as (
        -- the word's own valence ("no" rules, ALL-CAPS emphasis) and what each of the three words
        -- before it will do: whether it applies (it is not itself a lexicon word), its booster scalar
        -- and ALL-CAPS extra, and its factor (negation, "never so", "without doubt")
        select
            lexicon_words.token_position,
            lexicon_words.token_count,
            lexicon_words.first_but_position,
            lexicon_words.previous_1_word,
            lexicon_words.previous_1_in_lexicon,
            lexicon_words.previous_2_word,
            {% for distance in [1, 2, 3] -%}
            lexicon_words.is_scored
            and not lexicon_words.previous_{{ distance }}_in_lexicon as word_{{ distance }}_before_applies,
            coalesce(lexicon_words.previous_{{ distance }}_booster, 0) as word_{{ distance }}_before_booster,
            case
                when
                    lexicon_words.previous_{{ distance }}_booster is not null
                    and lexicon_words.previous_{{ distance }}_is_all_caps
                    and lexicon_words.is_caps_differential
                    then {{ all_caps_increment }}
                else 0
            end as word_{{ distance }}_before_caps_booster,
            {% endfor -%}
            case
                when lexicon_words.previous_1_is_negation then {{ negation_scalar }}
                else 1
            end as word_1_before_factor,
            case
                when lexicon_words.previous_2_word = 'never' and lexicon_words.previous_1_word in ('so', 'this')
                    then {{ never_so_scalar }}
                when lexicon_words.previous_2_word = 'without' and lexicon_words.previous_1_word = 'doubt' then 1
                when lexicon_words.previous_2_is_negation then {{ negation_scalar }}
                else 1
            end as word_2_before_factor,
            case
                when
                    (lexicon_words.previous_3_word = 'never' and lexicon_words.previous_2_word in ('so', 'this'))
                    or lexicon_words.previous_1_word in ('so', 'this')
                    then {{ never_so_scalar }}
                when
                    lexicon_words.previous_3_word = 'without'
                    and (lexicon_words.previous_2_word = 'doubt' or lexicon_words.previous_1_word = 'doubt')
                    then 1
                when lexicon_words.previous_3_is_negation then {{ negation_scalar }}
                else 1
            end as word_3_before_factor,
            -- special-case idioms: the last match wins among the word with the two after it, the word
            -- with the one after it, then the first match of the phrases ending at or before the word
            case
                when lexicon_words.is_scored and not lexicon_words.previous_3_in_lexicon then
                    coalesce(
                        special_cases.phrase_map -> (lexicon_words.word_lower || ' ' || lexicon_words.next_1_word || ' ' || lexicon_words.next_2_word),
                        special_cases.phrase_map -> (lexicon_words.word_lower || ' ' || lexicon_words.next_1_word),
                        special_cases.phrase_map -> (lexicon_words.previous_1_word || ' ' || lexicon_words.word_lower),
                        special_cases.phrase_map -> (lexicon_words.previous_2_word || ' ' || lexicon_words.previous_1_word || ' ' || lexicon_words.word_lower),
                        special_cases.phrase_map -> (lexicon_words.previous_2_word || ' ' || lexicon_words.previous_1_word),
                        special_cases.phrase_map -> (lexicon_words.previous_3_word || ' ' || lexicon_words.previous_2_word || ' ' || lexicon_words.previous_1_word),
                        special_cases.phrase_map -> (lexicon_words.previous_3_word || ' ' || lexicon_words.previous_2_word)
                    )::double precision
            end as idiom_valence,
            -- multi-word boosters ("kind of") among the words before it add their scalar as they are
            case
                when lexicon_words.is_scored and not lexicon_words.previous_3_in_lexicon then
                    coalesce((special_cases.booster_phrase_map ->> (lexicon_words.previous_3_word || ' ' || lexicon_words.previous_2_word || ' ' || lexicon_words.previous_1_word))::double precision, 0)
                    + coalesce((special_cases.booster_phrase_map ->> (lexicon_words.previous_3_word || ' ' || lexicon_words.previous_2_word))::double precision, 0)
                    + coalesce((special_cases.booster_phrase_map ->> (lexicon_words.previous_2_word || ' ' || lexicon_words.previous_1_word))::double precision, 0)
                else 0
            end as phrase_booster,
            case
                when not lexicon_words.is_scored then 0
                when
                    lexicon_words.previous_1_word = 'no'
                    or lexicon_words.previous_2_word = 'no'
                    or (lexicon_words.previous_3_word = 'no' and lexicon_words.previous_1_word in ('or', 'nor'))
                    then lexicon_words.valence * {{ negation_scalar }}
                when lexicon_words.word_lower = 'no' and lexicon_words.next_1_in_lexicon then 0
                else lexicon_words.valence
            end as base_valence,
            lexicon_words.is_scored and lexicon_words.is_all_caps and lexicon_words.is_caps_differential as is_emphasised
        from lexicon_words
        cross join (
            select
                (
                    select jsonb_object_agg(vader_special_cases.phrase, vader_special_cases.valence)
                    from {{ ref('vader_special_cases') }} as vader_special_cases
                ) as phrase_map,
                (
                    select jsonb_object_agg(vader_boosters.token, vader_boosters.scalar)
                    from {{ ref('vader_boosters') }} as vader_boosters
                    where vader_boosters.token like '% %'
                ) as booster_phrase_map
        ) as special_cases
        offset 0  -- noqa: AM09
    ),

    emphasised as (
        select
            own_valence.*,
            case
                when own_valence.is_emphasised and own_valence.base_valence > 0
                    then own_valence.base_valence + {{ all_caps_increment }}
                when own_valence.is_emphasised then own_valence.base_valence - {{ all_caps_increment }}
                else own_valence.base_valence
            end as valence_0
        from own_valence
        offset 0  -- noqa: AM09
    ),

    {% for distance in [1, 2, 3] -%}
    modified_by_word_{{ distance }}_before as (
        -- booster (damped x{{ damping_label[distance] }}) in the current direction, then the factor
        select
            previous_step.*,
            case
                when previous_step.word_{{ distance }}_before_applies
                    then {{ 'coalesce(previous_step.idiom_valence, (' if distance == 3 else '(' }}
                        previous_step.valence_{{ distance - 1 }} + {{ damping[distance] }} * case
                            when previous_step.valence_{{ distance - 1 }} > 0
                                then previous_step.word_{{ distance }}_before_booster + previous_step.word_{{ distance }}_before_caps_booster
                            when previous_step.valence_{{ distance - 1 }} < 0
                                then -previous_step.word_{{ distance }}_before_booster - previous_step.word_{{ distance }}_before_caps_booster
                            else previous_step.word_{{ distance }}_before_booster - previous_step.word_{{ distance }}_before_caps_booster
                        end
                    ) * previous_step.word_{{ distance }}_before_factor{{ ') + previous_step.phrase_booster' if distance == 3 }}
                else previous_step.valence_{{ distance - 1 }}
            end as valence_{{ distance }}
        from {{ 'emphasised' if distance == 1 else 'modified_by_word_' ~ (distance - 1) ~ '_before' }} as previous_step
        offset 0  -- noqa: AM09
    ),

    {% endfor -%}
    word_scores as (
        -- "least" right before a word negates it, unless it reads "at least" or "very least";
        -- then words before the first "but" count half, words after it one and a half
        select
            modified_by_word_3_before.token_count,
            case
                when
                    modified_by_word_3_before.previous_1_word = 'least'
                    and not modified_by_word_3_before.previous_1_in_lexicon
                    and (
                        modified_by_word_3_before.previous_2_word is null
                        or modified_by_word_3_before.previous_2_word not in ('at', 'very')
                    )
                    then modified_by_word_3_before.valence_3 * {{ negation_scalar }}
                else modified_by_word_3_before.valence_3
            end
            * case
                when modified_by_word_3_before.token_position < modified_by_word_3_before.first_but_position
                    then cast(0.5 as double precision)
                when modified_by_word_3_before.token_position > modified_by_word_3_before.first_but_position
                    then cast(1.5 as double precision)
                else 1
            end as valence
        from modified_by_word_3_before
        offset 0  -- noqa: AM09
    ),

    comment_sums as (
        select
            coalesce(max(word_scores.token_count), 0)::integer as token_count,
            coalesce(sum(word_scores.valence), 0) as valence_sum,
            coalesce(sum(word_scores.valence + 1) filter (where word_scores.valence > 0), 0) as positive_sum,
            coalesce(sum(word_scores.valence - 1) filter (where word_scores.valence < 0), 0) as negative_sum,
            count(*) filter (where word_scores.valence != 0) as sentiment_word_count
        from word_scores
    ),

    emphasised_sums as (
        -- "!" adds 0.292 each, up to four; "?" adds 0.18 each when there are two or three, 0.96 beyond
        select
            comment_sums.token_count,
            comment_sums.token_count - comment_sums.sentiment_word_count as neutral_count,
            comment_sums.valence_sum + sign(comment_sums.valence_sum) * punctuation_emphasis.amount as valence_sum,
            comment_sums.positive_sum
            + case
                when comment_sums.positive_sum > -comment_sums.negative_sum then punctuation_emphasis.amount else 0
            end as positive_sum,
            comment_sums.negative_sum
            - case
                when comment_sums.positive_sum < -comment_sums.negative_sum then punctuation_emphasis.amount else 0
            end as negative_sum
        from comment_sums
        cross join (
            select
                least(punctuation.exclamation_count, 4) * cast(0.292 as double precision)
                + case
                    when punctuation.question_mark_count > 3 then cast(0.96 as double precision)
                    when punctuation.question_mark_count > 1
                        then punctuation.question_mark_count * cast(0.18 as double precision)
                    else 0
                end as amount
        ) as punctuation_emphasis
        offset 0  -- noqa: AM09
    )

    select
        case
            when emphasised_sums.token_count = 0 then 0
            -- "+ 0" turns a rounded -0 into 0
            else round(
                emphasised_sums.valence_sum / sqrt(emphasised_sums.valence_sum * emphasised_sums.valence_sum + 15)
                * 10000
            ) / 10000 + 0
        end::double precision as sentiment_compound,
        case
            when emphasised_sums.token_count = 0 then 0
            else round(
                emphasised_sums.positive_sum
                / (emphasised_sums.positive_sum - emphasised_sums.negative_sum + emphasised_sums.neutral_count)
                * 1000
            ) / 1000
        end::double precision as sentiment_positive,
        case
            when emphasised_sums.token_count = 0 then 1
            else round(
                emphasised_sums.neutral_count
                / (emphasised_sums.positive_sum - emphasised_sums.negative_sum + emphasised_sums.neutral_count)
                * 1000
            ) / 1000
        end::double precision as sentiment_neutral,
        case
            when emphasised_sums.token_count = 0 then 0
            else abs(round(
                emphasised_sums.negative_sum
                / (emphasised_sums.positive_sum - emphasised_sums.negative_sum + emphasised_sums.neutral_count)
                * 1000
            ) / 1000)
        end::double precision as sentiment_negative,
        emphasised_sums.token_count as sentiment_token_count
    from emphasised_sums
) as comment_scores
{% endmacro %}
