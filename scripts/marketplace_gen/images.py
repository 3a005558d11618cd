"""Vehicle images, streamed in chunks as binary COPY: listing galleries, work photos, garage photos.

About 89 images per vehicle (source_schema.md): the listing galleries come first, and the rest of that
budget is split between technicians' work photos (62%, by their documentation habit) and current owners'
garage photos (38%, by archetype). A gallery is uploaded before its listing starts; about 10% of listings
get a few more photos while the auction runs and 3% some 1-60 days after it ended (still under that
listing). ``plan_image_counts`` draws the counts from STREAM_IMAGES (0, 0); chunk c of kind k (0 gallery,
1 work, 2 garage) draws from STREAM_IMAGES (k + 1, c), where c counts chunks over all three kinds: upload
and capture times, EXIF and size gaps, then uuids, load times (late rows) and the re-sends' load times.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import catalog_extra, platforms
from .chunks import ChildRows, CopyChunk, chunk_load_times, rows_per_parent, written_rows
from .common import DAY, KIND_NON_VEHICLE, STREAM_IMAGES, stream_rng
from .copytext import Rows, Vocab, ndigits, uuid_bytes, uuid_text
from .defects import ORPHAN_BASE, TABLE_KINDS, Ledger, StreamedDefectPlan, shift_to_eligible
from .delivery import STREAMED_LOAD_MARGIN, Extract
from .tables import ServiceDefectPlan
from .world import World

TABLE = "vehicle_images"
GALLERY, WORK, GARAGE = 0, 1, 2
PARENTS_PER_CHUNK = {GALLERY: 600, WORK: 25000, GARAGE: 10000}  # listings, service records, vehicles
CATEGORIES = [b"exterior", b"interior", b"engine", b"undercarriage", b"detail", b"documents", b"garage", b"work"]
# the unknown_enum_value defect: categories outside the eight, as an upstream system might send them
UNKNOWN_CATEGORIES = [b"Exterior Photos", b"misc", b"Engine Bay", b"walkaround"]
CATEGORY_VOCAB = Vocab(CATEGORIES + UNKNOWN_CATEGORIES)
EXTERIOR, ENGINE, UNDERCARRIAGE, DETAIL, DOCUMENTS, GARAGE_CATEGORY, WORK_CATEGORY = 0, 2, 3, 4, 5, 6, 7
NO_CATEGORY = -1  # null: the platform does not categorise (Cars & Bids galleries) or the defect
CATEGORY_DEFECTS = ("missing_optional_value", "unknown_enum_value")
# a gallery's non-document photos: 45% exterior, 22% interior, 10% engine, 8% undercarriage, the rest detail
GALLERY_SHARES = np.cumsum([0.45, 0.22, 0.10, 0.08])
CAMERA_DIMENSIONS = np.array([[2048, 1365], [1600, 1067], [3000, 2000], [1920, 1280], [2048, 1536], [1200, 800]])
PHONE_DIMENSIONS = np.array([[4032, 3024], [3024, 4032], [1600, 1200], [4000, 3000]])
URL_PREFIX = b"https://cdn.example-marketplace.com/images/"
MALFORMED = Vocab([s.encode() for s in catalog_extra.MALFORMED_URLS])
UUID_URL_TAIL = 1 + 36 + 4  # "/" + uuid + ".jpg"


@dataclass
class ImagePlan:
    """Photos per parent: per listing gallery (0 for blocked listings) and the photos added to it during
    the auction and after its end, per service record, per vehicle."""

    gallery: np.ndarray
    during: np.ndarray  # gallery photos uploaded while the auction runs
    after: np.ndarray  # gallery photos uploaded 1-60 days after it ended
    work: np.ndarray
    garage: np.ndarray

    def counts(self, kind: int) -> np.ndarray:
        return (self.gallery + self.during + self.after, self.work, self.garage)[kind]


class ImageChunk(NamedTuple):
    kind: int  # GALLERY, WORK or GARAGE
    lo: int  # parents lo .. hi - 1
    hi: int
    rows: int


@dataclass
class PhotoRows:
    """One chunk's photos before ids, URLs and defects."""

    vehicle: np.ndarray
    listing_id: np.ndarray  # -1 = null
    work_order_id: np.ndarray  # -1 = null
    uploader: np.ndarray  # 0-based user index
    category: np.ndarray
    uploaded_at: np.ndarray
    taken_at: np.ndarray
    no_exif: np.ndarray  # taken_at unknown
    dimensions: np.ndarray  # (n, 2)
    dimensions_unknown: np.ndarray
    not_before: np.ndarray  # the load time of what the photo references (listing, work order, vehicle)


