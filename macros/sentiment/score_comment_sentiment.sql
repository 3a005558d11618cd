{#
    VADER-style sentiment of free text, scored set-based in SQL (rule version vader_sql_v2).

    score_comment_sentiment(relation, id_column='comment_id', text_column='body', passthrough_columns=none)
    returns a select with one row per row of `relation` (a relation or a CTE name): id_column, any
    passthrough columns, sentiment_compound, sentiment_positive, sentiment_neutral, sentiment_negative
    (double precision) and sentiment_token_count (integer). id_column must be unique in `relation`.

    It follows the rules of vaderSentiment 3.3.2 (Hutto & Gilbert, 2014) over the lexicon, booster,
    negation and emoji seeds that scripts/build_vader_seeds.py writes from that package, simplified for
    speed (see below):
      * the text splits on spaces; a token is looked up lower-cased, as it is or without trailing
        punctuation (vaderSentiment strips leading and trailing punctuation unless that leaves two
        characters or fewer, so emoticons such as ":)" keep theirs);
      * booster words score 0; other lexicon words score their valence; an emoji scores the summed valence
        of its description's lexicon words;
      * an ALL-CAPS lexicon word in mixed-case text gains 0.733 in its direction;
      * boosters one, two and three words before a lexicon word add their scalar (+/-0.293) in its
        direction, damped x1 / x0.95 / x0.9; negation words (and "no") up to three words before it multiply
        it by -0.74 each;
      * words before the first "but" count x0.5, words after it x1.5;
      * the sum gains 0.292 per "!" (at most four) and, with two or three "?", 0.18 each (0.96 for
        more), in its own direction; compound = s / sqrt(s^2 + 15);
      * positive / negative / neutral are the shares of sum(valence + 1), sum(valence - 1) and the
        count of neutral words, the punctuation emphasis going to the larger side.
    Outputs are rounded like vaderSentiment's: compound to 4 decimals, shares to 3.

    Text without any token (null, empty or only white space) scores compound 0, neutral 1, positive 0,
    negative 0 and token count 0, so the three shares always sum to 1 (vaderSentiment itself returns 0
    for all four on an empty string and raises on None).

    Simplifications of v2 against vader_sql_v1 (a faithful re-implementation, about 6x slower), each
    traded for speed; tests/python/test_sentiment.py checks the agreement with vaderSentiment that is left
    (r >= 0.95 and the same sign on >= 95% of generated comments; measured r = 0.984, 98.8% same sign):
      * punctuation is stripped from the end of a token only in the forms listed in token_suffixes below
        ("good!!", "great.", "nice,", ...), never from its start ("(good" does not match);
      * the text splits on the space character only (the staging model has removed control characters and
        trimmed it); an emoji is a token only when a space precedes it ("great🔥" matches nothing; "👍👍"
        scores once): its description's words are not looked at one by one, take no part in the rules of
        the words around them, but count as tokens;
      * no special-case idioms ("the bomb", "yeah right", ...: the vader_special_cases seed is unused), no
        multi-word boosters ("kind of", "sort of"), no "kind of" / "least" rules, no "never so/this"
        (x1.25) or "without doubt" exceptions to negation, and no "n't" rule beyond the negation seed;
      * "no" negates like any negation word (vaderSentiment: it replaces the word's valence by its
        negated lexicon valence) and does not score 0 before another lexicon word;
      * boosters are applied before the negations (vaderSentiment alternates them nearest first), and an
        ALL-CAPS booster gets no extra emphasis;
      * a word that is itself in the lexicon still counts as a booster / negation before another one (the
        seeds share no word with the lexicon except "no", so this only concerns "no");
      * mixed case (for the ALL-CAPS rule) means "the text has a lower-case letter or an emoji", not
        vaderSentiment's "some but not all tokens are upper case"; "but" is found as a token of its own;
      * the token count is the number of spaces plus one, less the runs of spaces;
      * vaderSentiment's "but" rule finds list positions by value (a word whose score equals an earlier
        word's can be weighted at the wrong position); here each word is weighted at its own position;
      * lower()/upper() follow the database's ctype rather than Python's for non-ASCII letters.

    Shape, for speed: one parallel query level. PostgreSQL 15 runs neither window functions nor lateral
    subqueries with outer references in parallel workers, and per-token string work (btrim() on every
    token, translate() per text) was most of v1's time; so a parallel scan of the relation unnests each
    lower-cased text into tokens, which are hash-joined on the plain token to the look-up table of scoring
    tokens with their punctuated forms (lexicon words and emoji, ~170k rows, built by each process). Only
    lexicon hits, plus the first token of every text (which carries the token count and the punctuation
    emphasis, and keeps texts without hits), go on; for those the one, two and three words before are read
    with split_part() and hash-joined to the small modifier table (boosters, negations); the rules are plain
    arithmetic over the joined columns, computed once per row (unnest(array[...]) in the select list keeps
    it one column); the per-text sums are aggregated by comment and finished in the leader. The look-up
    tables are DISTINCT ON their look-up token, so the planner knows it is unique and estimates the joins
    right. The plan still needs the caller's settings, as the model's pre-hooks do: `parallel_setup_cost` and
    `parallel_tuple_cost` 0 with `enable_parallel_append` off (parallel at any size, without a Gather in the
    small look-up subqueries), `join_collapse_limit` 1 and `enable_mergejoin` off (the joins in the written
    order, as hash joins), `enable_memoize` off, and `work_mem` room for the aggregate.
#}
{% macro score_comment_sentiment(relation, id_column='comment_id', text_column='body', passthrough_columns=none) %}
    {%- set passthrough = passthrough_columns or [] -%}
    {#- The trailing punctuation a token may carry and still be looked up (vaderSentiment strips any leading
        and trailing punctuation, unless that leaves two characters or fewer). -#}
    {%- set token_suffixes = ["", ".", ",", "!", "!!", "!!!", "!!!!", "!!!!!", "!!!!!!", "?", "??", "???", "????", "?????", ":", ";", "...", ")", "?!", "!?"] -%}
    {%- set modifier_suffix_array = "array['', ',', '.', '!', '?']" -%}
    {%- set token_suffix_array -%}
        array[{% for suffix in token_suffixes %}'{{ suffix }}'{{ ", " if not loop.last }}{% endfor %}]
    {%- endset -%}
    {#- Rule constants of vaderSentiment 3.3.2, as double precision so no row converts numerics. -#}
    {%- set negation_scalar = 'cast(-0.74 as double precision)' -%}
    {%- set all_caps_increment = 'cast(0.733 as double precision)' -%}
    {%- set damping = {1: 'cast(1 as double precision)', 2: 'cast(0.95 as double precision)', 3: 'cast(0.9 as double precision)'} -%}
    {#- Mixed case (for the ALL-CAPS rules): the text has a lower-case letter or an emoji (whose description
        is lower case). Looked at only for rows with an ALL-CAPS word. -#}
    {%- set is_mixed_case -%}
        (
            sentiment_words.scored_text != upper(sentiment_words.scored_text)
            or octet_length(sentiment_words.scored_text) != char_length(sentiment_words.scored_text)
        )
    {%- endset -%}
with

sentiment_scoring_tokens as not materialized (
    -- the tokens that score, with the trailing punctuation they may carry: lexicon words (booster words
    -- score 0, so they are left out) and emoji, whose valence is the plain sum of their description's
    -- lexicon words
    -- (distinct on the looked-up token, so that the planner knows it is unique and estimates the joins
    -- right; should a lexicon entry itself end in such punctuation, one of the two rows is kept)
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
    -- (an emoji also with the same emoji glued after it once or twice: "👍👍" scores as one)
    cross join lateral unnest(
        {{ token_suffix_array }}
        || case
            when scoring_words.emoji_scored_words is not null
                then array[scoring_words.token, scoring_words.token || scoring_words.token]
        end
    ) as suffixes (suffix)
    where suffixes.suffix = '' or char_length(scoring_words.token) > 2 or scoring_words.emoji_scored_words is not null
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
            boosters.token,
            cast(boosters.scalar as double precision) as booster_scalar,
            cast(1 as double precision) as negation_factor
        from {{ ref('vader_boosters') }} as boosters
        union all
        select
            negations.token,
            cast(0 as double precision) as booster_scalar,
            {{ negation_scalar }} as negation_factor
        from {{ ref('vader_negations') }} as negations
        union all
        -- "no" is a lexicon word, but negates the words after it too
        select
            no_word.token,
            cast(0 as double precision) as booster_scalar,
            {{ negation_scalar }} as negation_factor
        from (values ('no')) as no_word (token)
    ) as modifier_words
    cross join unnest({{ modifier_suffix_array }}) as suffixes (suffix)
    -- (the booster and negation seeds share no word with the lexicon, so none is skipped for being one)
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
        words.token_position,
        scoring_tokens.token,
        scoring_tokens.valence,
        scoring_tokens.emoji_positive,
        scoring_tokens.emoji_negative,
        scoring_tokens.emoji_scored_words,
        scoring_tokens.extra_tokens
    from {{ relation }} as scored_rows
    cross join lateral unnest(
        string_to_array(lower(coalesce(scored_rows.{{ text_column }}, '')) || ' ', ' ')
    ) with ordinality as words (lower_token, token_position)
    left join sentiment_scoring_tokens as scoring_tokens
        on words.lower_token = scoring_tokens.lookup_token
    where scoring_tokens.token is not null or words.token_position = 1
),

sentiment_word_scores as (
    -- each row's rule-adjusted valence, as plain arithmetic over looked-up columns
    select
        sentiment_words.{{ id_column }},
        {%- for column in passthrough %}
        sentiment_words.{{ column }},
        {%- endfor %}
        case
            when sentiment_words.token_position = 1 and btrim(sentiment_words.scored_text) != ''
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
                        -- the word's valence, 0.733 stronger when it is ALL CAPS in mixed-case text
                        sentiment_words.valence
                        + sign(sentiment_words.valence) * (
                            case
                                when
                                    split_part(sentiment_words.scored_text, ' ', cast(sentiment_words.token_position as integer))
                                    = upper(split_part(sentiment_words.scored_text, ' ', cast(sentiment_words.token_position as integer)))
                                    and split_part(sentiment_words.scored_text, ' ', cast(sentiment_words.token_position as integer))
                                    != sentiment_words.lower_token
                                    and {{ is_mixed_case }}
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
                    then lower(split_part(sentiment_words.scored_text, ' ', cast(sentiment_words.token_position as integer) - {{ distance }}))
            end
            = modifier_{{ distance }}.lookup_token
    {%- endfor %}
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
