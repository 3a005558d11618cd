"""Vehicles: what each lot is (kind, model, year, condition) and how the seller describes it (text columns).

Everything here draws from STREAM_VEHICLES, in this order: ``draw_identity`` (kind, decade, model, year),
``draw_condition`` (hidden quality, rating, build date), the listing count per vehicle (world.py), the
per-vehicle draw tables (``VehicleDraws``), and after the histories one uniform per vehicle in
``histories.reported_mileage``. The per-vehicle tables are read by histories.py (listing and ownership timeline) and
by ``text_attributes`` here; their columns are named below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import catalog
from .common import DAY, KIND_MOTORCYCLE, KIND_NON_VEHICLE, YEAR, weighted_choice
from .copytext import days_from_civil

# Columns of VehicleDraws.uniform (one row of 24 uniforms per vehicle). Some columns are read by two
# decisions; that reuse is part of the seeded output and stays.
U_LATEST_STATUS = 0  # status of the latest listing
U_LATEST_DURATION = 1
U_LATEST_START = 2
U_EARLIER_STATUS = 3  # + j for the j-th earlier listing (3..5)
U_CREATED = 5  # when the vehicle record was created
U_UPDATED = 6
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

MOTORCYCLE_ENGINES = [
    "883cc V-Twin",
    "1340cc V-Twin",
    "916cc L-Twin",
    "904cc L-Twin",
    "649cc Parallel-Twin",
    "898cc Flat-Twin",
]
VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"


@dataclass
class VehicleIdentity:
    kind: np.ndarray  # KIND_CAR, KIND_MOTORCYCLE, KIND_NON_VEHICLE
    model_index: np.ndarray  # into catalog.MODELS (drawn for every vehicle, used for cars)
    motorcycle_index: np.ndarray  # into catalog.MOTORCYCLES
    non_vehicle_index: np.ndarray  # into catalog.NON_VEHICLE
    year: np.ndarray


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
class VehicleText:
    """The vehicles table's descriptive columns (None = not stated) and the names the comments use."""

    makes: list[str | None]  # as the seller spelled it
    canonical_makes: list[str]
    model_names: list[str]
    short_names: list[str]  # how commenters refer to it
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
    bare: np.ndarray  # the make-null defect: no listings, no text the marketplace can use
    current_owner: np.ndarray  # 0-based user index, -1 if never owned on record
    current_ownership: np.ndarray  # the open ownership row, -1 if none
    mileage: np.ndarray  # reported odometer, -1 = unknown
    created_at: np.ndarray
    updated_at: np.ndarray

    @property
    def kind(self) -> np.ndarray:
        return self.identity.kind

    @property
    def year(self) -> np.ndarray:
        return self.identity.year


