"""Listing economics: what each listing is worth, how far the bidding went, how much attention it drew,
and the text the seller wrote (title, URL, lot number, description).

``price_listings`` draws from STREAM_LISTINGS in a fixed order (documentation, reserve, value noise, high
bid share, attention, bid counts, the page's counters, gallery, title picks); ``listing_descriptions``
draws from STREAM_DESCRIPTIONS. A listing's value depends only on what was known when it started: the
vehicle, its mileage then, the service records before then and the seller.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import catalog, lots, platforms
from .common import (
    DAY,
    JAN_1_2015,
    KIND_NON_VEHICLE,
    ODOMETER_KINDS,
    STATUS_LIVE,
    STATUS_RESERVE_NOT_MET,
    STATUS_SOLD,
    STATUS_WITHDRAWN,
    STREAM_DESCRIPTIONS,
    STREAM_LISTINGS,
    TARGET_LOG_MEDIAN,
    TARGET_LOG_SD,
    USER_DEALER,
    YEAR,
    GeneratorConfig,
    stream_rng,
)
from .histories import Listings, Ownerships
from .people import Users
from .service import ServiceRecords
from .vehicles import Vehicles

# Log-price adjustment by model-year decade: what the market pays for an era beyond the model's base price.
ERA_ADJUSTMENT = {
    1920: 0.1,
    1930: 0.1,
    1940: 0.15,
    1950: 0.3,
    1960: 0.25,
    1970: 0.05,
    1980: -0.1,
    1990: 0.0,
    2000: -0.2,
    2010: 0.1,
    2020: 0.35,
}
SELLER_PRIVATE, SELLER_DEALER = 0, 1  # written as each platform does (platforms.SELLER_TYPE_TEXT)


@dataclass
class ListingMarket:
    """Per-listing facts decided by the market; money in cents, -1 = null."""

    service_count: np.ndarray  # service records of the vehicle before the listing started
    has_documents: np.ndarray
    seller_ordinal: np.ndarray  # the seller is the vehicle's k-th known owner
    seller_acquired_at: np.ndarray
    seller_type: np.ndarray  # SELLER_PRIVATE or SELLER_DEALER
    description_level: np.ndarray  # 0 none .. 3 long
    no_reserve: np.ndarray
    price_calibration: tuple[float, float]  # (median, sd) of the raw log value, mapped onto realism.md's
    high_bid: np.ndarray
    sale_price: np.ndarray
    views: np.ndarray
    watchers: np.ndarray
    n_comments: np.ndarray  # comments generated (comment_count is the page's noisy counter)
    n_bids: np.ndarray
    comment_count: np.ndarray
    bid_count: np.ndarray
    gallery_size: np.ndarray
    n_documents: np.ndarray  # gallery photos of paperwork
    title_picks: np.ndarray  # (n, 8) ints, columns P_* (the lot number's last digit, ...)


def era_adjustment(year: np.ndarray) -> np.ndarray:
    by_year = np.array([ERA_ADJUSTMENT.get(int(y) // 10 * 10, 0.0) for y in range(1900, 2040)])
    return by_year[np.clip(year - 1900, 0, 139)]


def price_listings(
    cfg: GeneratorConfig,
    users: Users,
    vehicles: Vehicles,
    listings: Listings,
    ownerships: Ownerships,
    service: ServiceRecords,
) -> ListingMarket:
    rng = stream_rng(cfg.seed, STREAM_LISTINGS)
    n = listings.n
    kind = vehicles.kind[listings.vehicle]
    status = listings.status
    documentation = _documentation_at_start(rng, users, vehicles, listings, ownerships, service)
    no_reserve_share = np.select(
        [status == STATUS_SOLD, status == STATUS_LIVE, status == STATUS_WITHDRAWN], [0.42, 0.4, 0.2], 0.0
    )
    no_reserve = rng.random(n) < no_reserve_share
    raw_log_value = _raw_log_value(rng, vehicles, listings, documentation, no_reserve)
    sold = status == STATUS_SOLD
    calibration = _price_calibration(raw_log_value, sold)
    median, sd = calibration
    log_value = TARGET_LOG_MEDIAN + (raw_log_value - median) * (TARGET_LOG_SD / sd)
    elapsed = np.where(status == STATUS_LIVE, np.clip((cfg.world_end - listings.start) / (7 * DAY), 0.02, 1.0), 1.0)
    high_bid_dollars = _high_bid_dollars(rng, np.exp(log_value), status, elapsed)
    attention = _attention(rng, log_value, status, elapsed)
    n_bids = _bid_counts(rng, attention.popularity, status, elapsed, high_bid_dollars)
    high_bid = np.where(n_bids > 0, high_bid_dollars * 100, -1)
    buyer_fee = np.clip(np.round(high_bid_dollars * 0.05), 250, 7500).astype(np.int64)
    sale_price = np.where(sold & (n_bids > 0), (high_bid_dollars + buyer_fee) * 100, -1)  # sold = has bids
    n_comments = attention.n_comments
    comment_count = np.maximum(0, n_comments + np.round(n_comments * rng.normal(0, 0.04, n)) + rng.integers(-3, 4, n))
    bid_count = np.maximum(0, n_bids + rng.integers(-1, 3, n))
    gallery_size, n_documents = _gallery(rng, log_value, kind, documentation.service_count, documentation.has_documents)
    return ListingMarket(
        service_count=documentation.service_count,
        has_documents=documentation.has_documents,
        seller_ordinal=documentation.seller_ordinal,
        seller_acquired_at=ownerships.acquired_at[listings.seller_ownership],
        seller_type=documentation.seller_type,
        description_level=documentation.description_level,
        no_reserve=no_reserve,
        price_calibration=calibration,
        high_bid=high_bid,
        sale_price=sale_price,
        views=attention.views,
        watchers=attention.watchers,
        n_comments=n_comments,
        n_bids=n_bids,
        comment_count=comment_count,
        bid_count=bid_count,
        gallery_size=gallery_size,
        n_documents=n_documents,
        title_picks=rng.integers(0, 1 << 30, size=(n, 8)),
    )


class _Documentation(NamedTuple):
    service_count: np.ndarray
    has_documents: np.ndarray
    seller_ordinal: np.ndarray
    seller_type: np.ndarray
    description_level: np.ndarray


def _documentation_at_start(
    rng: np.random.Generator,
    users: Users,
    vehicles: Vehicles,
    listings: Listings,
    ownerships: Ownerships,
    service: ServiceRecords,
) -> _Documentation:
    """What the listing can show when it starts: service history, paperwork, who sells, how much they write.

    Paperwork is likelier with a long service history and on newer cars; dealers write longer descriptions.
    """
    n = listings.n
    vehicle = listings.vehicle
    service_count = _service_records_before(service, listings)
    has_documents = rng.random(n) < 0.10 + 0.25 * (service_count > 3) + 0.15 * (vehicles.year[vehicle] >= 1990)
    seller_ordinal = listings.seller_ownership - np.searchsorted(ownerships.vehicle, vehicle) + 1
    # a dealer account, or a private seller who had turned dealer by the start
    seller = listings.seller
    dealer_account = (users.user_type[seller] == USER_DEALER) | (users.dealer_since[seller] <= listings.start)
    seller_type = np.where(dealer_account | listings.consigned, SELLER_DEALER, SELLER_PRIVATE)
    level_shares = np.where(
        seller_type[:, None] == SELLER_DEALER, [[0.02, 0.08, 0.40, 0.50]], [[0.06, 0.20, 0.44, 0.30]]
    )
    description_level = (rng.random(n)[:, None] > np.cumsum(level_shares, axis=1)).sum(axis=1).clip(0, 3)
    return _Documentation(service_count, has_documents, seller_ordinal, seller_type, description_level)


def _raw_log_value(
    rng: np.random.Generator,
    vehicles: Vehicles,
    listings: Listings,
    documentation: _Documentation,
    no_reserve: np.ndarray,
) -> np.ndarray:
    """Latent value in log dollars before calibration: model, era, mileage, condition, paperwork, market
    trend, seller and reserve, plus heavy-tailed noise."""
    n = listings.n
    vehicle = listings.vehicle
    kind = vehicles.kind[vehicle]
    era = np.where(kind == KIND_NON_VEHICLE, 0.0, era_adjustment(vehicles.year[vehicle]))
    miles = np.maximum(listings.mileage, 0)
    mileage_effect = np.where(np.isin(kind, ODOMETER_KINDS), -0.12 * (np.log1p(miles / 1000.0) - 3.4), 0.0)
    paperwork_effect = (
        0.05 * np.sqrt(np.minimum(documentation.service_count, 25))
        + 0.12 * documentation.has_documents
        + 0.08 * (documentation.seller_ordinal == 1)
    )
    paperwork_effect = paperwork_effect + 0.04 * documentation.description_level
    years_since_2015 = (listings.start - JAN_1_2015) / YEAR
    trend = 0.07 * np.minimum(years_since_2015, 7) - 0.03 * np.maximum(0, years_since_2015 - 7)
    return (
        np.log(vehicles.condition.base_price[vehicle])
        + era
        + mileage_effect
        + 0.25 * vehicles.condition.quality[vehicle]
        + paperwork_effect
        + trend
        + 0.05 * documentation.seller_type
        - 0.04 * no_reserve
        + 0.30 * rng.normal(0, 1, n)
        + 0.12 * rng.standard_t(3, n)
    )


def _service_records_before(service: ServiceRecords, listings: Listings) -> np.ndarray:
    """Per listing, the vehicle's service records dated before the listing's start day."""
    keys = np.sort(service.vehicle * 100000 + service.day)
    vehicle = listings.vehicle
    start_day = listings.start // DAY
    before = np.searchsorted(keys, vehicle * 100000 + start_day) - np.searchsorted(keys, vehicle * 100000)
    return before.astype(np.int64)


def _price_calibration(raw_log_value: np.ndarray, sold: np.ndarray) -> tuple[float, float]:
    """Median and robust sd of the sold listings' raw log values (all listings if fewer than 5 sold)."""
    reference = raw_log_value[sold] if sold.sum() >= 5 else raw_log_value
    if len(reference) >= 2:
        q25, q75 = np.percentile(reference, [25, 75])
        return float(np.median(reference)), max(float(q75 - q25) / 1.349, 1e-6)
    return (float(reference[0]) if len(reference) else 0.0), 1.0


