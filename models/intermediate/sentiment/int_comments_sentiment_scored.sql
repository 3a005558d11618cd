with

stg_marketplace__comments as (
    select * from {{ ref('stg_marketplace__comments') }}
),

-- not materialized: each parallel branch of the scorer reads it (see macros/sentiment/score_comment_sentiment.sql)
clean_comments as not materialized (
    select
        stg_marketplace__comments.comment_id,
        stg_marketplace__comments.listing_id,
        stg_marketplace__comments.body
    from stg_marketplace__comments
    where not stg_marketplace__comments.has_blocking_issue
),

comments_scored as (
    -- two branches, one per parallel worker (max_parallel_workers_per_gather in the yml's pre-hooks)
    {{ score_comment_sentiment('clean_comments', passthrough_columns=['listing_id'], parallel_branches=2) }}
),

final as (
    select
        comments_scored.comment_id,
        comments_scored.listing_id,
        comments_scored.sentiment_compound,
        comments_scored.sentiment_positive,
        comments_scored.sentiment_neutral,
        comments_scored.sentiment_negative,
        comments_scored.sentiment_token_count,
        '{{ var("sentiment_rule_version") }}'::text as sentiment_rule_version
    from comments_scored
)

select * from final
