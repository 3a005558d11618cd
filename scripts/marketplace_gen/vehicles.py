"""Vehicles: what each lot is (kind, model, year, condition) and how the seller describes it (text columns).

Everything here draws from STREAM_VEHICLES, in this order: ``draw_identity`` (lot group, decade, model,
year, lot type, lot year), ``draw_condition`` (hidden quality, rating, build date), the listing count per
vehicle (world.py), the per-vehicle draw tables (``VehicleDraws``), and after the histories one uniform per
vehicle in ``histories.draw_true_mileage_unknown``. The per-vehicle tables are read by histories.py (listing
and ownership timeline) and by ``text_attributes`` here; their columns are named below. How a lot is
written down beyond that (which of a lot's model texts, whether it states its year, a car title's accessory
phrase, the platform's model text) draws from STREAM_TEXT (``TextDraws``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import catalog, lots, platforms
from .common import (
    DAY,
    KIND_CAR,
    KIND_MOTORCYCLE,
    KIND_NON_VEHICLE,
    KIND_OTHER_VEHICLE,
    STREAM_TEXT,
    YEAR,
    stream_rng,
    weighted_choice,
)
from .copytext import days_from_civil

# Columns of VehicleDraws.uniform (one row of 24 uniforms per vehicle). Some columns are read by two
# decisions; that reuse is part of the seeded output and stays.
U_LATEST_STATUS = 0  # status of the latest listing
U_LATEST_DURATION = 1
U_LATEST_START = 2
U_EARLIER_STATUS = 3  # + j for the j-th earlier listing (3..5)
U_CREATED = 5  # when the vehicle record was created
U_UPDATED = 6  # (no longer read: vehicle_states.py times every change)
U_EARLIER_GAP = 7  # + j: time between an earlier listing and the next one (7..9)
U_MAKE_SPELLING = 8
U_HAS_TRIM = 9
U_HAS_INTERIOR_COLOR = 10
U_EARLIER_DURATION = 11  # + j (11..13)
U_MANUAL = 11
U_HAS_ENGINE = 12
U_DEALER_LEAD_TIME = 13  # how long before a consigned listing the dealer bought the vehicle
U_HAS_BODY_STYLE = 14
U_WITHDRAWN_AFTER = 15  # how far into its run a withdrawn listing ended
U_HAS_DRIVETRAIN = 15
U_FIRST_ACQUIRED = 16  # when the first known owner acquired the vehicle
U_VIN_MISSING = 16
U_PRE_LISTING_TRANSFERS = 17  # how many private sales happened before the first listing
U_TRANSFER_TIME = 18  # + k for the k-th private sale (18..20)
U_CONSIGNED = 21  # - (j % 3) for listing j: does a dealer sell it (21, 20, 19)
U_MILEAGE_RATE = 22
U_OWNER_ARCHETYPE = 23
# Columns of VehicleDraws.integer (four integers in [0, 2**40) per vehicle).
I_TEXT = 0  # trim, colours, gearbox, engine picks (bit fields); also how private sales happened
I_VIN = 1  # VIN; also whether a consigning dealer bought from a dealer or privately
I_VIN_CHECK = 2  # VIN; also how the first owner acquired it
I_OWNER = 3  # the uniform behind each owner pick

VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


@dataclass
class VehicleIdentity:
    kind: np.ndarray  # KIND_CAR, KIND_MOTORCYCLE, KIND_NON_VEHICLE, KIND_OTHER_VEHICLE (the lot category)
    group: np.ndarray  # lots.GROUP_*: where a lot comes from
    lot_type: np.ndarray  # into lots.LOT_TYPES, -1 for cars
    model_index: np.ndarray  # into catalog.MODELS (drawn for every vehicle, used for cars)
    year: np.ndarray  # the model year (also of lots that do not state it)


@dataclass
class VehicleCondition:
    base_price: np.ndarray  # typical price of the model, USD
    quality: np.ndarray  # hidden condition, standard normal
    rated: np.ndarray  # whether a condition rating was published
    rating: np.ndarray  # 1.0 .. 5.0
    manufactured_at: np.ndarray


@dataclass
class VehicleDraws:
    """Per-vehicle random tables, read by column (see the U_* and I_* names)."""

    uniform: np.ndarray  # (n, 24) floats in [0, 1)
    integer: np.ndarray  # (n, 4) ints in [0, 2**40)


@dataclass
class TextDraws:
    """STREAM_TEXT's per-vehicle uniforms (columns T_*)."""

    uniform: np.ndarray  # (n, 8)


