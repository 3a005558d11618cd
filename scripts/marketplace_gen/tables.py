"""COPY text for the in-memory tables (users, technicians, vehicles, ownerships, service records) with
their injected defects; listings are in listing_table.py.

Each ``*_copy`` function formats one row per delivered version of each record (a user before and after
turning dealer, every state of a vehicle, an ownership as it begins and as it ends), writes its planned
defects into them (noting each per record), and hands the rows to delivery.deliver_rows: the one place an
in-memory table's rows get their ``_loaded_at``, its re-sends are appended, the extract's rows are chosen
and the defects go to the ledger.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from . import catalog_extra, lots
from .common import (
    DAY,
    FLIPPER,
    JAN_1_2015,
    KIND_CAR,
    KIND_MOTORCYCLE,
    OPEN,
    SERVICE_CATEGORIES,
    TARGET_LOG_MEDIAN,
    TARGET_LOG_SD,
    USER_DEALER,
    USER_TYPE_NAMES,
    VIA_NAMES,
    YEAR,
)
from .copytext import escape_copy, fmt_date_list, fmt_money, fmt_ts_list
from .defects import ORPHAN_BASE, Ledger, TableDefects, pick_rows
from .delivery import DeliveredRows, Extract, VersionRows, deliver_rows, pick, settled_by, version_index
from .market import era_adjustment
from .vehicle_states import VehicleStates
from .vehicles import Vehicles
from .world import World


def _id_text(value) -> str:
    """An integer as COPY text (numpy or Python int)."""
    return str(int(value))


def users_copy(world: World, ledger: Ledger, extract: Extract, delivered: dict[str, DeliveredRows]) -> bytes:
    """A user as they join, and again when a private user turns dealer."""
    users, arrivals = world.users, world.arrivals
    rng = ledger.rng("users")
    used = np.zeros(users.n, dtype=bool)
    settled = settled_by(world.cfg.as_of, arrivals.user_joined, arrivals.user_turned_dealer)
    resent = pick_rows(rng, np.arange(users.n), used, ledger.per_kind("users", users.n), settled)
    record, version, loaded = version_index([arrivals.user_joined, arrivals.user_turned_dealer])
    types = [USER_TYPE_NAMES[t] for t in users.user_type.tolist()]
    dealer = USER_TYPE_NAMES[USER_DEALER]
    columns: list[list] = [
        pick([_id_text(i) for i in users.ids], record),
        pick([escape_copy(x) for x in users.usernames], record),
        pick(users.emails, record),
        pick(users.phones, record),
        [dealer if v else types[r] for r, v in zip(record.tolist(), version.tolist(), strict=True)],
        pick(users.locations, record),
        pick(fmt_ts_list(users.joined_at), record),
    ]
    rows = VersionRows(columns, record, version, loaded)
    data, every, kept = deliver_rows("users", rows, users.ids, TableDefects(), resent, rng, ledger, extract)
    delivered["users"] = DeliveredRows(every, kept)
    return data


def technicians_copy(world: World, ledger: Ledger, extract: Extract, delivered: dict[str, DeliveredRows]) -> bytes:
    """A technician as their record is created, and again when they earn another certification."""
    tech, arrivals = world.technicians, world.arrivals
    rng = ledger.rng("technicians")
    used = np.zeros(tech.n, dtype=bool)
    settled = settled_by(world.cfg.as_of, arrivals.technician_registered, arrivals.technician_certified)
    resent = pick_rows(rng, np.arange(tech.n), used, ledger.per_kind("technicians", tech.n), settled)
    record, version, loaded = version_index([arrivals.technician_registered, arrivals.technician_certified])
    certifications = [
        tech.later_certifications[r] if v else tech.certifications[r]
        for r, v in zip(record.tolist(), version.tolist(), strict=True)
    ]
    columns: list[list] = [
        pick([_id_text(i) for i in tech.ids], record),
        pick([None if x < 0 else _id_text(x + 1) for x in tech.user_index.tolist()], record),
        pick(tech.shop_names, record),
        certifications,
        pick(fmt_date_list(tech.start_day, tech.start_unknown), record),
    ]
    rows = VersionRows(columns, record, version, loaded)
    data, every, kept = deliver_rows("technicians", rows, tech.ids, TableDefects(), resent, rng, ledger, extract)
    delivered["technicians"] = DeliveredRows(every, kept)
    return data


def plan_bare_vehicles(ledger: Ledger) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The make-null defect goes to never-listed cars, chosen while vehicles are drawn (see world.py)."""

    def choose(kind: np.ndarray, planned_listings: np.ndarray) -> np.ndarray:
        n = len(kind)
        rng = ledger.rng("vehicles", 2)
        used = np.zeros(n, dtype=bool)
        candidates = np.nonzero((kind == KIND_CAR) & (planned_listings == 0))[0]
        chosen = pick_rows(rng, candidates, used, ledger.per_kind("vehicles", n))
        bare = np.zeros(n, dtype=bool)
        bare[chosen] = True
        return bare

    return choose