@dataclass
class _ImageColumns:
    """A chunk's columns besides PhotoRows', which defects change in place."""

    uuid_raw: np.ndarray  # (n, 16): the id
    uuid: np.ndarray  # (n, 36) as text: the ground-truth key and the URL's file name
    url_uuid: np.ndarray  # the file name in the URL (duplicate_image_url copies the previous photo's)
    url_vehicle_id: np.ndarray  # the vehicle folder in the URL (an orphan keeps its real one)
    url_null: np.ndarray
    upload_time_null: np.ndarray  # uploaded_at delivered as null (a scraped gallery has no upload times)
    malformed: np.ndarray  # index into MALFORMED_URLS, -1 = a well-formed URL
    vehicle_id: np.ndarray


def plan_image_counts(world: World, service_plan: ServiceDefectPlan) -> ImagePlan:
    """Decide photo counts per work order and garage photos per vehicle (images ~ 89 per vehicle)."""
    listings, service, vehicles, own = world.listings, world.service, world.vehicles, world.ownerships
    rng = stream_rng(world.cfg.seed, STREAM_IMAGES, 0, 0)
    gallery = world.market.gallery_size * listings.has_children
    rest = max(0.0, 89.0 * vehicles.n - float(gallery.sum()))
    work_rate = service.photo_rate * (~service_plan.orphan)
    owned = (vehicles.current_ownership >= 0) & (vehicles.kind != KIND_NON_VEHICLE)
    garage_by_archetype = np.array([1.5, 0.5, 2.0, 1.0])
    garage_rate = np.where(owned, garage_by_archetype[own.archetype[np.maximum(vehicles.current_ownership, 0)]], 0.0)
    work_scale = 0.62 * rest / work_rate.sum() if work_rate.sum() > 0 else 0.0
    garage_scale = 0.38 * rest / garage_rate.sum() if garage_rate.sum() > 0 else 0.0
    work = rng.poisson(work_rate * work_scale).astype(np.int64)
    garage = rng.poisson(garage_rate * garage_scale).astype(np.int64)
    during, after = _late_gallery_counts(rng, world, gallery > 0)
    return ImagePlan(gallery, during, after, work, garage)


def _late_gallery_counts(rng: np.random.Generator, world: World, has_gallery: np.ndarray):
    """About 10% of galleries get 1-5 photos while the auction runs, 3% get 1-10 in the two months after it
    ended (if the simulation reaches two days past the end)."""
    listings, world_end = world.listings, world.cfg.world_end
    n = listings.n
    during = np.where(has_gallery & (rng.random(n) < 0.10), rng.integers(1, 6, n), 0)
    ended_in_time = (listings.end >= 0) & (listings.end + 2 * DAY < world_end)
    after = np.where(has_gallery & ended_in_time & (rng.random(n) < 0.03), rng.integers(1, 11, n), 0)
    return during.astype(np.int64), after.astype(np.int64)