def _high_bid_dollars(
    rng: np.random.Generator, value: np.ndarray, status: np.ndarray, elapsed: np.ndarray
) -> np.ndarray:
    """The high bid as a share of value: all of it when sold, less when the reserve was not met or the
    listing was withdrawn, and growing with elapsed time while live; rounded to the bid increment."""
    n = len(value)
    share = np.select(
        [status == STATUS_SOLD, status == STATUS_RESERVE_NOT_MET, status == STATUS_WITHDRAWN],
        [np.ones(n), rng.uniform(0.72, 0.95, n), rng.uniform(0.35, 0.9, n)],
        0.25 + 0.6 * elapsed * rng.uniform(0.8, 1.0, n),
    )
    high_bid = value * share
    increment = np.where(high_bid >= 20000, 250, np.where(high_bid >= 5000, 100, 25))
    return np.maximum(np.round(high_bid / increment) * increment, 100).astype(np.int64)


@dataclass
class _Attention:
    views: np.ndarray
    watchers: np.ndarray
    n_comments: np.ndarray
    popularity: np.ndarray  # in (0, 1): drives the bid count


def _attention(rng: np.random.Generator, log_value: np.ndarray, status: np.ndarray, elapsed: np.ndarray) -> _Attention:
    """Views, watchers and comments: log-normal around realism.md's medians, correlated with value."""
    n = len(log_value)
    value_z = (log_value - TARGET_LOG_MEDIAN) / TARGET_LOG_SD
    interest = 0.5 * value_z + 0.866 * rng.normal(0, 1, n)
    views = np.exp(math.log(6800) + 0.516 * interest) * elapsed**0.7
    watchers = np.exp(math.log(570) + 0.47 * (0.8 * interest + 0.6 * rng.normal(0, 1, n))) * elapsed**0.7
    comments = np.exp(math.log(89) - 0.405 + 0.9 * (0.6 * interest + 0.8 * rng.normal(0, 1, n))) * elapsed
    comments = np.where(status == STATUS_WITHDRAWN, comments * 0.4, comments)
    n_comments = np.minimum(np.round(comments), 2500).astype(np.int64)
    popularity = _normal_cdf(0.8 * interest + 0.6 * rng.normal(0, 1, n))
    return _Attention(
        views=np.round(views).astype(np.int64),
        watchers=np.round(watchers).astype(np.int64),
        n_comments=n_comments,
        popularity=popularity,
    )