@dataclass
class _EditableVehicleColumns:
    """The vehicles columns that defects rewrite, per vehicle, as COPY text (None = null): identity columns
    the same in every state, and the vehicles whose every state gets a bad mileage or a placeholder colour."""

    makes: list
    models: list
    years: list
    transmissions: list
    bad_mileage: set[int] = field(default_factory=set)
    color_placeholders: dict[int, str] = field(default_factory=dict)


# columns of a vehicles row that _listing_vehicle_truth reads back (truth.py)
VEHICLE_COLOR, VEHICLE_MILEAGE, VEHICLE_RATING, VEHICLE_UPDATED_AT = 6, 8, 13, 16


def vehicles_copy(world: World, ledger: Ledger, extract: Extract, delivered: dict[str, DeliveredRows]) -> bytes:
    """Every state of every vehicle (vehicle_states.py): identity columns unchanged, mileage, colour,
    rating, current owner and updated_at as of the state."""
    vehicles, text, states = world.vehicles, world.vehicles.text, world.states
    rng = ledger.rng("vehicles")
    editable = _EditableVehicleColumns(
        makes=list(text.makes),
        models=list(text.model_names),
        years=[
            _id_text(y) if stated else None
            for y, stated in zip(vehicles.year.tolist(), text.year_stated.tolist(), strict=True)
        ],
        transmissions=list(text.transmissions),
    )
    defects = TableDefects()
    last_state = np.append(states.first_row[1:], states.n) - 1
    picker = partial(pick_rows, settled=settled_by(world.cfg.as_of, states.loaded[last_state]))
    resent = _vehicle_defects(rng, vehicles, states, editable, defects, ledger.per_kind("vehicles", vehicles.n), picker)
    vehicle = states.vehicle
    columns: list[list] = [
        pick([_id_text(i) for i in vehicles.ids], vehicle),
        pick(text.vins, vehicle),
        pick(editable.years, vehicle),
        pick([None if m is None else escape_copy(m) for m in editable.makes], vehicle),
        pick([escape_copy(m) for m in editable.models], vehicle),
        pick(text.trims, vehicle),
        [editable.color_placeholders.get(v, c) for v, c in zip(vehicle.tolist(), states.color, strict=True)],
        pick(text.interior_colors, vehicle),
        _state_mileage_text(states, editable.bad_mileage),
        pick(editable.transmissions, vehicle),
        pick(text.engines, vehicle),
        pick(text.body_styles, vehicle),
        pick(text.drivetrains, vehicle),
        [None if np.isnan(r) else f"{r:.1f}" for r in states.rating.tolist()],
        [None if o < 0 else _id_text(o + 1) for o in states.owner.tolist()],
        pick(fmt_ts_list(vehicles.created_at), vehicle),
        fmt_ts_list(states.updated_at),
    ]
    rows = VersionRows(columns, vehicle, states.version, states.loaded)
    data, every, kept = deliver_rows("vehicles", rows, vehicles.ids, defects, resent, rng, ledger, extract)
    delivered["vehicles"] = DeliveredRows(every, kept)
    return data


def _bad_mileage(vehicle: int, reading: int) -> int:
    """The mileage_out_of_range defect: negative or above 2,000,000 (an unknown reading becomes 1234)."""
    reading = reading if reading > 0 else 1234
    return -reading if vehicle % 2 else 2_000_000 + reading