def image_chunks(
    world: World, ledger: Ledger, service_plan: ServiceDefectPlan, extract: Extract
) -> Iterator[CopyChunk]:
    plan = plan_image_counts(world, service_plan)
    chunks = _chunk_list(plan)
    defects = ledger.plan_streamed(TABLE, sum(c.rows for c in chunks))
    spans = {kind: _load_span(world, kind) for kind in (GALLERY, WORK, GARAGE)}
    first_row = 0
    for number, chunk in enumerate(chunks):
        earliest, latest = spans[chunk.kind]
        if chunk.rows and extract.may_hold(earliest[chunk.lo : chunk.hi].min(), latest[chunk.lo : chunk.hi].max()):
            yield images_chunk(world, ledger, extract, plan, defects, number, chunk, first_row)
        first_row += chunk.rows


def _load_span(world: World, kind: int) -> tuple[np.ndarray, np.ndarray]:
    """Per parent (listing, work order or vehicle), the earliest and latest load time of its photos: no
    earlier than what they reference, no later than STREAMED_LOAD_MARGIN after the last upload (a gallery
    photo up to 61 days after the end, a work photo 3 days after the work, a garage photo any time)."""
    arrivals, world_end = world.arrivals, world.cfg.world_end
    if kind == GALLERY:
        listings = world.listings
        window_end = np.where(listings.end >= 0, listings.end, world_end)
        first = arrivals.listing_first
        return first, np.maximum(first, window_end + 61 * DAY) + STREAMED_LOAD_MARGIN
    if kind == WORK:
        service, tech = world.service, world.technicians
        shop = np.where(service.technician >= 0, tech.user_index[np.maximum(service.technician, 0)], -1)
        uploader = np.where(shop >= 0, shop, world.ownerships.owner[service.ownership])
        latest = np.maximum.reduce(
            [arrivals.service, service.performed_at + 4 * DAY, arrivals.user_joined[uploader]]
        )
        return arrivals.service, latest + STREAMED_LOAD_MARGIN
    vehicles = world.vehicles
    return arrivals.vehicle_first, np.full(vehicles.n, world_end + STREAMED_LOAD_MARGIN)


def _chunk_list(plan: ImagePlan) -> list[ImageChunk]:
    """Chunks in output order: galleries, work photos, garage photos."""
    out = []
    for kind in (GALLERY, WORK, GARAGE):
        counts, per_chunk = plan.counts(kind), PARENTS_PER_CHUNK[kind]
        for lo in range(0, len(counts), per_chunk):
            hi = min(len(counts), lo + per_chunk)
            out.append(ImageChunk(kind, lo, hi, int(counts[lo:hi].sum())))
    return out


def images_chunk(
    world: World,
    ledger: Ledger,
    extract: Extract,
    plan: ImagePlan,
    defects: StreamedDefectPlan,
    number: int,
    chunk: ImageChunk,
    first_row: int,
) -> CopyChunk:
    """The photos of parents chunk.lo .. chunk.hi - 1, whose first photo is global row ``first_row``; the
    ones ``extract`` writes."""
    rng = stream_rng(world.cfg.seed, STREAM_IMAGES, chunk.kind + 1, number)
    parents = np.arange(chunk.lo, chunk.hi)
    counts = plan.counts(chunk.kind)[parents]
    children = rows_per_parent(counts)
    make_photos = (_gallery_photos, _work_photos, _garage_photos)[chunk.kind]
    photos = make_photos(rng, world, plan, parents, counts, children)
    n = len(children.parent)
    uuid_raw = uuid_bytes(rng, n)
    uuid = uuid_text(uuid_raw)
    columns = _ImageColumns(
        uuid_raw=uuid_raw,
        uuid=uuid,
        url_uuid=uuid.copy(),
        url_vehicle_id=photos.vehicle + 1,
        url_null=np.zeros(n, dtype=bool),
        upload_time_null=np.zeros(n, dtype=bool),
        malformed=np.full(n, -1, dtype=np.int64),
        vehicle_id=photos.vehicle + 1,
    )
    loaded = chunk_load_times(rng, photos.uploaded_at, photos.not_before)
    resent = _apply_defects(columns, photos, loaded, children.position, defects, first_row, ledger)
    keys = {row: uuid[row].tobytes().decode() for row in resent.tolist()}
    out, loaded = written_rows(TABLE, loaded, resent, keys, rng, ledger, extract)
    return CopyChunk(_encode(out, loaded, columns, photos, children.position), len(out))