def _bid_counts(
    rng: np.random.Generator,
    popularity: np.ndarray,
    status: np.ndarray,
    elapsed: np.ndarray,
    high_bid_dollars: np.ndarray,
) -> np.ndarray:
    """30..60 bids on an ended listing (realism.md), fewer while live; withdrawn listings often have none,
    a few unsold ones none at all; never more than one bid per $20 of high bid."""
    n = len(popularity)
    n_bids = 30 + np.floor(31 * popularity).astype(np.int64).clip(0, 30)
    n_bids = np.where(status == STATUS_LIVE, np.maximum(1, np.round(n_bids * elapsed)).astype(np.int64), n_bids)
    withdrawn = status == STATUS_WITHDRAWN
    n_bids = np.where(withdrawn, np.where(rng.random(n) < 0.4, 0, 1 + (popularity * 24).astype(np.int64)), n_bids)
    unsold_without_bids = (status == STATUS_RESERVE_NOT_MET) & (rng.random(n) < 0.03)
    n_bids = np.where(unsold_without_bids, 0, n_bids)
    return np.minimum(n_bids, high_bid_dollars // 20).astype(np.int64)


def _gallery(
    rng: np.random.Generator,
    log_value: np.ndarray,
    kind: np.ndarray,
    service_count: np.ndarray,
    has_documents: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Gallery size (50..300 photos, more for valuable cars) and how many of them show paperwork."""
    n = len(log_value)
    value_z = (log_value - TARGET_LOG_MEDIAN) / TARGET_LOG_SD
    size_quantile = _normal_cdf(0.5 * value_z + 0.866 * rng.normal(0, 1, n) - 0.25)
    gallery_size = 50 + np.floor(250 * size_quantile).astype(np.int64).clip(0, 250)
    gallery_size = np.where(kind == KIND_NON_VEHICLE, 50 + rng.integers(0, 41, n), gallery_size)
    document_share = 0.005 + 0.012 * np.sqrt(np.minimum(service_count, 25)) + 0.03 * has_documents
    n_documents = np.minimum(np.round(gallery_size * document_share).astype(np.int64), gallery_size // 4)
    return gallery_size, n_documents


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


# Columns of ListingMarket.title_picks.
P_LOT_NUMBER, P_DESCRIPTION_MISSING, P_TITLE_MILEAGE, P_TMU, P_AUCTION_CODE = range(5)


class ListingText(NamedTuple):
    """Per listing: title, URL and lot number (None where the platform has none)."""

    titles: list[str]
    urls: list[str]
    lot_numbers: list[str | None]


def listing_titles(vehicles: Vehicles, listings: Listings, market: ListingMarket) -> ListingText:
    """Titles, URLs and lot numbers as each platform writes them (platforms.py).

    Bring a Trailer: the vehicle title, often led by the mileage at the listing's start, ", TMU" now and then
    when the true mileage is unknown, after "No Reserve: " when there is none; the URL is the vehicle
    title's slug, numbered from the second listing with the same slug on. Cars & Bids: the vehicle title,
    a URL with an auction code and no lot number.
    """
    titles, urls, lot_numbers = [], [], []
    seen: dict[str, int] = {}
    text = vehicles.text
    for i in range(listings.n):
        v = int(listings.vehicle[i])
        picks = market.title_picks[i]
        title = vehicle_title(vehicles, v)
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        if vehicles.platform[v] == platforms.PLATFORM_CARS_AND_BIDS:
            titles.append(title)
            urls.append(f"https://carsandbids.com/auctions/{platforms.auction_code(int(picks[P_AUCTION_CODE]))}/{slug}")
            lot_numbers.append(None)
            continue
        if vehicles.kind[v] in ODOMETER_KINDS and text.year_stated[v]:
            unknown = bool(vehicles.mileage_unknown[v])
            miles, pick = int(listings.mileage[i]), int(picks[P_TITLE_MILEAGE])
            make, model = text.canonical_makes[v], text.canonical_models[v]
            tmu = ", TMU" if unknown and picks[P_TMU] % 3 == 0 else ""
            title = platforms.mileage_in_title(make, model, miles, unknown, pick) + title + tmu
        titles.append(f"No Reserve: {title}" if market.no_reserve[i] else title)
        count = seen.get(slug, 0) + 1
        seen[slug] = count
        urls.append(f"https://bringatrailer.com/listing/{slug}{'' if count == 1 else f'-{count}'}/")
        lot_numbers.append(str(10000 + int(listings.ids[i]) * 3 + int(picks[P_LOT_NUMBER] % 3)))
    return ListingText(titles, urls, lot_numbers)


def vehicle_title(vehicles: Vehicles, v: int) -> str:
    """How the platform names the lot: 'year make model [trim] [gearbox][ accessory phrase]' for a car (the
    catalog's spelling), the lot type's own title for anything else (lots.py)."""
    text = vehicles.text
    lot_type = vehicles.identity.lot_type[v]
    if lot_type >= 0:
        return lots.lot_title(lots.LOT_TYPES[lot_type], int(vehicles.year[v]), bool(text.year_stated[v]))
    model = text.canonical_models[v]
    title = f"{vehicles.year[v]} {text.canonical_makes[v]} {model}"
    trim = text.trims[v]
    if trim and not model.endswith(trim):
        title += f" {trim}"
    gearbox = catalog.TRANS_SHORT.get(text.transmissions[v] or "")
    if gearbox:
        title += f" {gearbox}"
    return title + text.title_phrases[v]


ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}


def listing_descriptions(
    cfg: GeneratorConfig, vehicles: Vehicles, listings: Listings, market: ListingMarket
) -> list[str | None]:
    """Descriptions as long as the listing's description level: none, one line, two or four paragraphs;
    None where the platform's scrape delivered none (a tenth of Cars & Bids listings).

    Each sentence states only what was known at the listing's start (mileage then, service records and
    owners before then).
    """
    rng = stream_rng(cfg.seed, STREAM_DESCRIPTIONS)
    picks = rng.integers(0, 1 << 30, size=(listings.n, 10))
    missing_share = int(platforms.MISSING_DESCRIPTION_SHARE * 1000)
    missing = (vehicles.platform[listings.vehicle] == platforms.PLATFORM_CARS_AND_BIDS) & (
        market.title_picks[:, P_DESCRIPTION_MISSING] % 1000 < missing_share
    )
    return [
        None if missing[i] else _description(vehicles, listings, market, i, picks[i]) for i in range(listings.n)
    ]


def _description(vehicles: Vehicles, listings: Listings, market: ListingMarket, i: int, picks: np.ndarray) -> str:
    level = market.description_level[i]
    if level == 0:
        return ""
    v = listings.vehicle[i]
    text = vehicles.text
    name = f"{text.canonical_makes[v]} {text.canonical_models[v]}"
    lot_type = vehicles.identity.lot_type[v]
    if vehicles.kind[v] == KIND_NON_VEHICLE:
        first = f"This {lots.lot_title(lots.LOT_TYPES[lot_type], 0, False)} is offered from a private collection."
    else:
        # the first opener describes a car's interior: bikes, boats and tractors take one of the others
        opener = picks[0] % len(catalog.DESC_OPENERS) if lot_type < 0 else 1 + picks[0] % 3
        first = catalog.DESC_OPENERS[opener].format(
            **_opener_fields(vehicles, v, name, int(listings.mileage[i]), picks[1])
        )
    if level == 1:
        receipts = " Receipts included." if market.service_count[i] > 0 and picks[2] % 3 == 0 else ""
        return first + receipts
    history = [first]
    ordinal = market.seller_ordinal[i]
    if ordinal == 1 and picks[3] % 2 == 0:
        history.append(catalog.DESC_OWNERS[picks[3] % 2])
    elif ordinal > 1 and picks[3] % 3 != 2:
        acquired_year = int(1970 + market.seller_acquired_at[i] // YEAR)
        history.append(
            catalog.DESC_OWNERS[2].format(ordinal=ORDINAL_WORDS.get(int(ordinal), "latest"), acq_year=acquired_year)
        )
    paperwork = []
    if market.service_count[i] > 0 and picks[4] % 100 < 85:
        since = int(1970 + (listings.start[i] - market.service_count[i] * 0.8 * YEAR) // YEAR)
        paperwork.append(catalog.DESC_SERVICE[picks[4] % len(catalog.DESC_SERVICE)].format(since=max(since, 1990)))
    if market.has_documents[i] and picks[5] % 100 < 85:
        paperwork.append(catalog.DESC_DOCS[picks[5] % len(catalog.DESC_DOCS)])
    body = [catalog.DESC_BODY[(picks[6] + k * 3) % len(catalog.DESC_BODY)] for k in range(1 + picks[7] % 3)]
    paragraphs = [" ".join(history), " ".join(paperwork + body[:1])]
    if level == 3:
        paragraphs.append(" ".join(body[1:] + [catalog.DESC_BODY[picks[8] % len(catalog.DESC_BODY)]]))
        no_reserve = " at no reserve" if market.no_reserve[i] else ""
        paragraphs.append(f"This {name} is offered with a clean title{no_reserve}.")
    return "\n\n".join(p for p in paragraphs if p.strip())


def _opener_fields(vehicles: Vehicles, v: int, name: str, miles: int, state_pick) -> dict:
    """The placeholders of catalog.DESC_OPENERS, with wording for what the seller did not state."""
    text = vehicles.text
    if vehicles.mileage_unknown[v]:
        miles_text = "unknown"
    else:
        miles_text = f"{miles // 1000}k" if miles >= 1000 else str(miles)
    return dict(
        year=vehicles.year[v],
        name=name,
        color=text.colors[v] or "original finish",
        interior=(text.interior_colors[v] or "black").lower(),
        engine=text.engines[v] or "period-correct engine",
        trans=(text.transmissions[v] or "manual gearbox").lower(),
        state=catalog.CITIES[state_pick % len(catalog.CITIES)][1],
        miles=miles_text,
    )