def _state_mileage_text(states: VehicleStates, bad_mileage: set[int]) -> list[str | None]:
    out: list[str | None] = []
    for v, m in zip(states.vehicle.tolist(), states.mileage.tolist(), strict=True):
        if v in bad_mileage:
            out.append(_id_text(_bad_mileage(v, m)))
        else:
            out.append(None if m < 0 else _id_text(m))
    return out


def _vehicle_defects(
    rng: np.random.Generator,
    vehicles: Vehicles,
    states: VehicleStates,
    editable: _EditableVehicleColumns,
    defects: TableDefects,
    per_kind: int,
    pick_rows: Callable[..., np.ndarray],
) -> np.ndarray:
    """Write the vehicles' defects into ``editable`` (one per vehicle, on cars, in every state); returns
    the vehicles to re-send. ``pick_rows`` is defects.pick_rows knowing the vehicles settled by the base.

    Bare vehicles (chosen while drawing vehicles) lose their make. The make-level motorcycle and non-vehicle
    lots are not defects of the data but lots the pipeline must recognise by their make or body style: they
    are recorded here as before (every lot's category is in _lot_truth).
    """
    text = vehicles.text
    used = vehicles.bare.copy()
    cars = np.nonzero(vehicles.kind == KIND_CAR)[0]
    for i in np.nonzero(vehicles.bare)[0].tolist():
        editable.makes[i] = None
        defects.add(i, "missing_required_value", "make is null")
    for i in pick_rows(rng, cars, used, per_kind).tolist():
        bad = (0, 1899, 2099, int(vehicles.year[i]) * 10 + i % 10)[i % 4]
        editable.years[i] = _id_text(bad)
        defects.add(i, "invalid_year", f"year {bad}")
    for i in pick_rows(rng, cars, used, per_kind).tolist():
        editable.bad_mileage.add(i)
        first_reading = int(states.mileage[states.first_row[i]])
        defects.add(i, "mileage_out_of_range", f"mileage {_bad_mileage(i, first_reading)} (every state)")
    _mix_scripts(rng, cars, used, per_kind, editable.makes, editable.models, defects.add, pick_rows)
    for i in pick_rows(rng, cars, used, per_kind).tolist():
        placeholder = catalog_extra.PLACEHOLDERS[i % len(catalog_extra.PLACEHOLDERS)]
        field_name = "color" if i % 2 else "transmission"
        if field_name == "color":
            editable.color_placeholders[i] = placeholder
        else:
            editable.transmissions[i] = placeholder
        defects.add(i, "placeholder_value", f"{field_name} {placeholder!r}")
    resent = pick_rows(rng, np.nonzero(~vehicles.bare)[0], used, per_kind)
    ledger_lots = np.array([lot.in_defect_ledger for lot in lots.LOT_TYPES])
    for i in np.nonzero((vehicles.identity.lot_type >= 0) & ledger_lots[vehicles.identity.lot_type])[0].tolist():
        kind = "motorcycle_lot" if vehicles.kind[i] == KIND_MOTORCYCLE else "non_vehicle_lot"
        defects.add(i, kind, f"{text.canonical_makes[i]} {text.model_names[i]}")
    return resent


def _mix_scripts(
    rng: np.random.Generator,
    cars: np.ndarray,
    used: np.ndarray,
    per_kind: int,
    makes: list,
    models: list,
    record: Callable[[int, str, str], None],
    pick_rows: Callable[..., np.ndarray],
) -> None:
    """Swap one Latin letter of the make (else the model) for its Cyrillic look-alike."""
    lookalike = catalog_extra.CYRILLIC_LOOKALIKE
    mixable = np.array([any(ch in lookalike for ch in (makes[i] or "") + models[i]) for i in cars], dtype=bool)
    for i in pick_rows(rng, cars[mixable] if len(cars) else cars, used, per_kind).tolist():
        field = "make" if any(ch in lookalike for ch in makes[i]) else "model"
        value = makes[i] if field == "make" else models[i]
        j = next(p for p, ch in enumerate(value) if ch in lookalike)
        value = value[:j] + lookalike[value[j]] + value[j + 1 :]
        if field == "make":
            makes[i] = value
        else:
            models[i] = value
        record(i, "mixed_scripts", f"{field} {value!r}")