def as_of_year(as_of: int) -> int:
    return int(1970 + as_of // YEAR)


def draw_identity(rng: np.random.Generator, n: int, as_of: int) -> VehicleIdentity:
    """Kind, then a decade (realism.md's mix), then a model in production in that decade, then a year."""
    current_year = as_of_year(as_of)
    kind = weighted_choice(rng, [0.97, 0.02, 0.01], n)
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
    motorcycle_index = rng.integers(0, len(catalog.MOTORCYCLES), n)
    non_vehicle_index = rng.integers(0, len(catalog.NON_VEHICLE), n)
    is_motorcycle = kind == KIND_MOTORCYCLE
    if is_motorcycle.any():
        moto_first = np.array([m[2] for m in catalog.MOTORCYCLES])[motorcycle_index]
        moto_last = np.array([m[3] for m in catalog.MOTORCYCLES])[motorcycle_index]
        moto_year = moto_first + (rng.random(n) * (moto_last - moto_first + 1)).astype(np.int64)
        year = np.where(is_motorcycle, moto_year, year)
    year = np.where(kind == KIND_NON_VEHICLE, 1935 + rng.integers(0, 50, n), year)
    return VehicleIdentity(kind, model_index, motorcycle_index, non_vehicle_index, year)


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
    kind, n = identity.kind, len(identity.kind)
    base_price = np.array([m[4] for m in catalog.MODELS], dtype=float)[identity.model_index]
    moto_price = np.array([m[4] for m in catalog.MOTORCYCLES], dtype=float)[identity.motorcycle_index]
    base_price = np.where(kind == KIND_MOTORCYCLE, moto_price, base_price)
    lot_price = np.array([m[2] for m in catalog.NON_VEHICLE], dtype=float)[identity.non_vehicle_index]
    base_price = np.where(kind == KIND_NON_VEHICLE, lot_price, base_price)
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


def text_attributes(identity: VehicleIdentity, draws: VehicleDraws) -> VehicleText:
    """The descriptive columns, each sometimes unstated, spelled the way sellers spell them."""
    rows = [_text_of_vehicle(identity, draws, v) for v in range(len(identity.kind))]
    (makes, canonical, models, short, trims, colors, interiors, gearboxes, manual, engines, bodies, drives, vins) = (
        list(column) for column in zip(*rows, strict=True)
    )
    return VehicleText(
        makes=makes,
        canonical_makes=canonical,
        model_names=models,
        short_names=short,
        trims=trims,
        colors=colors,
        interior_colors=interiors,
        transmissions=gearboxes,
        manual=np.array(manual, dtype=bool),
        engines=engines,
        body_styles=bodies,
        drivetrains=drives,
        vins=vins,
    )


def _text_of_vehicle(identity: VehicleIdentity, draws: VehicleDraws, v: int) -> tuple:
    """(make, canonical make, model, short name, trim, colour, interior, gearbox, manual, engine, body,
    drivetrain, VIN) of one vehicle."""
    uniforms = draws.uniform[v]
    text_pick = int(draws.integer[v, I_TEXT])
    kind = identity.kind[v]
    if kind == KIND_NON_VEHICLE:
        make, model = catalog.NON_VEHICLE[identity.non_vehicle_index[v]][:2]
        return (make, make, model, model.split()[-1].lower(), None, None, None, None, False, None, None, None, None)
    if kind == KIND_MOTORCYCLE:
        make, model = catalog.MOTORCYCLES[identity.motorcycle_index[v]][:2]
        body = "Motorcycle"
    else:
        make, model, _first, _last, _price, body = catalog.MODELS[identity.model_index[v]]
    year = int(identity.year[v])
    trims = catalog.TRIMS.get(model)
    trim = trims[text_pick % len(trims)] if trims and uniforms[U_HAS_TRIM] < 0.6 else None
    color = catalog.COLORS[(text_pick >> 3) % len(catalog.COLORS)]
    interior = (
        catalog.INTERIOR_COLORS[(text_pick >> 9) % len(catalog.INTERIOR_COLORS)]
        if uniforms[U_HAS_INTERIOR_COLOR] > 0.15
        else None
    )
    manual_share = 0.75 if year < 1980 else 0.55 if year < 2000 else 0.4
    manual = bool(kind == KIND_MOTORCYCLE or uniforms[U_MANUAL] < manual_share)
    gearbox = _gearbox(manual, text_pick, year, make)
    if kind == KIND_MOTORCYCLE:
        engines = MOTORCYCLE_ENGINES
    else:
        engines = (
            catalog.MAKE_ENGINES.get(make) or catalog.ENGINES["old" if year < 1980 else "mid" if year < 2005 else "new"]
        )
    engine = engines[(text_pick >> 17) % len(engines)] if uniforms[U_HAS_ENGINE] > 0.1 else None
    drivetrain: str | None = "4WD" if body in ("SUV", "Pickup") else ("RWD" if text_pick % 5 else "rear-wheel drive")
    if kind == KIND_MOTORCYCLE:
        drivetrain = None
    vin_missing = uniforms[U_VIN_MISSING] < (0.15 if year < 1981 else 0.04)
    return (
        _spelling(make, uniforms[U_MAKE_SPELLING]),
        make,
        model,
        model,
        trim,
        color,
        interior,
        gearbox,
        manual,
        engine,
        body if uniforms[U_HAS_BODY_STYLE] > 0.05 else None,
        drivetrain if uniforms[U_HAS_DRIVETRAIN] > 0.2 else None,
        None if vin_missing else _vin(int(draws.integer[v, I_VIN]), year, int(draws.integer[v, I_VIN_CHECK])),
    )


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
