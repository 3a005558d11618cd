{% set categories = "('exterior', 'interior', 'engine', 'undercarriage', 'detail', 'documents', 'garage', 'work')" %}
{#- Groups that do not capture ((?:...)): PostgreSQL's matcher runs faster without capturing groups, and `~` needs
    none. Applied to trimmed_url, the URL trimmed once per row (with_references). #}
{% set url_pattern = "'^https://[A-Za-z0-9-]+(?:\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}(?::[0-9]+)?/[^[:space:]]+$'" %}
{% set checks = [
    {'reason': 'orphan_reference',
     'when': 'not vehicle_exists or not listing_exists or not work_order_exists',
     'value': "concat_ws('; ', case when not vehicle_exists then 'vehicle_id=' || vehicle_id end, case when not listing_exists then 'listing_id=' || listing_id end, case when not work_order_exists then 'work_order_id=' || work_order_id end)"},
    {'reason': 'missing_required_value',
     'when': "vehicle_id is null or nullif(trimmed_url, '') is null",
     'value': "'vehicle_id=' || coalesce(vehicle_id::text, '<null>') || '; image_url=' || coalesce(image_url, '<null>')"},
    {'reason': 'malformed_url',
     'when': "nullif(trimmed_url, '') is not null and trimmed_url !~ " ~ url_pattern,
     'value': 'image_url'},
    {'reason': 'duplicate_image_url', 'when': 'url_rank > 1', 'value': 'image_url'},
    {'reason': 'listing_vehicle_mismatch',
     'when': 'listing_vehicle_id <> vehicle_id',
     'value': "'vehicle_id=' || vehicle_id || '; listing vehicle_id=' || listing_vehicle_id"},
    {'reason': 'unknown_enum_value',
     'when': "lower(btrim(category)) not in " ~ categories ~ " and not " ~ is_placeholder('category'),
     'value': 'category'},
    {'reason': 'missing_optional_value',
     'when': "category is null or " ~ is_placeholder('category'),
     'value': "coalesce(category, '<null>')"},
    {'reason': 'uploaded_after_listing_end',
     'when': 'uploaded_at > listing_ended_at',
     'value': "'uploaded_at=' || uploaded_at || '; listing ended_at=' || listing_ended_at"},
    {'reason': 'unknown_upload_time', 'when': 'uploaded_at is null', 'value': "'uploaded_at=<null>'"},
    {'reason': 'future_timestamp', 'when': 'taken_at > _loaded_at', 'value': 'taken_at'},
    {'reason': 'epoch_timestamp', 'when': "taken_at < timestamptz '1970-01-01 00:00:00+00' + " ~ rule_parameter('timestamps', 'epoch_line_days') ~ " * interval '1 day'", 'value': 'taken_at'},
    {'reason': 'invalid_dimension',
     'when': dq_any(['width', 'height'], '{col} <= 0'),
     'value': dq_evidence(['width', 'height'], '{col} <= 0')},
    {'reason': 'unknown_user_reference', 'when': 'uploader_id is not null and not uploader_exists', 'value': 'uploader_id'},
] %}

{{
    config(
        materialized='incremental',
        unique_key='image_id',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
        pre_hook=["{{ empty_if_raw_was_replaced('vehicle_images', 'image_id') }}"],
        indexes=[{'columns': ['image_id'], 'unique': True}, {'columns': ['image_url']}, {'columns': ['loaded_at']}],
    )
}}

with

{% if is_incremental() %}
{#- Incremental run (macros/staging/incremental_staging.sql): the images delivered since the watermark or whose
    vehicle, listing, work order or uploader was, plus every image sharing a URL with them (url_rank). The raw
    table is read twice (the rows delivered since, then every delivery of the ids to recompute); the URL groups
    come from this model's own rows through its indexes (image_id, image_url, loaded_at: the config above),
    because an image's URL before this run is its staged one. #}
    watermark as (
        {{ staging_watermark() }}
    ),

    directly_affected as (
        {{ ids_loaded_since('vehicle_images', 'watermark', {
            'vehicle_id': 'vehicles', 'listing_id': 'bat_listings',
            'work_order_id': 'service_records', 'uploader_id': 'users'
        }, extra_columns=['btrim(child.image_url) as image_url']) }}
    ),

    affected_urls as (
        {#- The URL an affected image moves to (its rows read above) and the one it leaves (its staged row). #}
        select directly_affected.image_url from directly_affected
        union
        select staged.image_url
        from {{ this }} as staged
        where staged.image_id in (select directly_affected.id from directly_affected)
    ),

    recomputed_ids as (
        select directly_affected.id from directly_affected
        union
        select staged.image_id
        from {{ this }} as staged
        where staged.image_url in (select affected_urls.image_url from affected_urls)
        union
        {#- images without a URL are ranked among themselves too #}
        select staged.image_id
        from {{ this }} as staged
        where
            staged.image_url is null
            and exists (
                select 1 from affected_urls
                where affected_urls.image_url is null
            )
    ),
{% endif %}

source as (
    select * from {{ source('marketplace', 'vehicle_images') }}
    {%- if is_incremental() %}
        where id in (select recomputed_ids.id from recomputed_ids)
    {%- else %}
        {#- a row without an id cannot be keyed: stg_marketplace__rows_without_id counts it #}
        where id is not null
    {%- endif %}
),

latest_delivery as (
    {{ keep_latest_delivery('source', 'id', ['uploaded_at']) }}
),

listings as (
    {{ latest_listing_facts(['vehicle_id', 'ended_at']) }}
),

with_references as (
    {#- Reasoned exception to "no joins in staging": orphans and re-used URLs break the source
        contract, and staging names every rule a row breaks. The first upload of a URL is kept; a gallery
        photo must show its listing's vehicle. #}
    select
        latest_delivery.*,
        btrim(latest_delivery.image_url) as trimmed_url,
        row_number() over (
            partition by btrim(latest_delivery.image_url)
            order by latest_delivery.uploaded_at, latest_delivery.id
        ) as url_rank,
        exists(
            select 1 from {{ source('marketplace', 'vehicles') }} as vehicles
            where vehicles.id = latest_delivery.vehicle_id
        ) as vehicle_exists,
        latest_delivery.listing_id is null or listings.listing_id is not null as listing_exists,
        listings.listing_vehicle_id,
        listings.listing_ended_at,
        latest_delivery.work_order_id is null or exists (
            select 1 from {{ source('marketplace', 'service_records') }} as service_records
            where service_records.id = latest_delivery.work_order_id
        ) as work_order_exists,
        exists(
            select 1 from {{ source('marketplace', 'users') }} as users
            where users.id = latest_delivery.uploader_id
        ) as uploader_exists
    from latest_delivery
    left join listings
        on latest_delivery.listing_id = listings.listing_id
),

checked as (
    select
        with_references.*,
        {{ dq_issue_columns(checks) }}
    from with_references
    {#- offset 0 keeps this step a plan node of its own: otherwise PostgreSQL copies the dq_issues
        expression into every later reference and evaluates each rule several times per row. #}
    offset 0  -- noqa: AM09
),

renamed as (
    select
        id as image_id,
        vehicle_id,
        listing_id,
        work_order_id,
        case when uploader_exists then uploader_id end as uploader_id,
        trimmed_url as image_url,
        {#- A category outside the known eight, or none, is unknown: the photo is still packaged. #}
        case when lower(btrim(category)) in {{ categories }} then lower(btrim(category)) end as image_category,
        position as gallery_position,
        case when width > 0 then width end as width_px,
        case when height > 0 then height end as height_px,
        case
            when not dq_issues && array['future_timestamp', 'epoch_timestamp'] then taken_at
        end as taken_at,
        uploaded_at,
        _loaded_at as loaded_at,
        delivery_count,
        dq_issues,
        {{ dq_evidence_column(checks) }},
        {{ dq_has_blocking_issue('vehicle_images') }} as has_blocking_issue
    from checked
)

select * from renamed
{#- An incremental run keeps every row it computed: each recomputed image's latest URL is one of affected_urls (a new
    delivery's is read above, an old one's is its staged URL), and every image whose latest URL is one of them was
    recomputed, so each URL group is ranked whole. #}