def vehicle_value_log(world: World, vehicle: np.ndarray, at: np.ndarray, noise: np.ndarray) -> np.ndarray:
    """Log value of vehicles at times ``at``, on the same calibrated scale as the listings' values."""
    vehicles = world.vehicles
    median, sd = world.market.price_calibration
    year = vehicles.year[vehicle]
    years_since_2015 = (at - JAN_1_2015) / YEAR
    trend = np.where(
        years_since_2015 < 0,
        0.05 * np.maximum(years_since_2015, -30),
        0.07 * np.minimum(years_since_2015, 7) - 0.03 * np.maximum(0, years_since_2015 - 7),
    )
    raw = (
        np.log(vehicles.condition.base_price[vehicle])
        + era_adjustment(year)
        + 0.25 * vehicles.condition.quality[vehicle]
        + trend
        + 0.2
        + noise
    )
    return TARGET_LOG_MEDIAN + (raw - median) * (TARGET_LOG_SD / sd)


def ownerships_copy(world: World, ledger: Ledger, extract: Extract, delivered: dict[str, DeliveredRows]) -> bytes:
    """An ownership as it begins (not yet disposed) and again as it ends, when the vehicle is sold on."""
    own, arrivals = world.ownerships, world.arrivals
    rng = ledger.rng("ownerships")
    n = own.n
    acquisition_price, acquisition_unknown = _acquisition_prices(world, rng)
    # a disposal price is the next owner's acquisition price (unknown if that is)
    last_of_vehicle = np.ones(n, dtype=bool)
    last_of_vehicle[:-1] = own.vehicle[:-1] != own.vehicle[1:]
    disposal_price = np.full(n, -1, dtype=np.int64)
    has_next = np.nonzero(~last_of_vehicle)[0]
    disposal_price[has_next] = np.where(acquisition_unknown[has_next + 1], -1, acquisition_price[has_next + 1])
    disposal_price[own.disposed_at == OPEN] = -1
    acquired_text = fmt_date_list(own.acquired_at // DAY)
    disposed_text = fmt_date_list(np.where(own.disposed_at == OPEN, 0, own.disposed_at) // DAY, own.disposed_at == OPEN)
    owner_text = [_id_text(o + 1) for o in own.owner.tolist()]
    ids = np.arange(1, n + 1, dtype=np.int64)
    per_kind = ledger.per_kind("ownerships", n)
    used = np.zeros(n, dtype=bool)
    settled = settled_by(world.cfg.as_of, arrivals.ownership_open, arrivals.ownership_closed)
    defects = TableDefects()
    closed = np.nonzero(own.disposed_at != OPEN)[0]
    for i in pick_rows(rng, closed, used, per_kind, settled).tolist():
        owner_text[i] = _id_text(ORPHAN_BASE + i + 1)
        defects.add(i, "orphan_reference", f"owner_id {owner_text[i]} exists nowhere")
    for i in pick_rows(rng, closed, used, per_kind, settled).tolist():
        acquired_text[i] = None
        defects.add(i, "missing_optional_value", "acquired_at is null")
    resent = pick_rows(rng, np.arange(n), used, per_kind, settled)
    record, version, loaded = version_index([arrivals.ownership_open, arrivals.ownership_closed])
    ended = version == 1
    disposal_text = [None if p < 0 else fmt_money(p) for p in disposal_price.tolist()]
    columns: list[list] = [
        pick([_id_text(i) for i in ids], record),
        pick([_id_text(v + 1) for v in own.vehicle.tolist()], record),
        pick(owner_text, record),
        pick(acquired_text, record),
        [disposed_text[r] if e else None for r, e in zip(record.tolist(), ended.tolist(), strict=True)],
        pick(
            [
                None if unknown else fmt_money(p)
                for p, unknown in zip(acquisition_price.tolist(), acquisition_unknown.tolist(), strict=True)
            ],
            record,
        ),
        [disposal_text[r] if e else None for r, e in zip(record.tolist(), ended.tolist(), strict=True)],
        pick([VIA_NAMES[x] for x in own.via.tolist()], record),
    ]
    rows = VersionRows(columns, record, version, loaded)
    data, every, kept = deliver_rows("ownerships", rows, ids, defects, resent, rng, ledger, extract)
    delivered["ownerships"] = DeliveredRows(every, kept)
    return data


def _acquisition_prices(world: World, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(price in cents, unknown) per ownership: a marketplace win pays the sale price; otherwise the value
    at the time, discounted (flippers buy cheaper), and often unknown (more so for the first owner)."""
    own, listings, market = world.ownerships, world.listings, world.market
    n = own.n
    log_value = vehicle_value_log(world, own.vehicle, own.acquired_at, rng.normal(0, 0.2, n))
    discount = np.where(own.archetype == FLIPPER, 0.75, 0.95) * rng.lognormal(0, 0.1, n)
    price = np.round(np.exp(log_value) * discount / 100.0).astype(np.int64) * 10000
    price = np.maximum(price, 50000)
    first_of_vehicle = np.ones(n, dtype=bool)
    first_of_vehicle[1:] = own.vehicle[1:] != own.vehicle[:-1]
    unknown = rng.random(n) < np.where(first_of_vehicle, 0.5, 0.25)
    won = listings.winner_ownership >= 0
    won_rows = listings.winner_ownership[won]
    won_price = market.sale_price[won]
    price[won_rows] = np.where(won_price > 0, won_price, price[won_rows])
    unknown[won_rows] = won_price <= 0
    return price, unknown


@dataclass
class ServiceDefectPlan:
    """Service records given a vehicle that exists nowhere (they get no work photos either), the rows
    already carrying a defect, and the stream the table's re-deliveries continue from."""

    used: np.ndarray
    orphan: np.ndarray
    settled: np.ndarray
    rng: np.random.Generator


def plan_service_orphans(world: World, ledger: Ledger) -> ServiceDefectPlan:
    n = world.service.n
    rng = ledger.rng("service_records")
    used = np.zeros(n, dtype=bool)
    orphan = np.zeros(n, dtype=bool)
    settled = settled_by(world.cfg.as_of, world.arrivals.service)
    orphan[pick_rows(rng, np.arange(n), used, ledger.per_kind("service_records", n), settled)] = True
    return ServiceDefectPlan(used, orphan, settled, rng)


def service_copy(
    world: World, ledger: Ledger, plan: ServiceDefectPlan, extract: Extract, delivered: dict[str, DeliveredRows]
) -> bytes:
    """One version per work order, delivered once its vehicle and technician are."""
    service = world.service
    n = service.n
    defects = TableDefects()
    vehicle_text = [_id_text(v + 1) for v in service.vehicle.tolist()]
    for i in np.nonzero(plan.orphan)[0].tolist():
        vehicle_text[i] = _id_text(ORPHAN_BASE + i + 1)
        defects.add(i, "orphan_reference", f"vehicle_id {vehicle_text[i]} exists nowhere")
    resent = pick_rows(plan.rng, np.arange(n), plan.used, ledger.per_kind("service_records", n), plan.settled)

    def unless(unknown: np.ndarray, values: np.ndarray, fmt: Callable) -> list:
        return [None if u else fmt(x) for x, u in zip(values.tolist(), unknown.tolist(), strict=True)]

    columns: list[list] = [
        [_id_text(i) for i in service.ids],
        vehicle_text,
        [None if t < 0 else _id_text(t + 1) for t in service.technician.tolist()],
        fmt_date_list(service.day),
        unless(service.mileage_unrecorded, service.mileage, _id_text),
        [SERVICE_CATEGORIES[c] for c in service.category.tolist()],
        [escape_copy(d) for d in world.service_descriptions],
        unless(service.hours_unrecorded, service.hours, lambda h: f"{h:.2f}"),
        unless(service.parts_unrecorded, service.parts, fmt_money),
        unless(service.total_unrecorded, service.total, fmt_money),
    ]
    record = np.arange(n, dtype=np.int64)
    rows = VersionRows(columns, record, np.zeros(n, dtype=np.int64), world.arrivals.service.copy())
    data, every, kept = deliver_rows("service_records", rows, service.ids, defects, resent, plan.rng, ledger, extract)
    delivered["service_records"] = DeliveredRows(every, kept)
    return data
