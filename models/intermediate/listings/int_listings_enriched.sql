{#
    One row per clean listing, with the vehicle AS IT WAS WHEN THE LISTING STARTED and what the
    seller showed at that time. Live listings are kept (they have no outcome yet); packages take only
    finished listings of cars (lot_category = 'car').

    Point in time (nothing from a later state of the vehicle):
    - the vehicle's state is the delivered state valid at the start (stg_marketplace__vehicle_states);
      mileage, colour and grade come from it or stay null. When no state from before the start was
      delivered, the identity (year, make, model, specs) comes from the first state delivered to the
      warehouse, since a vehicle's identity does not change and a later delivery (a correction, a
      perturbation) must not rewrite a past package; never its mileage, colour or grade;
    - mileage falls back to the best evidence before the start: the listing's own text (a mileage in
      the title or an odometer statement in the description), then the latest service record
      before the start; mileage_source says which (seeds/name_patterns.csv holds the patterns); a listing
      that says the true mileage is unknown (TMU) has no mileage from any of them;
    - photos count at the start only when uploaded by then; photos added during the auction are
      counted apart; photos uploaded after the end are left out (and flagged in staging).
    Unknown is not zero: a description that was not delivered leaves its facts null, and so does a
    service-records source that had no record before the listing started (an empty table) for the
    service history.
    The lot category adds the listing title's evidence to the vehicle's (macro lot_keyword_match).
#}

with

