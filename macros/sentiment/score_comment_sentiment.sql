{#
    VADER-style sentiment of free text, scored set-based in SQL (rule version vader_sql_v2).

    score_comment_sentiment(relation, id_column='comment_id', text_column='body', passthrough_columns=none)
    returns a select with one row per row of `relation` (a relation or a CTE name): id_column, any
    passthrough columns, sentiment_compound, sentiment_positive, sentiment_neutral, sentiment_negative
    (double precision) and sentiment_token_count (integer). id_column must be unique in `relation`.

    It follows the rules of vaderSentiment 3.3.2 (Hutto & Gilbert, 2014) over the lexicon, booster,
    negation and emoji seeds that scripts/build_vader_seeds.py writes from that package:
      * the text splits on spaces; each token loses its leading and trailing punctuation unless that
        leaves two characters or fewer (emoticons);
      * booster words, and "kind" in "kind of", score 0; other words score their lexicon valence;
      * "no" one or two words before a lexicon word, or three before with "or"/"nor" right before it,
        negates it (x -0.74); "no" right before a lexicon word scores 0 itself;
      * an ALL-CAPS lexicon word in mixed-case text gains 0.733 in its direction;
      * each of the three preceding words that is not itself in the lexicon then modifies the
        valence, nearest first: a booster adds +/-0.293 in the current direction (0.733 more when it
        is ALL CAPS in mixed-case text), damped x0.95 at distance two and x0.9 at three; a negation
        word (or any word with "n't") multiplies by -0.74, except "never so/this" (x1.25) and "without
        doubt" (unchanged); at distance three "so"/"this" right before the word also gives x1.25;
      * "least" right before a word negates it, unless it reads "at least" or "very least";
      * words before the first "but" count x0.5, words after it x1.5;
      * the sum gains 0.292 per "!" (at most four) and, with two or three "?", 0.18 each (0.96 for
        more), in its own direction; compound = s / sqrt(s^2 + 15);
      * positive / negative / neutral are the shares of sum(valence + 1), sum(valence - 1) and the
        count of neutral words, the punctuation emphasis going to the larger side.
    Outputs are rounded like vaderSentiment's: compound to 4 decimals, shares to 3.

    Text without any token (null, empty or only white space) scores compound 0, neutral 1, positive 0,
    negative 0 and token count 0, so the three shares always sum to 1 (vaderSentiment itself returns 0
    for all four on an empty string and raises on None).

    Simplifications of v2 against v1 (vader_sql_v1, a faithful re-implementation), each traded for speed;
    tests/python/test_sentiment.py checks the agreement with vaderSentiment that is left (r >= 0.95, same
    sign >= 95%) on generated auction comments:
      * special-case idioms ("the bomb", "yeah right", "kiss of death", ...) and multi-word boosters
        ("kind of", "sort of", "just enough") are not applied: the vader_special_cases seed is unused;
      * an emoji scores as one token: the plain sum of the lexicon valences of its description's words
        (no rules inside the description or between it and its neighbours); its description's words count
        as tokens (neutral share); only a token starting with an emoji character is looked up as that
        emoji, anything glued after it in the token is dropped;
      * the text splits on the space character only (the staging model has already removed control
        characters and trimmed the text); a run of spaces yields empty tokens, which score nothing and are
        not counted but still count as one word of distance for the rules that look back;
      * the booster direction after a negation is taken from the signs (a dampening booster that flips a
        tiny valence past zero is not re-signed);
      * the "but" weight uses each word's own position (v1 did too; vaderSentiment finds positions by
        value), and "but" is found with all punctuation removed from the text;
      * mixed case (for the ALL-CAPS rules) means "the text has a lower-case letter or an emoji", not
        vaderSentiment's "some but not all tokens are upper case";
      * lower()/upper() follow the database's ctype rather than Python's for non-ASCII letters.

    Shape, for speed: PostgreSQL 15 runs neither window functions nor lateral subqueries with outer
    references in parallel workers, and the per-token string work of v1 (btrim() on every token, a
    translate() per text) was the bulk of its time. So there is one query level: a parallel scan of the
    relation unnests, per text, the lower-case tokens together with shifted copies of the same array
    (the one, two and three tokens before and the token after, as plain columns); the tokens are
    hash-joined to the small table of scoring tokens (lexicon words and emoji), so only lexicon hits,
    plus the first token of every text that carries the text's token count and punctuation emphasis,
    go on; the neighbours of those rows are hash-joined to the small modifier table (lexicon membership,
    booster scalar, negation); the rules are plain arithmetic; a partial aggregate per worker sums each
    text and the leader finalises. Nothing looks at a token twice, and the cost grows linearly with the
    number of texts and tokens. The caller should `set local parallel_setup_cost = 0`,
    `parallel_tuple_cost = 0` (so the parallel plan is taken at small row counts too) and
    `enable_memoize = off` (a memoize cache keyed on the text only adds work).