(T_YEAR_STATED, T_FILED_AS, T_BODY_SHOWN, T_ACCESSORY, T_ACCESSORY_WHICH, T_PLATFORM, T_MODEL_STYLE, T_MODEL_DETAIL) = (
    range(8)
)


@dataclass
class VehicleText:
    """The vehicles table's descriptive columns (None = not stated) and the names the comments use."""

    makes: list[str | None]  # as the seller spelled it
    canonical_makes: list[str]
    model_names: list[str]  # as the platform files the lot (a parts lot's car-ish model, "BMW M3\nSave")
    canonical_models: list[str]  # the catalog's model (_vehicle_truth)
    generations: list[str | None]  # the generation the platform's model text names (_vehicle_truth)
    short_names: list[str]  # how commenters refer to it
    families: list[str]  # _lot_truth.family
    title_phrases: list[str]  # an accessory phrase a car's titles carry ("" for none)
    year_stated: np.ndarray  # the vehicles row states the year
    trims: list[str | None]
    colors: list[str | None]
    interior_colors: list[str | None]
    transmissions: list[str | None]
    manual: np.ndarray
    engines: list[str | None]
    body_styles: list[str | None]
    drivetrains: list[str | None]
    vins: list[str | None]


@dataclass
class Vehicles:
    """Vehicles; row i is vehicles.id i + 1."""

    n: int
    ids: np.ndarray
    identity: VehicleIdentity
    condition: VehicleCondition
    text: VehicleText
    planned_listings: np.ndarray
    platform: np.ndarray  # platforms.PLATFORM_*: where the vehicle record (and every listing of it) comes from
    bare: np.ndarray  # the make-null defect: no listings, no text the marketplace can use
    current_owner: np.ndarray  # 0-based user index at the world's end, -1 if never owned on record
    current_ownership: np.ndarray  # the ownership row open at the world's end, -1 if none
    true_mileage_unknown: np.ndarray  # TMU: no odometer reading is reported
    mileage_unknown: np.ndarray  # no reading is ever reported: TMU, or a lot without an odometer
    created_at: np.ndarray

    @property
    def kind(self) -> np.ndarray:
        return self.identity.kind

    @property
    def year(self) -> np.ndarray:
        return self.identity.year