def _gallery_photos(
    rng: np.random.Generator,
    world: World,
    plan: ImagePlan,
    parents: np.ndarray,
    counts: np.ndarray,
    children: ChildRows,
) -> PhotoRows:
    """A listing's gallery, uploaded 1-10 days before it starts, shot up to 60 days before that; paperwork
    photos last (uncategorised on a platform that does not categorise), then the photos added while the
    auction runs and after it ended. Camera sizes; a few without EXIF."""
    listings, market, arrivals = world.listings, world.market, world.arrivals
    parent, position = children.parent, children.position
    n, n_parents = len(parent), len(parents)
    listing = parents[parent]
    gallery_size = plan.gallery[listing]
    not_documents = gallery_size - market.n_documents[listing]
    bounds = np.round(not_documents[:, None] * GALLERY_SHARES[None, :]).astype(np.int64)
    category = (position[:, None] >= bounds).sum(axis=1)
    category = np.where(position >= not_documents, DOCUMENTS, category)
    upload_base = listings.start[parents] - (DAY + rng.random(n_parents) * 9 * DAY).astype(np.int64)
    uploaded_at = upload_base[parent] + position * 7 + rng.integers(0, 6, n)
    shoot_before = (3600 + rng.random(n_parents) * 60 * DAY).astype(np.int64)
    taken_at = upload_base[parent] - shoot_before[parent] + position * 5
    late = position >= gallery_size
    if late.any():
        late_upload, late_category = _late_uploads(rng, world, plan, listing, position - gallery_size)
        uploaded_at = np.where(late, late_upload, uploaded_at)
        taken_at = np.where(late, late_upload - (3600 + rng.random(n) * 3 * DAY).astype(np.int64), taken_at)
        category = np.where(late, late_category, category)
    uncategorised = world.listing_platform[listing] == platforms.PLATFORM_CARS_AND_BIDS
    category = np.where(uncategorised, NO_CATEGORY, category)
    no_exif = (rng.random(n_parents) < 0.15)[parent] | (rng.random(n) < 0.03)
    dimensions = CAMERA_DIMENSIONS[rng.integers(0, len(CAMERA_DIMENSIONS), n_parents)][parent]
    dimensions_unknown = (rng.random(n_parents) < 0.04)[parent]
    seller = listings.seller[listing]
    return PhotoRows(
        vehicle=listings.vehicle[listing],
        listing_id=listings.ids[listing],
        work_order_id=np.full(n, -1, dtype=np.int64),
        uploader=seller,
        category=category,
        uploaded_at=uploaded_at,
        taken_at=taken_at,
        no_exif=no_exif,
        dimensions=dimensions,
        dimensions_unknown=dimensions_unknown,
        not_before=np.maximum(arrivals.listing_first[listing], arrivals.user_joined[seller]),
    )