#}
{% macro score_comment_sentiment(relation, id_column='comment_id', text_column='body', passthrough_columns=none) %}
    {%- set passthrough = passthrough_columns or [] -%}
    {#- Every single-code-point emoji of the emoji seed lies in these ranges (the seed script checks it). -#}
    {%- set emoji_class = "[\\u00a9\\u00ae\\u203c-\\u3299\\U0001f000-\\U0001faff]" -%}
    {#- The trailing punctuation a token may carry and still be looked up (vaderSentiment strips any leading
        and trailing punctuation, unless that leaves two characters or fewer). -#}
    {%- set token_suffixes = ["", ".", ",", "!", "!!", "!!!", "!!!!", "!!!!!", "!!!!!!", "?", "??", "???", "????", "?????", ":", ";", "...", ")", "?!", "!?"] -%}
    {%- set modifier_suffix_array = "array['', ',', '.', '!', '?']" -%}
    {%- set token_suffix_array -%}
        array[{% for suffix in token_suffixes %}'{{ suffix }}'{{ ", " if not loop.last }}{% endfor %}]
    {%- endset -%}
    {#- The text as scored: ASCII text as it is; otherwise with a space before every emoji character, so
        that each emoji starts a token. -#}
    {%- set prepared_text -%}
        case
            when octet_length(scored_rows.{{ text_column }}) = char_length(scored_rows.{{ text_column }})
                then scored_rows.{{ text_column }}
            else ltrim(regexp_replace(scored_rows.{{ text_column }}, '\s*({{ emoji_class }})', ' \1', 'g'))
        end
    {%- endset -%}
    {#- Rule constants of vaderSentiment 3.3.2, as double precision so no row converts numerics. -#}
    {%- set negation_scalar = 'cast(-0.74 as double precision)' -%}
    {%- set all_caps_increment = 'cast(0.733 as double precision)' -%}
    {%- set never_so_scalar = 'cast(1.25 as double precision)' -%}
    {%- set damping = {1: 'cast(1 as double precision)', 2: 'cast(0.95 as double precision)', 3: 'cast(0.9 as double precision)'} -%}
    {#- Mixed case (for the ALL-CAPS rules): the text has a lower-case letter or an emoji (whose description
        is lower case). Looked at only for rows with an ALL-CAPS word. -#}
    {%- set is_mixed_case -%}
        (
            sentiment_words.scored_text != upper(sentiment_words.scored_text)
            or octet_length(sentiment_words.scored_text) != char_length(sentiment_words.scored_text)
        )
    {%- endset -%}
    {#- The original-case token at a distance before the scored word (for the ALL-CAPS tests). -#}
    {%- set original_token = {} -%}
    {%- for distance in [0, 1, 2, 3] -%}
        {%- do original_token.update({distance: "split_part(sentiment_words.scored_text, ' ', cast(sentiment_words.token_position as integer) - " ~ distance ~ ")"}) -%}
    {%- endfor -%}
    {%- set applies = {} -%}
    {%- set negated = {} -%}
    {%- set booster = {} -%}
    {%- for distance in [1, 2, 3] -%}
        {#- the word `distance` before exists and is not itself a lexicon word -#}
        {%- do applies.update({distance: '(sentiment_words.token_position > ' ~ distance ~ ' and not coalesce(modifier_' ~ distance ~ '.is_lexicon_word, false))'}) -%}
        {%- do negated.update({distance: 'coalesce(modifier_' ~ distance ~ '.is_negation, false)'}) -%}
        {%- set booster_expression -%}
            case
                when {{ applies[distance] }} and modifier_{{ distance }}.booster_scalar is not null
                    then {{ damping[distance] }} * (
                        modifier_{{ distance }}.booster_scalar
                        + case
                            when
                                {{ original_token[distance] }} != lower({{ original_token[distance] }})
                                and {{ original_token[distance] }} = upper({{ original_token[distance] }})
                                and {{ is_mixed_case }}
                                then {{ all_caps_increment }}
                            else 0
                        end
                    )
                else 0
            end
        {%- endset -%}
        {%- do booster.update({distance: booster_expression}) -%}
    {%- endfor -%}
    {%- set factor_1 -%}
        case when {{ applies[1] }} and {{ negated[1] }} then {{ negation_scalar }} else 1 end
    {%- endset -%}
    {%- set factor_2 -%}
        case
            when not {{ applies[2] }} then 1
            when modifier_2.token = 'never' and modifier_1.token in ('so', 'this') then {{ never_so_scalar }}
            when modifier_2.token = 'without' and modifier_1.token = 'doubt' then 1
            when {{ negated[2] }} then {{ negation_scalar }}
            else 1
        end
    {%- endset -%}
    {%- set factor_3 -%}
        case
            when not {{ applies[3] }} then 1
            when
                (modifier_3.token = 'never' and modifier_2.token in ('so', 'this'))
                or modifier_1.token in ('so', 'this')
                then {{ never_so_scalar }}
            when modifier_3.token = 'without' and (modifier_2.token = 'doubt' or modifier_1.token = 'doubt') then 1
            when {{ negated[3] }} then {{ negation_scalar }}
            else 1
        end
    {%- endset -%}
    {#- the word's own valence: "kind of", the "no" rules -#}
    {%- set own_valence -%}
        case
            when sentiment_words.token = 'kind' and next_modifier.token = 'of' then 0
            when
                modifier_1.token = 'no'
                or modifier_2.token = 'no'
                or (modifier_3.token = 'no' and modifier_1.token in ('or', 'nor'))
                then sentiment_words.valence * {{ negation_scalar }}
            when sentiment_words.token = 'no' and next_modifier.is_lexicon_word then 0
            else sentiment_words.valence
        end
    {%- endset -%}
    {#- ... plus the ALL-CAPS emphasis -#}
    {%- set base_valence -%}
        {{ own_valence }}
        + case
            when
                sentiment_words.is_all_caps
                and {{ is_mixed_case }}
                then case when {{ own_valence }} > 0 then {{ all_caps_increment }} else -{{ all_caps_increment }} end
            else 0
        end
    {%- endset -%}
with

sentiment_scoring_tokens as not materialized (
    -- the tokens that score, with the trailing punctuation they may carry: lexicon words (booster words
    -- score 0, so they are left out) and emoji, whose valence is the plain sum of their description's
    -- lexicon words
    -- (grouped by the looked-up token, so that the planner knows it is unique and estimates the joins
    -- right; a lexicon entry that itself ends in such punctuation is the only case with two rows)
    select distinct on ((scoring_words.token || suffixes.suffix) collate "C")
        (scoring_words.token || suffixes.suffix) collate "C" as lookup_token,
        scoring_words.token,
        scoring_words.valence,
        scoring_words.emoji_positive,
        scoring_words.emoji_negative,
        scoring_words.emoji_scored_words,
        scoring_words.extra_tokens
    from (
        select
            lexicon.token,
            cast(lexicon.valence as double precision) as valence,
            cast(null as double precision) as emoji_positive,
            cast(null as double precision) as emoji_negative,
            cast(null as bigint) as emoji_scored_words,
            cast(0 as bigint) as extra_tokens
        from {{ ref('vader_lexicon') }} as lexicon
        where not exists (
            select boosters.token from {{ ref('vader_boosters') }} as boosters
            where boosters.token = lexicon.token
        )
        union all
        select
            emoji.emoji as token,
            coalesce(sum(cast(lexicon.valence as double precision)), 0) as valence,
            coalesce(sum(cast(lexicon.valence as double precision) + 1) filter (where lexicon.valence > 0), 0)
                as emoji_positive,
            coalesce(sum(cast(lexicon.valence as double precision) - 1) filter (where lexicon.valence < 0), 0)
                as emoji_negative,
            count(*) filter (where lexicon.valence != 0) as emoji_scored_words,
            count(*) - 1 as extra_tokens
        from {{ ref('vader_emoji') }} as emoji
        cross join lateral unnest(string_to_array(lower(emoji.description), ' ')) as description_words (word)
        left join {{ ref('vader_lexicon') }} as lexicon
            on rtrim(description_words.word, ',.:') = lexicon.token
        group by emoji.emoji
    ) as scoring_words
    cross join unnest({{ token_suffix_array }}) as suffixes (suffix)
    where suffixes.suffix = '' or char_length(scoring_words.token) > 2 or scoring_words.emoji_scored_words is not null
),

sentiment_modifiers as not materialized (
    -- every word the rules look at around a lexicon word, with the trailing punctuation it may carry:
    -- lexicon membership, booster scalar, negation, plus the few plain words the rules compare with
    select distinct on ((modifier_words.token || suffixes.suffix) collate "C")
        (modifier_words.token || suffixes.suffix) collate "C" as lookup_token,
        modifier_words.token,
        modifier_words.is_lexicon_word,
        modifier_words.booster_scalar,
        modifier_words.is_negation
    from (
        select
            all_modifiers.token,
            bool_or(all_modifiers.is_lexicon_word) as is_lexicon_word,
            max(all_modifiers.booster_scalar) as booster_scalar,
            bool_or(all_modifiers.is_negation) as is_negation
        from (
            select
                lexicon.token,
                true as is_lexicon_word,
                cast(null as double precision) as booster_scalar,
                false as is_negation
            from {{ ref('vader_lexicon') }} as lexicon
            union all
            select
                boosters.token,
                false as is_lexicon_word,
                cast(boosters.scalar as double precision) as booster_scalar,
                false as is_negation
            from {{ ref('vader_boosters') }} as boosters
            union all
            select
                negations.token,
                false as is_lexicon_word,
                cast(null as double precision) as booster_scalar,
                true as is_negation
            from {{ ref('vader_negations') }} as negations
            union all
            select
                rule_words.token,
                false as is_lexicon_word,
                cast(null as double precision) as booster_scalar,
                false as is_negation
            from (
                values ('so'), ('this'), ('never'), ('without'), ('doubt'), ('no'), ('or'), ('nor'), ('least'),
                ('at'), ('very'), ('of')
            ) as rule_words (token)
        ) as all_modifiers
        group by all_modifiers.token
    ) as modifier_words
    cross join unnest({{ modifier_suffix_array }}) as suffixes (suffix)
    where suffixes.suffix = '' or char_length(modifier_words.token) > 2
),

sentiment_words as not materialized (
    -- one row per lexicon hit and one per text (its first token, which carries the text's token count
    -- and punctuation emphasis)
    select
        scored_rows.{{ id_column }},
        {%- for column in passthrough %}
        scored_rows.{{ column }},
        {%- endfor %}
        scored_rows.{{ text_column }} as scored_text,
        words.lower_token,
        words.original_token != words.lower_token and words.original_token = upper(words.original_token) as is_all_caps,
        words.token_position,
        scoring_tokens.token,
        scoring_tokens.valence,
        scoring_tokens.emoji_positive,
        scoring_tokens.emoji_negative,
        scoring_tokens.emoji_scored_words,
        scoring_tokens.extra_tokens
    from {{ relation }} as scored_rows
    cross join lateral unnest(
        string_to_array(lower(coalesce({{ prepared_text | indent(8) }}, '')) || ' ', ' '),
        string_to_array(coalesce({{ prepared_text | indent(8) }}, ''), ' ')
    ) with ordinality as words (lower_token, original_token, token_position)
    left join sentiment_scoring_tokens as scoring_tokens
        on words.lower_token = scoring_tokens.lookup_token
    where scoring_tokens.token is not null or words.token_position = 1
),

sentiment_word_scores as (
    -- each row's rule-adjusted valence; unnest(array[...]) keeps it one computed column (inlined, every
    -- reference to it would re-evaluate the rules)
    select
        sentiment_words.{{ id_column }},
        {%- for column in passthrough %}
        sentiment_words.{{ column }},
        {%- endfor %}
        case
            when sentiment_words.token_position = 1 and sentiment_words.scored_text != ''
                -- as many tokens as spaces plus one, less the empty tokens of runs of spaces
                then
                    octet_length(sentiment_words.scored_text)
                    - octet_length(replace(sentiment_words.scored_text, ' ', ''))
                    + 1
                    - (
                        octet_length(sentiment_words.scored_text)
                        - octet_length(replace(sentiment_words.scored_text, '  ', ' '))
                    )
            else 0
        end
        + coalesce(sentiment_words.extra_tokens, 0) as token_count,
        case
            when
                sentiment_words.token_position = 1
                and strpos(sentiment_words.scored_text, '!') + strpos(sentiment_words.scored_text, '?') > 0
                then
                    least(
                        octet_length(sentiment_words.scored_text)
                        - octet_length(replace(sentiment_words.scored_text, '!', '')),
                        4
                    ) * cast(0.292 as double precision)
                    + case
                        when
                            octet_length(sentiment_words.scored_text)
                            - octet_length(replace(sentiment_words.scored_text, '?', '')) <= 1
                            then 0
                        when
                            octet_length(sentiment_words.scored_text)
                            - octet_length(replace(sentiment_words.scored_text, '?', '')) <= 3
                            then (
                                octet_length(sentiment_words.scored_text)
                                - octet_length(replace(sentiment_words.scored_text, '?', ''))
                            ) * cast(0.18 as double precision)
                        else cast(0.96 as double precision)
                    end
            else 0
        end as punctuation_amount,
        sentiment_words.emoji_positive,
        sentiment_words.emoji_negative,
        sentiment_words.emoji_scored_words,
        unnest(array[
            case
                when sentiment_words.emoji_scored_words is not null then sentiment_words.valence
                when sentiment_words.token is not null then
                    (
                        ({{ base_valence | indent(24) }}) * ({{ factor_1 }}) * ({{ factor_2 | indent(24) }}) * ({{ factor_3 | indent(24) }})
                        + case
                            when coalesce(modifier_1.booster_scalar, modifier_2.booster_scalar, modifier_3.booster_scalar) is null
                                then 0
                            else
                                case when ({{ base_valence | indent(32) }}) < 0 then -1 else 1 end
                                * (
                                    ({{ booster[1] | indent(36) }}) * ({{ factor_1 }}) * ({{ factor_2 | indent(36) }}) * ({{ factor_3 | indent(36) }})
                                    + ({{ booster[2] | indent(36) }}) * sign({{ factor_1 }}) * ({{ factor_2 | indent(36) }}) * ({{ factor_3 | indent(36) }})
                                    + ({{ booster[3] | indent(36) }}) * sign({{ factor_1 }}) * sign({{ factor_2 | indent(36) }}) * ({{ factor_3 | indent(36) }})
                                )
                        end
                    )
                    -- "least" right before, unless "at least" / "very least"
                    * case
                        when
                            modifier_1.token = 'least'
                            and not coalesce(modifier_1.is_lexicon_word, false)
                            and (modifier_2.token is null or modifier_2.token not in ('at', 'very'))
                            then {{ negation_scalar }}
                        else 1
                    end
                    -- x0.5 before the first "but", x1.5 after it
                    * case
                        when strpos(sentiment_words.scored_text, 'but') + strpos(sentiment_words.scored_text, 'BUT') > 0
                            then
                                case sign(
                                    sentiment_words.token_position
                                    - array_position(string_to_array(lower(sentiment_words.scored_text), ' '), 'but')
                                )
                                    when -1 then cast(0.5 as double precision)
                                    when 1 then cast(1.5 as double precision)
                                    else 1
                                end
                        else 1
                    end
            end
        ]) as valence
    from sentiment_words
    {%- for distance in [1, 2, 3] %}
    left join sentiment_modifiers as modifier_{{ distance }}
        on
            case
                when sentiment_words.token is not null and sentiment_words.token_position > {{ distance }}
                    then lower({{ original_token[distance] }})
            end
            = modifier_{{ distance }}.lookup_token
    {%- endfor %}
    -- the word after, looked up only after "no" and "kind"
    left join sentiment_modifiers as next_modifier
        on
            case
                when sentiment_words.token in ('no', 'kind')
                    then lower(split_part(sentiment_words.scored_text, ' ', cast(sentiment_words.token_position as integer) + 1))
            end
            = next_modifier.lookup_token
),

sentiment_sums as (
    select
        sentiment_word_scores.{{ id_column }},
        {%- for column in passthrough %}
        max(sentiment_word_scores.{{ column }}) as {{ column }},
        {%- endfor %}
        sum(sentiment_word_scores.token_count) as token_count,
        sum(sentiment_word_scores.punctuation_amount) as punctuation_amount,
        coalesce(sum(sentiment_word_scores.valence), 0) as valence_sum,
        coalesce(sum(
            case
                when sentiment_word_scores.emoji_positive is not null then sentiment_word_scores.emoji_positive
                when sentiment_word_scores.valence > 0 then sentiment_word_scores.valence + 1
            end
        ), 0) as positive_sum,
        coalesce(sum(
            case
                when sentiment_word_scores.emoji_negative is not null then sentiment_word_scores.emoji_negative
                when sentiment_word_scores.valence < 0 then sentiment_word_scores.valence - 1
            end
        ), 0) as negative_sum,
        coalesce(sum(
            case
                when sentiment_word_scores.emoji_scored_words is not null then sentiment_word_scores.emoji_scored_words
                when sentiment_word_scores.valence != 0 then 1
            end
        ), 0) as scored_word_count
    from sentiment_word_scores
    group by sentiment_word_scores.{{ id_column }}
),

sentiment_emphasised_sums as (
    -- "!" adds 0.292 each, up to four; "?" adds 0.18 each when there are two or three, 0.96 beyond
    select
        sentiment_sums.{{ id_column }},
        {%- for column in passthrough %}
        sentiment_sums.{{ column }},
        {%- endfor %}
        sentiment_sums.token_count,
        sentiment_sums.token_count - sentiment_sums.scored_word_count as neutral_count,
        sentiment_sums.valence_sum + sign(sentiment_sums.valence_sum) * sentiment_sums.punctuation_amount as valence_sum,
        sentiment_sums.positive_sum
        + case
            when sentiment_sums.positive_sum > -sentiment_sums.negative_sum then sentiment_sums.punctuation_amount else 0
        end as positive_sum,
        sentiment_sums.negative_sum
        - case
            when sentiment_sums.positive_sum < -sentiment_sums.negative_sum then sentiment_sums.punctuation_amount else 0
        end as negative_sum
    from sentiment_sums
)

select
    sentiment_emphasised_sums.{{ id_column }},
    {%- for column in passthrough %}
    sentiment_emphasised_sums.{{ column }},
    {%- endfor %}
    case
        when sentiment_emphasised_sums.token_count = 0 then 0
        -- "+ 0" turns a rounded -0 into 0
        else round(
            sentiment_emphasised_sums.valence_sum
            / sqrt(sentiment_emphasised_sums.valence_sum * sentiment_emphasised_sums.valence_sum + 15)
            * 10000
        ) / 10000 + 0
    end::double precision as sentiment_compound,
    case
        when sentiment_emphasised_sums.token_count = 0 then 0
        else round(
            sentiment_emphasised_sums.positive_sum
            / (
                sentiment_emphasised_sums.positive_sum - sentiment_emphasised_sums.negative_sum
                + sentiment_emphasised_sums.neutral_count
            )
            * 1000
        ) / 1000
    end::double precision as sentiment_positive,
    case
        when sentiment_emphasised_sums.token_count = 0 then 1
        else round(
            sentiment_emphasised_sums.neutral_count
            / (
                sentiment_emphasised_sums.positive_sum - sentiment_emphasised_sums.negative_sum
                + sentiment_emphasised_sums.neutral_count
            )
            * 1000
        ) / 1000
    end::double precision as sentiment_neutral,
    case
        when sentiment_emphasised_sums.token_count = 0 then 0
        else abs(round(
            sentiment_emphasised_sums.negative_sum
            / (
                sentiment_emphasised_sums.positive_sum - sentiment_emphasised_sums.negative_sum
                + sentiment_emphasised_sums.neutral_count
            )
            * 1000
        ) / 1000)
    end::double precision as sentiment_negative,
    sentiment_emphasised_sums.token_count::integer as sentiment_token_count
from sentiment_emphasised_sums
{% endmacro %}