{#- Not materialized: the steps below join it to large inputs, and a materialized CTE has no statistics, so
    PostgreSQL hashed the 2M gallery photos to join 12.7K listings (2.6 s for the gallery counts instead of 0.9 s). #}
listings as not materialized (
    select * from {{ ref('stg_marketplace__bat_listings') }}
    where not has_blocking_issue
),

vehicle_states as (
    select * from {{ ref('stg_marketplace__vehicle_states') }}
),

images as (
    select * from {{ ref('stg_marketplace__vehicle_images') }}
    where not has_blocking_issue and listing_id is not null
),

service_records as (
    select * from {{ ref('stg_marketplace__service_records') }}
    where not has_blocking_issue
),

description_signals as (
    select * from {{ ref('description_signals') }}
),

first_listing_starts as (
    {#- Every listing of the vehicle whose start can be trusted, clean or not: one blocked for its price or its
        text was still on the market, so days on market count from it (a start that is missing, in the future of
        its delivery, before the epoch line or after the end, or a listing of a vehicle never delivered, is no
        evidence; an end in the future of the delivery, a live listing's, says nothing against its start). #}
    select
        vehicle_id,
        min(started_at) as first_started_at
    from {{ ref('stg_marketplace__bat_listings') }}
    where
        started_at <= loaded_at
        and not dq_issues && array['epoch_timestamp', 'ended_before_started', 'orphan_reference']
    group by vehicle_id
),

service_records_delivered as (
    {#- Service records say nothing about a vehicle's history before the source delivered any: a
        listing that started before the first clean record on file has an unknown history, not none.
        (A later record never changes this for an earlier listing.) #}
    select min(performed_date) as first_performed_date
    from service_records
),

state_at_start as (
    select
        listings.listing_id,
        vehicle_states.*
    from listings
    inner join vehicle_states
        on
            listings.vehicle_id = vehicle_states.vehicle_id
            and {{ valid_at('vehicle_states', 'listings.started_at') }}
),

earliest_state as (
    select distinct on (vehicle_states.vehicle_id) vehicle_states.*
    from vehicle_states
    order by vehicle_states.vehicle_id asc, vehicle_states.first_loaded_at asc, vehicle_states.valid_from asc
),

with_vehicle as (
    select
        listings.*,
        state_at_start.vehicle_id is not null as has_state_at_start,
        coalesce(state_at_start.has_blocking_issue, earliest_state.has_blocking_issue) as vehicle_is_blocked,
        coalesce(state_at_start.valid_from, earliest_state.valid_from) as vehicle_state_valid_from,
        {%- for column in ['model_year', 'make', 'model', 'model_key', 'model_generation', 'trim_level', 'engine',
                          'body_style', 'drivetrain', 'transmission_family', 'lot_category', 'lot_rule'] %}
            case when state_at_start.vehicle_id is not null then state_at_start.{{ column }} else earliest_state.{{ column }} end
                as vehicle_{{ column }},
        {%- endfor %}
        state_at_start.mileage as state_mileage,
        state_at_start.color,
        state_at_start.condition_rating
    from listings
    left join state_at_start
        on listings.listing_id = state_at_start.listing_id
    left join earliest_state
        on listings.vehicle_id = earliest_state.vehicle_id
),

classified as (
    {#- The listing title adds evidence the vehicle row lacks: "Tool Kit for Porsche 964", a Honda CT70
        under make Honda. The title head leaves out what the lot comes with ("... with Hardtop"). #}
    select
        titled.*,
        {{ lot_category_from('titled.vehicle_lot_category', 'lot_match.lot_category') }} as lot_category,
        case
            when {{ lot_category_rank('lot_match.lot_category') }} < {{ lot_category_rank('titled.vehicle_lot_category') }}
                then lot_match.keyword_id
            else titled.vehicle_lot_rule
        end as lot_rule
    from (
        select
            head.*,
            concat_ws(' ', head.title_head, lower(head.vehicle_model), lower(head.vehicle_trim_level)) as lot_text,
            head.vehicle_model_year is null
            or head.title_head !~ {{ name_pattern('title_year') }}
            or head.title_head ~ {{ name_pattern('title_part_for') }} as weak_lot_evidence
        from (
            select
                with_vehicle.*,
                {#- UI text first ("... Sold for $28,500"), so its "for" is no part lot's "for". #}
                btrim(regexp_replace(
                    regexp_replace({{ strip_ui_text('lower(with_vehicle.title)') }}, {{ name_pattern('title_prefix') }}, ''),
                    {{ name_pattern('title_clause') }}, ''
                )) as title_head
            from with_vehicle
        ) as head
        {#- Sorted and fenced, so the title is cleaned once per listing and before the keyword look-up,
            not again per keyword (PostgreSQL keeps only 32 compiled regular expressions; see
            stg_marketplace__vehicle_states). #}
        order by head.listing_id
        offset 0  -- noqa: AM09
    ) as titled
    {{ lot_keyword_match(
        make_name='titled.vehicle_make',
        title_head='titled.title_head',
        lot_text='titled.lot_text',
        body_style='lower(titled.vehicle_body_style)',
        weak_evidence='titled.weak_lot_evidence'
    ) }}
),

listing_text_mileage as (
    {#- A mileage the listing states: the title's "31k-Mile", the description's odometer sentence or
        "31k Miles Shown"; none when the listing says the true mileage is unknown (TMU). #}
    select
        classified.listing_id,
        coalesce(
            regexp_match(lower(classified.title), {{ name_pattern('mileage_title') }}),
            regexp_match(lower(classified.description), {{ name_pattern('mileage_description') }}),
            regexp_match(lower(classified.description), {{ name_pattern('mileage_shown') }})
        ) as mileage_parts,
        coalesce(lower(classified.title) ~ {{ name_pattern('mileage_unknown') }}, false)
        or coalesce(lower(classified.description) ~ {{ name_pattern('mileage_unknown') }}, false)
            as says_mileage_unknown
    from classified
),

service_mileage_before_start as (
    {#- The latest odometer reading of a service record dated before the listing started. #}
    select distinct on (listings.listing_id)
        listings.listing_id,
        service_records.mileage_at_service
    from listings
    inner join service_records
        on
            listings.vehicle_id = service_records.vehicle_id
            and service_records.performed_date < listings.started_at::date
            and service_records.mileage_at_service is not null
    order by listings.listing_id asc, service_records.performed_date desc, service_records.work_order_id desc
),

service_history as (
    {#- Only work done before the listing started was known to the seller when it went up. #}
    select
        listings.listing_id,
        count(*) as service_records_before_start
    from listings
    inner join service_records
        on
            listings.vehicle_id = service_records.vehicle_id
            and service_records.performed_date < listings.started_at::date
    group by listings.listing_id
),

gallery_counts as (
    select
        listings.listing_id,
        count(*) filter (where images.uploaded_at <= listings.started_at) as image_count_at_start,
        count(*) filter (
            where images.uploaded_at <= listings.started_at and images.image_category = 'documents'
        ) as document_photo_count_at_start,
        {#- A platform that does not categorise its photos (or a scrape that lost the categories) says nothing about
            which of them are documents: the count of documents is then a lower bound only. #}
        count(*) filter (
            where images.uploaded_at <= listings.started_at and images.image_category is null
        ) as uncategorised_photos_at_start,
        count(*) filter (
            where images.uploaded_at > listings.started_at
            and (listings.ended_at is null or images.uploaded_at <= listings.ended_at)
        ) as photos_added_during_listing,
        count(*) filter (where images.uploaded_at > listings.ended_at) as photos_uploaded_after_end,
        {#- A photo without an upload time may have been there at the start or added later: while one is in the
            gallery, the counts above are lower bounds only, and the listing's counts are unknown (final). #}
        count(*) filter (where images.uploaded_at is null) as photos_of_unknown_upload_time,
        count(*) filter (
            where images.uploaded_at is null and coalesce(images.image_category, 'documents') = 'documents'
        ) as document_photos_of_unknown_upload_time,
        {#- What the listing mart reads of each photo by the end, summed as int_listings_packaged's fingerprint
            of the gallery: taken here, where the gallery is read anyway (a second pass over the 1.9M photos
            there took 0.6-0.7 s on its own at scale 0.1). hash_record_extended hashes the values as they are,
            6x faster than md5 of their text; 64 bits per row are plenty to see a change. #}
        sum(hash_record_extended(row(
            images.image_id, images.image_url, images.image_category, images.gallery_position,
            images.width_px, images.height_px, images.uploaded_at
        ), 0)) filter (where images.uploaded_at is null or images.uploaded_at <= listings.ended_at) as gallery_hash_sum
    from listings
    inner join images
        on listings.listing_id = images.listing_id
    group by listings.listing_id
),

final as (
    select
        classified.listing_id,
        classified.vehicle_id,
        classified.seller_id,
        classified.seller_type,
        classified.platform,
        classified.started_at,
        classified.ended_at,
        classified.listing_status,
        classified.sale_price,
        classified.high_bid,
        classified.is_no_reserve,
        classified.platform_view_count,
        classified.platform_watcher_count,
        classified.platform_comment_count,
        classified.platform_bid_count,
        classified.loaded_at,
        length(classified.description) as description_length,
        classified.description ~* (
            select description_signals.pattern from description_signals
            where description_signals.signal = 'service_records'
        ) as mentions_service_records,
        classified.description ~* (
            select description_signals.pattern from description_signals
            where description_signals.signal = 'documentation'
        ) as mentions_documentation,
        classified.description ~* (
            select description_signals.pattern from description_signals
            where description_signals.signal = 'ownership_history'
        ) as mentions_ownership_history,
        classified.has_state_at_start as has_vehicle_state_at_start,
        classified.vehicle_state_valid_from,
        classified.vehicle_model_year as model_year,
        (classified.vehicle_model_year / 10) * 10 as model_decade,
        classified.vehicle_make as make,
        classified.vehicle_model as model,
        classified.vehicle_model_key as model_key,
        classified.vehicle_model_generation as model_generation,
        classified.vehicle_trim_level as trim_level,
        classified.vehicle_engine as engine,
        classified.vehicle_body_style as body_style,
        classified.vehicle_drivetrain as drivetrain,
        classified.vehicle_transmission_family as transmission_family,
        classified.color,
        classified.condition_rating,
        {#- A listing that says the true mileage is unknown (TMU) makes every odometer reading of the car unknown:
            the vehicle record's, its own text's and the service records'. #}
        case
            when listing_text_mileage.says_mileage_unknown then null
            {#- The record holds the very reading the listing states in kilometres ("45,000 km", "45k km"): a
                scrape copied the number without its unit, so it is converted. #}
            when
                listing_text_mileage.mileage_parts[3] ~ '^k'
                and abs(classified.state_mileage - {{ mileage_as_stated('listing_text_mileage.mileage_parts') }})
                <= case when listing_text_mileage.mileage_parts[2] = 'k' then 500 else 0 end
                then round(classified.state_mileage * {{ miles_per_kilometre() }})::integer
            when classified.state_mileage is not null then classified.state_mileage
            when listing_text_mileage.mileage_parts is not null
                then {{ mileage_in_miles('listing_text_mileage.mileage_parts') }}
            else service_mileage_before_start.mileage_at_service
        end as mileage,
        case
            when listing_text_mileage.says_mileage_unknown then null
            when classified.state_mileage is not null then 'vehicle_record'
            when listing_text_mileage.mileage_parts is not null then 'listing_text'
            when service_mileage_before_start.mileage_at_service is not null then 'service_record'
        end as mileage_source,
        classified.lot_category,
        classified.lot_rule,
        case
            when coalesce(gallery_counts.photos_of_unknown_upload_time, 0) = 0
                then coalesce(gallery_counts.image_count_at_start, 0)::integer
        end as image_count,
        {#- Documents only: an undated photo that is no document (by its category) leaves that count known; an
            uncategorised photo at the start may be a document, so it leaves the count unknown, and the documents
            photos counted are then a lower bound (document_photo_count_at_least). #}
        case
            when
                coalesce(gallery_counts.document_photos_of_unknown_upload_time, 0) = 0
                and coalesce(gallery_counts.uncategorised_photos_at_start, 0) = 0
                then coalesce(gallery_counts.document_photo_count_at_start, 0)::integer
        end as document_photo_count,
        coalesce(gallery_counts.document_photo_count_at_start, 0)::integer as document_photo_count_at_least,
        case
            when coalesce(gallery_counts.photos_of_unknown_upload_time, 0) = 0
                then coalesce(gallery_counts.photos_added_during_listing, 0)::integer
        end as photos_added_during_listing,
        coalesce(gallery_counts.photos_uploaded_after_end, 0)::integer as photos_uploaded_after_end,
        gallery_counts.gallery_hash_sum,
        case
            when service_records_delivered.first_performed_date < classified.started_at::date
                then coalesce(service_history.service_records_before_start, 0)::integer
        end as service_records_before_start,
        {#- The listing itself is among first_listing_starts (a clean start passes its filter); least() keeps that
            true for a listing whose vehicle has no other. #}
        least(classified.started_at, first_listing_starts.first_started_at) as vehicle_first_listed_at
    from classified
    cross join service_records_delivered
    left join first_listing_starts
        on classified.vehicle_id = first_listing_starts.vehicle_id
    left join listing_text_mileage
        on classified.listing_id = listing_text_mileage.listing_id
    left join service_mileage_before_start
        on classified.listing_id = service_mileage_before_start.listing_id
    left join service_history
        on classified.listing_id = service_history.listing_id
    left join gallery_counts
        on classified.listing_id = gallery_counts.listing_id
    where not coalesce(classified.vehicle_is_blocked, true)
)

select * from final