def as_of_year(as_of: int) -> int:
    return int(1970 + as_of // YEAR)


def draw_identity(rng: np.random.Generator, n: int, as_of: int) -> VehicleIdentity:
    """Lot group (lots.GROUP_SHARES), then a decade (realism.md's mix), then a model in production in that
    decade and a year; non-car lots then take a lot type of their group and a year in its range."""
    current_year = as_of_year(as_of)
    group = weighted_choice(rng, [1.0 - sum(lots.GROUP_SHARES)] + lots.GROUP_SHARES[1:], n)
    decades = np.array(list(catalog.DECADE_WEIGHTS))
    decade = decades[weighted_choice(rng, list(catalog.DECADE_WEIGHTS.values()), n)]
    model_probabilities = _model_probabilities_by_decade()
    model_index = np.zeros(n, dtype=np.int64)
    for d in decades:
        in_decade = np.nonzero(decade == d)[0]
        if len(in_decade):
            model_index[in_decade] = rng.choice(len(catalog.MODELS), size=len(in_decade), p=model_probabilities[d])
    first_year = np.array([m[2] for m in catalog.MODELS])[model_index]
    last_year = np.minimum(np.array([m[3] for m in catalog.MODELS])[model_index], current_year)
    low = np.maximum(first_year, decade)
    high = np.maximum(np.minimum(last_year, decade + 9), low)
    year = low + (rng.random(n) * (high - low + 1)).astype(np.int64)
    lot_type = _lot_types(rng, group)
    lot_first = np.array([lot.years[0] for lot in lots.LOT_TYPES])[np.maximum(lot_type, 0)]
    lot_last = np.minimum(np.array([lot.years[1] for lot in lots.LOT_TYPES])[np.maximum(lot_type, 0)], current_year)
    lot_year = lot_first + (rng.random(n) * (lot_last - lot_first + 1)).astype(np.int64)
    is_lot = lot_type >= 0
    year = np.where(is_lot, lot_year, year)
    kind = np.where(is_lot, np.array([lot.kind for lot in lots.LOT_TYPES])[np.maximum(lot_type, 0)], KIND_CAR)
    return VehicleIdentity(kind, group, lot_type, model_index, year)


def _lot_types(rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
    """A lot type of each non-car vehicle's group, all types of a group equally likely; -1 for cars."""
    pick = rng.random(len(group))
    lot_type = np.full(len(group), -1, dtype=np.int64)
    for group_code, members in lots.LOT_TYPES_BY_GROUP.items():
        chosen = group == group_code
        lot_type[chosen] = members[(pick[chosen] * len(members)).astype(np.int64)]
    return lot_type


def _model_probabilities_by_decade() -> dict[int, np.ndarray | None]:
    """P(model | decade): make popularity shared among its models, damped by years in production."""
    models = catalog.MODELS
    by_decade: dict[int, np.ndarray | None] = {}
    for decade in catalog.DECADE_WEIGHTS:
        weights: list[float] = []
        for make, _model, first_year, last_year, _price, _body in models:
            overlap = max(0, min(last_year, decade + 9) - max(first_year, decade) + 1)
            models_of_make = sum(1 for x in models if x[0] == make)
            weights.append(catalog.MAKE_WEIGHTS[make] / models_of_make * (overlap / 10.0) ** 0.5 if overlap else 0.0)
        weight_array = np.array(weights)
        by_decade[decade] = weight_array / weight_array.sum() if weight_array.sum() > 0 else None
    return by_decade


def draw_condition(rng: np.random.Generator, identity: VehicleIdentity, as_of: int) -> VehicleCondition:
    """Typical price, hidden quality (which the published rating only hints at) and the build date."""
    n = len(identity.kind)
    base_price = np.array([m[4] for m in catalog.MODELS], dtype=float)[identity.model_index]
    lot_price = np.array([lot.price for lot in lots.LOT_TYPES], dtype=float)[np.maximum(identity.lot_type, 0)]
    base_price = np.where(identity.lot_type >= 0, lot_price, base_price)
    quality = rng.normal(0, 1, n)
    rated = rng.random(n) < 0.15
    rating = np.clip(np.round(3.5 + 0.65 * quality + rng.normal(0, 0.35, n), 1), 1.0, 5.0)
    new_year_days = np.array([days_from_civil(int(y), 1, 1) for y in range(1900, as_of_year(as_of) + 2)])
    new_year = new_year_days * DAY
    manufactured_at = (
        new_year[np.clip(identity.year - 1900, 0, len(new_year) - 1)]
        - 120 * DAY
        + (rng.random(n) * 300 * DAY).astype(np.int64)
    )
    return VehicleCondition(base_price, quality, rated, rating, manufactured_at)


def draw_per_vehicle(rng: np.random.Generator, n: int) -> VehicleDraws:
    return VehicleDraws(uniform=rng.random((n, 24)), integer=rng.integers(0, 1 << 40, size=(n, 4)))


def draw_text(seed: int, n: int) -> TextDraws:
    return TextDraws(uniform=stream_rng(seed, STREAM_TEXT).random((n, 8)))


class _TextRow(NamedTuple):
    """One vehicle's descriptive columns (see VehicleText)."""

    make: str | None
    canonical_make: str
    model: str
    canonical_model: str
    generation: str | None
    short_name: str
    family: str
    title_phrase: str
    year_stated: bool
    trim: str | None
    color: str | None
    interior: str | None
    gearbox: str | None
    manual: bool
    engine: str | None
    body: str | None
    drivetrain: str | None
    vin: str | None


def text_attributes(
    identity: VehicleIdentity, draws: VehicleDraws, text_draws: TextDraws, platform: np.ndarray
) -> VehicleText:
    """The descriptive columns, each sometimes unstated, spelled the way sellers and platforms spell them."""
    rows = [
        _car_text(identity, draws, text_draws, int(platform[v]), v)
        if identity.lot_type[v] < 0
        else _lot_text(identity, draws, text_draws, v)
        for v in range(len(identity.kind))
    ]
    columns = _TextRow(*(list(column) for column in zip(*rows, strict=True)))
    return VehicleText(
        makes=columns.make,
        canonical_makes=columns.canonical_make,
        model_names=columns.model,
        canonical_models=columns.canonical_model,
        generations=columns.generation,
        short_names=columns.short_name,
        families=columns.family,
        title_phrases=columns.title_phrase,
        year_stated=np.array(columns.year_stated, dtype=bool),
        trims=columns.trim,
        colors=columns.color,
        interior_colors=columns.interior,
        transmissions=columns.gearbox,
        manual=np.array(columns.manual, dtype=bool),
        engines=columns.engine,
        body_styles=columns.body,
        drivetrains=columns.drivetrain,
        vins=columns.vin,
    )


def _car_text(identity: VehicleIdentity, draws: VehicleDraws, text_draws: TextDraws, platform: int, v: int) -> _TextRow:
    """A car's columns: the platform's model text, trim, colours, gearbox and engine picks of its era and
    make; a VIN from 1981."""
    uniforms, text_uniforms = draws.uniform[v], text_draws.uniform[v]
    text_pick = int(draws.integer[v, I_TEXT])
    make, model, _first, _last, _price, body = catalog.MODELS[identity.model_index[v]]
    year = int(identity.year[v])
    trims = catalog.TRIMS.get(model)
    manual_share = 0.75 if year < 1980 else 0.55 if year < 2000 else 0.4
    manual = bool(uniforms[U_MANUAL] < manual_share)
    era = "old" if year < 1980 else "mid" if year < 2005 else "new"
    engines = catalog.MAKE_ENGINES.get(make) or catalog.ENGINES[era]
    drivetrain = "4WD" if body in ("SUV", "Pickup") else ("RWD" if text_pick % 5 else "rear-wheel drive")
    phrase = lots.accessory_phrase(make, body, text_uniforms[T_ACCESSORY], int(text_uniforms[T_ACCESSORY_WHICH] * 64))
    lookalike = (make, model) in lots.LOOKALIKE_CARS
    model_text, generation = platforms.model_text(
        platform, make, model, year, text_uniforms[T_MODEL_STYLE], int(text_uniforms[T_MODEL_DETAIL] * 64)
    )
    return _TextRow(
        make=platforms.make_text(platform, _spelling(make, uniforms[U_MAKE_SPELLING]), text_pick),
        canonical_make=make,
        model=model_text,
        canonical_model=model,
        generation=generation,
        short_name=model,
        family=lots.HARD_NEGATIVE_FAMILY if lookalike or phrase else lots.CAR_FAMILY,
        title_phrase=phrase,
        year_stated=True,
        trim=trims[text_pick % len(trims)] if trims and uniforms[U_HAS_TRIM] < 0.6 else None,
        color=catalog.COLORS[(text_pick >> 3) % len(catalog.COLORS)],
        interior=_interior(uniforms, text_pick),
        gearbox=_gearbox(manual, text_pick, year, make),
        manual=manual,
        engine=engines[(text_pick >> 17) % len(engines)] if uniforms[U_HAS_ENGINE] > 0.1 else None,
        body=body if uniforms[U_HAS_BODY_STYLE] > 0.05 else None,
        drivetrain=drivetrain if uniforms[U_HAS_DRIVETRAIN] > 0.2 else None,
        vin=_vin_unless_missing(draws, v, year, 0.15 if year < 1981 else 0.04),
    )


def _lot_text(identity: VehicleIdentity, draws: VehicleDraws, text_draws: TextDraws, v: int) -> _TextRow:
    """A non-car lot's columns: the make and one of the car-ish model texts it is filed under; bikes and
    other vehicles have a colour, engine and frame number, parts and automobilia none of that."""
    uniforms, text_uniforms = draws.uniform[v], text_draws.uniform[v]
    text_pick = int(draws.integer[v, I_TEXT])
    lot = lots.LOT_TYPES[identity.lot_type[v]]
    model, trim = lot.filed_as[int(text_uniforms[T_FILED_AS] * len(lot.filed_as))]
    has_engine = uniforms[U_HAS_ENGINE] > 0.1
    engine = lot.engine if has_engine else None
    if lot.group == lots.GROUP_MAKE_LEVEL_MOTORCYCLE and has_engine:
        engine = lots.MOTORCYCLE_ENGINES[(text_pick >> 17) % len(lots.MOTORCYCLE_ENGINES)]
    is_vehicle = lot.kind in (KIND_MOTORCYCLE, KIND_OTHER_VEHICLE)
    year = int(identity.year[v])
    return _TextRow(
        make=_spelling(lot.make, uniforms[U_MAKE_SPELLING]) if lot.kind != KIND_NON_VEHICLE else lot.make,
        canonical_make=lot.make,
        model=model,
        canonical_model=lot.model,
        generation=None,
        short_name=lot.short_name,
        family=lot.family,
        title_phrase="",
        year_stated=bool(text_uniforms[T_YEAR_STATED] < lot.year_stated),
        trim=trim,
        color=catalog.COLORS[(text_pick >> 3) % len(catalog.COLORS)] if is_vehicle else None,
        interior=None,
        gearbox=_gearbox(True, text_pick, year, lot.make) if lot.kind == KIND_MOTORCYCLE else None,
        manual=lot.kind == KIND_MOTORCYCLE,
        engine=engine,
        body=lot.body_style if text_uniforms[T_BODY_SHOWN] < lot.body_share else None,
        drivetrain=None,
        vin=_vin_unless_missing(draws, v, year, 0.15 if lot.kind == KIND_MOTORCYCLE else 0.5) if is_vehicle else None,
    )


def _interior(uniforms: np.ndarray, text_pick: int) -> str | None:
    if uniforms[U_HAS_INTERIOR_COLOR] <= 0.15:
        return None
    return catalog.INTERIOR_COLORS[(text_pick >> 9) % len(catalog.INTERIOR_COLORS)]


def _vin_unless_missing(draws: VehicleDraws, v: int, year: int, missing_share: float) -> str | None:
    if draws.uniform[v, U_VIN_MISSING] < missing_share:
        return None
    return _vin(int(draws.integer[v, I_VIN]), year, int(draws.integer[v, I_VIN_CHECK]))


def _gearbox(manual: bool, text_pick: int, year: int, make: str) -> str:
    """A period-plausible gearbox: no 5/6-speeds before 1960, PDK and Tiptronic only on a Porsche."""
    if manual:
        gearbox = catalog.TRANSMISSIONS_MANUAL[(text_pick >> 13) % len(catalog.TRANSMISSIONS_MANUAL)]
        if year < 1960 and gearbox.startswith(("5", "6")):
            gearbox = "3-Speed Manual" if text_pick % 2 else "4-Speed Manual"
        return gearbox
    gearbox = catalog.TRANSMISSIONS_AUTO[(text_pick >> 13) % len(catalog.TRANSMISSIONS_AUTO)]
    if gearbox in ("PDK", "7-Speed PDK", "Tiptronic") and make != "Porsche":
        gearbox = "Automatic"
    return gearbox


def _spelling(make: str, uniform: float) -> str:
    """The make as a seller types it: catalog.MAKE_SPELLINGS gives the variants and their weights."""
    variants = catalog.MAKE_SPELLINGS.get(make)
    if not variants:
        return make
    total = sum(weight for _spelling, weight in variants)
    cumulative = 0.0
    for spelling, weight in variants:
        cumulative += weight / total
        if uniform < cumulative:
            return spelling
    return variants[-1][0]


def _vin(pick: int, year: int, check_pick: int) -> str:
    """A 17-character VIN from 1981 on; before that a shorter chassis number, sometimes with a letter."""
    if year >= 1981:
        chars = []
        remaining = pick
        for _ in range(17):
            chars.append(VIN_ALPHABET[remaining % len(VIN_ALPHABET)])
            remaining = remaining // len(VIN_ALPHABET) if remaining > 33 else remaining * 7919 + check_pick
        return "".join(chars)
    length = 5 + check_pick % 7
    digits = str(pick * 1000003 + check_pick)[-length:].rjust(length, "0")
    prefix = VIN_ALPHABET[check_pick % 23] if check_pick % 3 == 0 else ""
    return prefix + digits