def _late_uploads(
    rng: np.random.Generator, world: World, plan: ImagePlan, listing: np.ndarray, late_position: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(upload time, category) of the photos a seller adds to a gallery late: while the auction runs
    (details answering questions) and 1-60 days after it ended (back home)."""
    listings, world_end = world.listings, world.cfg.world_end
    n = len(listing)
    start, end = listings.start[listing], listings.end[listing]
    running_until = np.where(end >= 0, end, world_end) - 600
    during = late_position < plan.during[listing]
    while_running = start + 600 + (rng.random(n) * np.maximum(running_until - start - 600, 1)).astype(np.int64)
    days_left = np.clip((world_end - end) / DAY - 1.0, 0.0, 60.0)
    after_end = end + DAY + (rng.random(n) * np.maximum(days_left - 1.0, 0.0) * DAY).astype(np.int64)
    while_running_category = np.array([DETAIL, UNDERCARRIAGE, ENGINE])[late_position % 3]
    after_end_category = np.array([EXTERIOR, DETAIL])[late_position % 2]
    return (
        np.where(during, while_running, after_end),
        np.where(during, while_running_category, after_end_category),
    )


def _work_photos(
    rng: np.random.Generator,
    world: World,
    plan: ImagePlan,
    parents: np.ndarray,
    counts: np.ndarray,
    children: ChildRows,
) -> PhotoRows:
    """A work order's photos, uploaded by the shop's account (else the owner) within 3 days of the work,
    taken over its course: two days for meticulous technicians, hours for the others. Phone sizes."""
    service, tech, world_end = world.service, world.technicians, world.cfg.world_end
    parent, position = children.parent, children.position
    n, n_parents = len(parent), len(parents)
    record = parents[parent]
    technician = service.technician[record]
    shop_account = np.where(technician >= 0, tech.user_index[np.maximum(technician, 0)], -1)
    uploader = np.where(shop_account >= 0, shop_account, world.ownerships.owner[service.ownership[record]])
    upload_base = service.day[parents] * DAY + 9 * 3600 + (rng.random(n_parents) * 3 * DAY).astype(np.int64)
    upload_base = np.minimum(upload_base, world_end - 2 * DAY)
    uploaded_at = upload_base[parent] + position * 13 + rng.integers(0, 10, n)
    span = np.where(service.habit[parents] == 2, 2 * DAY, 8 * 3600)
    taken_at = uploaded_at - (span[parent] * (1.0 - (position + 1) / (counts[parent] + 1))).astype(np.int64) - 60
    no_exif = (rng.random(n_parents) < 0.3)[parent]
    dimensions = PHONE_DIMENSIONS[rng.integers(0, len(PHONE_DIMENSIONS), n_parents)][parent]
    dimensions_unknown = (rng.random(n_parents) < 0.1)[parent]
    return PhotoRows(
        vehicle=service.vehicle[record],
        listing_id=np.full(n, -1, dtype=np.int64),
        work_order_id=service.ids[record],
        uploader=uploader,
        category=np.full(n, WORK_CATEGORY),
        uploaded_at=uploaded_at,
        taken_at=taken_at,
        no_exif=no_exif,
        dimensions=dimensions,
        dimensions_unknown=dimensions_unknown,
        not_before=np.maximum(world.arrivals.service[record], world.arrivals.user_joined[uploader]),
    )


def _garage_photos(
    rng: np.random.Generator,
    world: World,
    plan: ImagePlan,
    parents: np.ndarray,
    counts: np.ndarray,
    children: ChildRows,
) -> PhotoRows:
    """The current owner's photos of their vehicle, uploaded after they had both it and an account,
    taken up to 30 days before upload. Phone sizes."""
    vehicles, own, users, world_end = world.vehicles, world.ownerships, world.users, world.cfg.world_end
    parent, position = children.parent, children.position
    n, n_parents = len(parent), len(parents)
    vehicle = parents[parent]
    uploader = own.owner[vehicles.current_ownership[vehicle]]
    ownership = vehicles.current_ownership[parents]
    earliest = np.maximum(
        np.maximum(own.acquired_at[ownership], vehicles.created_at[parents]),
        users.joined_at[own.owner[ownership]],
    )
    earliest = np.minimum(earliest, world_end - 3 * DAY)
    upload_base = earliest + (rng.random(n_parents) * np.maximum(world_end - 2 * DAY - earliest, 1)).astype(np.int64)
    uploaded_at = upload_base[parent] + position * 11 + rng.integers(0, 8, n)
    taken_at = uploaded_at - (rng.random(n_parents) * 30 * DAY).astype(np.int64)[parent] - 120
    no_exif = (rng.random(n_parents) < 0.2)[parent]
    dimensions = PHONE_DIMENSIONS[rng.integers(0, len(PHONE_DIMENSIONS), n_parents)][parent]
    dimensions_unknown = (rng.random(n_parents) < 0.06)[parent]
    return PhotoRows(
        vehicle=vehicle,
        listing_id=np.full(n, -1, dtype=np.int64),
        work_order_id=np.full(n, -1, dtype=np.int64),
        uploader=uploader,
        category=np.full(n, GARAGE_CATEGORY),
        uploaded_at=uploaded_at,
        taken_at=taken_at,
        no_exif=no_exif,
        dimensions=dimensions,
        dimensions_unknown=dimensions_unknown,
        not_before=np.maximum(world.arrivals.vehicle_first[vehicle], world.arrivals.user_joined[uploader]),
    )


def _apply_defects(
    columns: _ImageColumns,
    photos: PhotoRows,
    loaded: np.ndarray,
    position: np.ndarray,
    plan: StreamedDefectPlan,
    first_row: int,
    ledger: Ledger,
) -> np.ndarray:
    """Write the chunk's planned defects into ``columns`` and ``photos``; returns the rows to re-send.
    Defects are recorded under the image's uuid, with the row's load time."""
    uuid = columns.uuid
    rows, kinds = plan.in_chunk(first_row, len(uuid))
    names = TABLE_KINDS[TABLE]
    has_defect = np.zeros(len(uuid), dtype=bool)
    has_defect[rows] = True
    redelivered, reused_url, spoilt_category = [], [], []
    for row, kind in zip(rows.tolist(), kinds.tolist(), strict=True):
        name = names[kind]
        if name == "duplicate_image_url":
            reused_url.append(row)
            continue
        if name in CATEGORY_DEFECTS:
            spoilt_category.append((row, name))
            continue
        detail = ""
        if name == "duplicate_delivery":
            redelivered.append(row)
            continue
        if name == "orphan_reference":
            columns.vehicle_id[row] = ORPHAN_BASE + first_row + row
            detail = f"vehicle_id set to {columns.vehicle_id[row]}"
        elif name == "missing_required_value":
            columns.url_null[row] = True
            detail = "image_url is null"
        elif name == "future_timestamp":
            photos.taken_at[row] = loaded[row] + (5 + row % 300) * DAY
            photos.no_exif[row] = False
            detail = "taken_at after _loaded_at"
        elif name == "epoch_timestamp":
            photos.taken_at[row] = 0
            photos.no_exif[row] = False
            detail = "taken_at = 1970-01-01"
        elif name == "unknown_upload_time":
            columns.upload_time_null[row] = True
            detail = "uploaded_at is null"
        elif name == "malformed_url":
            columns.malformed[row] = row % len(catalog_extra.MALFORMED_URLS)
            detail = catalog_extra.MALFORMED_URLS[columns.malformed[row]]
        ledger.add(TABLE, uuid[row].tobytes().decode(), name, detail, loaded[row])
    if reused_url:
        _reuse_previous_urls(reused_url, position, has_defect, uuid, columns.url_uuid, loaded, ledger)
    if spoilt_category:
        _spoil_categories(spoilt_category, photos.category, has_defect, uuid, loaded, ledger)
    return np.array(redelivered, dtype=np.int64)


def _spoil_categories(
    planned: list[tuple[int, str]],
    category: np.ndarray,
    has_defect: np.ndarray,
    uuid: np.ndarray,
    loaded: np.ndarray,
    ledger: Ledger,
) -> None:
    """The category defects, moved onto photos whose platform categorises them: a null category
    (missing_optional_value) or one outside the eight (unknown_enum_value)."""
    eligible = (category != NO_CATEGORY) & ~has_defect
    taken = np.zeros(len(category), dtype=bool)
    for row, name in planned:
        (moved,) = shift_to_eligible(np.array([row]), eligible, taken) or (None,)
        if moved is None:
            continue
        if name == "missing_optional_value":
            category[moved] = NO_CATEGORY
            detail = "category is null"
        else:
            category[moved] = len(CATEGORIES) + moved % len(UNKNOWN_CATEGORIES)
            detail = f"category {CATEGORY_VOCAB.items[category[moved]].decode()!r}"
        ledger.add(TABLE, uuid[moved].tobytes().decode(), name, detail, loaded[moved])


def _reuse_previous_urls(
    planned: list[int],
    position: np.ndarray,
    has_defect: np.ndarray,
    uuid: np.ndarray,
    url_uuid: np.ndarray,
    loaded: np.ndarray,
    ledger: Ledger,
) -> None:
    """The duplicate_image_url defect: a photo's URL repeats the previous photo's of the same parent (both
    otherwise clean, and no two such pairs touching)."""
    eligible = (position > 0) & ~has_defect
    eligible[1:] &= ~has_defect[:-1]
    taken = np.zeros(len(position), dtype=bool)
    for row in planned:
        (moved,) = shift_to_eligible(np.array([row]), eligible, taken) or (None,)
        if moved is None:
            continue
        eligible[max(0, moved - 1) : moved + 2] = False
        url_uuid[moved] = uuid[moved - 1]
        ledger.add(
            TABLE,
            uuid[moved].tobytes().decode(),
            "duplicate_image_url",
            f"reuses the url of {uuid[moved - 1].tobytes().decode()}",
            loaded[moved],
        )


def _encode(
    out: np.ndarray, loaded: np.ndarray, columns: _ImageColumns, photos: PhotoRows, position: np.ndarray
) -> bytes:
    """Binary COPY of rows ``out`` (chunk rows, re-deliveries repeated at the end)."""
    rows = Rows(len(out))
    rows.b_row(13)
    rows.b_bytes(columns.uuid_raw[out])
    rows.b_int8(columns.vehicle_id[out])
    field = rows.b_int8(np.maximum(photos.listing_id[out], 0))
    rows.b_null_fixed(field, photos.listing_id[out] < 0)
    field = rows.b_int8(np.maximum(photos.work_order_id[out], 0))
    rows.b_null_fixed(field, photos.work_order_id[out] < 0)
    rows.b_int8(photos.uploader[out] + 1)
    bad_url = columns.malformed[out]
    url_vehicle = columns.url_vehicle_id[out]
    url_length = np.where(
        bad_url >= 0,
        MALFORMED.lens[np.maximum(bad_url, 0)],
        len(URL_PREFIX) + ndigits(url_vehicle) + UUID_URL_TAIL,
    )
    field = rows.b_len(url_length)
    rows.lit(URL_PREFIX)
    rows.ints(url_vehicle)
    rows.lit(b"/")
    rows.fixed(columns.url_uuid[out])
    rows.lit(b".jpg")
    rows.override(field + 1, bad_url >= 0, MALFORMED, np.maximum(bad_url, 0))
    rows.b_null(field, columns.url_null[out])
    category = photos.category[out]
    field = rows.b_len(CATEGORY_VOCAB.lens[np.maximum(category, 0)])
    rows.vocab(CATEGORY_VOCAB, np.maximum(category, 0))
    rows.b_null(field, category == NO_CATEGORY)
    rows.b_int4(position[out] + 1)
    dimensions_unknown = photos.dimensions_unknown[out]
    field = rows.b_int4(photos.dimensions[out, 0])
    rows.b_null_fixed(field, dimensions_unknown)
    field = rows.b_int4(photos.dimensions[out, 1])
    rows.b_null_fixed(field, dimensions_unknown)
    field = rows.b_ts(photos.taken_at[out])
    rows.b_null_fixed(field, photos.no_exif[out])
    field = rows.b_ts(photos.uploaded_at[out])
    rows.b_null_fixed(field, columns.upload_time_null[out])
    rows.b_ts(loaded)
    return rows.tobytes()
