"""COPY text for the in-memory tables (users, technicians, vehicles, listings, ownerships, service records)
and the ground-truth tables, with their injected defects.

Each ``*_copy`` function formats one table's columns from the world, writes its planned defects into them
(recording each in the ledger), and hands the columns to ``with_loaded_at``: the one place an in-memory
table's rows get their ``_loaded_at`` and its re-delivered duplicates are appended.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import catalog_extra, lots, platforms
from .common import (
    ARCHETYPE_NAMES,
    DAY,
    FLIPPER,
    HABITS,
    JAN_1_2015,
    KIND_CAR,
    KIND_MOTORCYCLE,
    LOT_CATEGORY_NAMES,
    OPEN,
    SERVICE_CATEGORIES,
    SKILLS,
    STATUS_LIVE,
    STATUS_NAMES,
    STATUS_RESERVE_NOT_MET,
    STATUS_SOLD,
    TARGET_LOG_MEDIAN,
    TARGET_LOG_SD,
    USER_TYPE_NAMES,
    VIA_NAMES,
    YEAR,
)
from .copytext import escape_copy, fmt_date_list, fmt_money, fmt_ts, fmt_ts_list, py_table
from .defects import ORPHAN_BASE, Ledger, pick_rows
from .market import era_adjustment
from .vehicles import Vehicles
from .world import World

ListingDefectPlan = dict[str, np.ndarray]  # defect kind -> listing rows that carry it


def _id_text(value) -> str:
    """An integer as COPY text (numpy or Python int)."""
    return str(int(value))


def with_loaded_at(
    columns: list[list], redelivered: np.ndarray, ledger: Ledger, rng: np.random.Generator, table: str, ids
) -> bytes:
    """COPY text of ``columns`` plus ``_loaded_at``: the extract time for every row, and for each row in
    ``redelivered`` a duplicate appended with a later ``_loaded_at`` (a re-delivery, recorded as a defect)."""
    as_of_text = fmt_ts(ledger.cfg.as_of)
    n = len(columns[0])
    columns = [list(c) for c in columns]
    columns.append([as_of_text] * n)
    if len(redelivered):
        later = fmt_ts_list(ledger.redelivery_loaded_at(rng, len(redelivered)))
        for column in columns[:-1]:
            column.extend(column[i] for i in redelivered.tolist())
        columns[-1].extend(later)
        for i in redelivered.tolist():
            ledger.add(table, int(ids[i]), "duplicate_delivery", "re-delivered with a later _loaded_at")
    return py_table(columns)


def users_copy(world: World, ledger: Ledger) -> bytes:
    users = world.users
    rng = ledger.rng("users")
    used = np.zeros(users.n, dtype=bool)
    redelivered = pick_rows(rng, np.arange(users.n), used, ledger.per_kind("users", users.n))
    columns: list[list] = [
        [_id_text(i) for i in users.ids],
        [escape_copy(x) for x in users.usernames],
        users.emails,
        users.phones,
        [USER_TYPE_NAMES[t] for t in users.user_type.tolist()],
        users.locations,
        fmt_ts_list(users.joined_at),
    ]
    return with_loaded_at(columns, redelivered, ledger, rng, "users", users.ids)


def technicians_copy(world: World, ledger: Ledger) -> bytes:
    tech = world.technicians
    rng = ledger.rng("technicians")
    used = np.zeros(tech.n, dtype=bool)
    redelivered = pick_rows(rng, np.arange(tech.n), used, ledger.per_kind("technicians", tech.n))
    columns: list[list] = [
        [_id_text(i) for i in tech.ids],
        [None if x < 0 else _id_text(x + 1) for x in tech.user_index.tolist()],
        tech.shop_names,
        tech.certifications,
        fmt_date_list(tech.start_day, tech.start_unknown),
    ]
    return with_loaded_at(columns, redelivered, ledger, rng, "technicians", tech.ids)


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
    """The vehicles columns that defects rewrite, as COPY text (None = null)."""

    makes: list
    models: list
    years: list
    mileage: list
    colors: list
    transmissions: list


def vehicles_copy(world: World, ledger: Ledger) -> bytes:
    vehicles, text = world.vehicles, world.vehicles.text
    rng = ledger.rng("vehicles")
    editable = _EditableVehicleColumns(
        makes=list(text.makes),
        models=list(text.model_names),
        years=[
            _id_text(y) if stated else None
            for y, stated in zip(vehicles.year.tolist(), text.year_stated.tolist(), strict=True)
        ],
        mileage=[None if m < 0 else _id_text(m) for m in vehicles.mileage.tolist()],
        colors=list(text.colors),
        transmissions=list(text.transmissions),
    )
    redelivered = _vehicle_defects(rng, vehicles, editable, ledger)
    condition = vehicles.condition
    ratings = [
        f"{x:.1f}" if rated else None
        for x, rated in zip(condition.rating.tolist(), condition.rated.tolist(), strict=True)
    ]
    columns: list[list] = [
        [_id_text(i) for i in vehicles.ids],
        text.vins,
        editable.years,
        [None if m is None else escape_copy(m) for m in editable.makes],
        [escape_copy(m) for m in editable.models],
        text.trims,
        editable.colors,
        text.interior_colors,
        editable.mileage,
        editable.transmissions,
        text.engines,
        text.body_styles,
        text.drivetrains,
        ratings,
        [None if o < 0 else _id_text(o + 1) for o in vehicles.current_owner.tolist()],
        fmt_ts_list(vehicles.created_at),
        fmt_ts_list(vehicles.updated_at),
    ]
    return with_loaded_at(columns, redelivered, ledger, rng, "vehicles", vehicles.ids)


def _vehicle_defects(
    rng: np.random.Generator, vehicles: Vehicles, editable: _EditableVehicleColumns, ledger: Ledger
) -> np.ndarray:
    """Write the vehicles' defects into ``editable`` (one per vehicle, on cars); returns the re-deliveries.

    Bare vehicles (chosen while drawing vehicles) lose their make. The make-level motorcycle and non-vehicle
    lots are not defects of the data but lots the pipeline must recognise by their make or body style: they
    are recorded here as before (every lot's category is in _lot_truth).
    """
    text = vehicles.text
    used = vehicles.bare.copy()
    per_kind = ledger.per_kind("vehicles", vehicles.n)
    cars = np.nonzero(vehicles.kind == KIND_CAR)[0]

    def record(i: int, kind: str, detail: str) -> None:
        ledger.add("vehicles", int(vehicles.ids[i]), kind, detail)

    for i in np.nonzero(vehicles.bare)[0].tolist():
        editable.makes[i] = None
        record(i, "missing_required_value", "make is null")
    for i in pick_rows(rng, cars, used, per_kind).tolist():
        bad = (0, 1899, 2099, int(vehicles.year[i]) * 10 + i % 10)[i % 4]
        editable.years[i] = _id_text(bad)
        record(i, "invalid_year", f"year {bad}")
    for i in pick_rows(rng, cars, used, per_kind).tolist():
        reading = int(vehicles.mileage[i]) if vehicles.mileage[i] > 0 else 1234
        bad = -reading if i % 2 else 2_000_000 + reading
        editable.mileage[i] = _id_text(bad)
        record(i, "mileage_out_of_range", f"mileage {bad}")
    _mix_scripts(rng, cars, used, per_kind, editable.makes, editable.models, record)
    for i in pick_rows(rng, cars, used, per_kind).tolist():
        placeholder = catalog_extra.PLACEHOLDERS[i % len(catalog_extra.PLACEHOLDERS)]
        field = "color" if i % 2 else "transmission"
        if field == "color":
            editable.colors[i] = placeholder
        else:
            editable.transmissions[i] = placeholder
        record(i, "placeholder_value", f"{field} {placeholder!r}")
    redelivered = pick_rows(rng, np.nonzero(~vehicles.bare)[0], used, per_kind)
    ledger_lots = np.array([lot.in_defect_ledger for lot in lots.LOT_TYPES])
    for i in np.nonzero((vehicles.identity.lot_type >= 0) & ledger_lots[vehicles.identity.lot_type])[0].tolist():
        kind = "motorcycle_lot" if vehicles.kind[i] == KIND_MOTORCYCLE else "non_vehicle_lot"
        record(i, kind, f"{text.canonical_makes[i]} {text.model_names[i]}")
    return redelivered


def _mix_scripts(
    rng: np.random.Generator,
    cars: np.ndarray,
    used: np.ndarray,
    per_kind: int,
    makes: list,
    models: list,
    record: Callable[[int, str, str], None],
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


# Listing defects that make a listing unusable (the quarantine blocks it): such listings get no children.
BLOCKING_LISTING_DEFECTS = (
    "sale_price_status_mismatch",
    "price_not_positive",
    "price_absurd",
    "future_timestamp",
    "missing_required_value",
    "epoch_timestamp",
    "ended_before_started",
)
TEXT_LISTING_DEFECTS = (
    "control_characters",
    "zero_width_characters",
    "oversized_text",
    "contains_email",
    "contains_phone",
    "duplicate_delivery",
)


def plan_listing_defects(world: World, ledger: Ledger) -> ListingDefectPlan:
    """Blocking listing defects are decided before children exist: such listings get no children."""
    listings, market = world.listings, world.market
    rng = ledger.rng("bat_listings")
    n = listings.n
    per_kind = ledger.per_kind("bat_listings", n)
    used = np.zeros(n, dtype=bool)
    ended = np.nonzero(listings.status != STATUS_LIVE)[0]
    sold = np.nonzero((listings.status == STATUS_SOLD) & (market.high_bid > 0))[0]
    unsold_with_bids = np.nonzero((listings.status == STATUS_RESERVE_NOT_MET) & (market.high_bid > 0))[0]
    sold_or_unsold = np.nonzero(np.isin(listings.status, [STATUS_SOLD, STATUS_RESERVE_NOT_MET]))[0]
    candidates = {
        "sale_price_status_mismatch": unsold_with_bids,
        "price_not_positive": sold,
        "price_absurd": sold,
        "future_timestamp": sold_or_unsold,
        "missing_required_value": ended,
        "epoch_timestamp": ended,
        "ended_before_started": ended,
    }
    plan: ListingDefectPlan = {}
    for kind in BLOCKING_LISTING_DEFECTS:
        plan[kind] = pick_rows(rng, candidates[kind], used, per_kind)
        listings.has_children[plan[kind]] = False
    every_row = np.arange(n)
    for kind in TEXT_LISTING_DEFECTS:
        plan[kind] = pick_rows(rng, every_row, used, per_kind)
    plan["orphan_reference"] = (
        np.sort(rng.choice(n, size=min(n, per_kind), replace=False)) if per_kind and n else np.zeros(0, np.int64)
    )
    return plan


def listings_copy(world: World, ledger: Ledger, plan: ListingDefectPlan) -> bytes:
    listings, market, users = world.listings, world.market, world.users
    table = "bat_listings"
    started = fmt_ts_list(listings.start)
    ended = fmt_ts_list(np.maximum(listings.end, 0), listings.end < 0)
    high_bid = [None if h < 0 else fmt_money(h) for h in market.high_bid.tolist()]
    sale_price = [None if s < 0 else fmt_money(s) for s in market.sale_price.tolist()]
    descriptions = list(world.descriptions)
    platform = world.vehicles.platform[listings.vehicle]

    def record(i: int, kind: str, detail: str = "") -> None:
        ledger.add(table, int(listings.ids[i]), kind, detail)

    _price_and_time_defects(world, plan, started, ended, high_bid, sale_price, record)
    _description_defects(plan, descriptions, record)
    columns: list[list] = [
        [_id_text(i) for i in listings.ids],
        [_id_text(v + 1) for v in listings.vehicle.tolist()],
        [_id_text(s + 1) for s in listings.seller.tolist()],
        world.lot_numbers,
        world.urls,
        [escape_copy(t) for t in world.titles],
        [None if d is None else escape_copy(d) for d in descriptions],
        [platforms.seller_type_text(p, t) for p, t in zip(platform.tolist(), market.seller_type.tolist(), strict=True)],
        [users.locations[s] or "Los Angeles, CA" for s in listings.seller.tolist()],
        started,
        ended,
        [STATUS_NAMES[s] for s in listings.status.tolist()],
        high_bid,
        sale_price,
        ["t" if b else "f" for b in market.no_reserve.tolist()],
        [_id_text(x) for x in market.views.tolist()],
        [_id_text(x) for x in market.watchers.tolist()],
        [_id_text(x) for x in market.comment_count.tolist()],
        [_id_text(x) for x in market.bid_count.tolist()],
    ]
    _append_orphan_listings(columns, plan["orphan_reference"], ledger)
    ids = np.arange(1, len(columns[0]) + 1)
    redelivered = np.asarray(plan["duplicate_delivery"], dtype=np.int64)
    return with_loaded_at(columns, redelivered, ledger, ledger.rng(table, 3), table, ids)


def _price_and_time_defects(
    world: World,
    plan: ListingDefectPlan,
    started: list,
    ended: list,
    high_bid: list,
    sale_price: list,
    record: Callable[..., None],
) -> None:
    """The blocking defects: impossible prices and timestamps."""
    listings, market, as_of = world.listings, world.market, world.cfg.as_of
    for i in plan["sale_price_status_mismatch"]:
        sale_price[i] = high_bid[i]
        record(i, "sale_price_status_mismatch", "sale_price set on a reserve_not_met listing")
    for j, i in enumerate(plan["price_not_positive"]):
        sale_price[i] = "0.00" if j % 2 == 0 else fmt_money(-int(market.sale_price[i]))
        record(i, "price_not_positive", f"sale_price {sale_price[i]}")
    for j, i in enumerate(plan["price_absurd"]):
        bad = 100_000_000_000 if j % 2 == 0 else int(market.sale_price[i]) * 10_000
        bad = min(max(bad, 5_000_000_000), 99_999_999_999)
        sale_price[i] = fmt_money(bad)
        record(i, "price_absurd", f"sale_price {sale_price[i]}")
    for i in plan["future_timestamp"]:
        ended[i] = fmt_ts(as_of + (5 + i % 300) * DAY)
        record(i, "future_timestamp", "ended_at after _loaded_at")
    for i in plan["missing_required_value"]:
        started[i] = None
        record(i, "missing_required_value", "started_at is null")
    for i in plan["epoch_timestamp"]:
        started[i] = fmt_ts(0)
        record(i, "epoch_timestamp", "started_at = 1970-01-01")
    for i in plan["ended_before_started"]:
        ended[i] = fmt_ts(int(listings.start[i]) - 3600 - (i % 72) * 3600)
        record(i, "ended_before_started", "ended_at before started_at")


def _description_defects(plan: ListingDefectPlan, descriptions: list, record: Callable[..., None]) -> None:
    """Text defects in the description: control and zero-width characters, a 1 MB text, contact details."""
    for i in plan["control_characters"]:
        text = descriptions[i] or "Clean title."
        cut = len(text) // 2
        descriptions[i] = (
            text[:cut] + catalog_extra.CONTROL_SNIPPETS[i % len(catalog_extra.CONTROL_SNIPPETS)] + text[cut:]
        )
        record(i, "control_characters")
    for i in plan["zero_width_characters"]:
        text = descriptions[i] or "Clean title."
        cut = max(1, text.find(" ") if " " in text else 1)
        descriptions[i] = text[: cut - 1] + catalog_extra.ZERO_WIDTH_SNIPPETS[i % 3] + text[cut - 1 :]
        record(i, "zero_width_characters")
    for i in plan["oversized_text"]:
        text = (descriptions[i] or "This car is offered with a clean title.") + "\n\n"
        descriptions[i] = (text * (1_000_000 // len(text) + 1))[:1_000_000]
        record(i, "oversized_text", "description of 1,000,000 characters")
    for i in plan["contains_email"]:
        prefix = descriptions[i] + " " if descriptions[i] else ""
        descriptions[i] = prefix + "Questions?" + catalog_extra.EMAIL_SNIPPETS[i % len(catalog_extra.EMAIL_SNIPPETS)]
        record(i, "contains_email")
    for i in plan["contains_phone"]:
        prefix = descriptions[i] + " " if descriptions[i] else ""
        descriptions[i] = (
            prefix + "Serious buyers" + catalog_extra.PHONE_SNIPPETS[i % len(catalog_extra.PHONE_SNIPPETS)]
        )
        record(i, "contains_phone")


def _append_orphan_listings(columns: list[list], sources: np.ndarray, ledger: Ledger) -> None:
    """Extra listing rows (new ids, no children) copied from ``sources`` but pointing at vehicles that
    exist nowhere."""
    n = len(columns[0])
    for j, source in enumerate(list(sources)):
        new_id = n + 1 + j
        row = [c[source] for c in columns]
        row[0] = _id_text(new_id)
        row[1] = _id_text(ORPHAN_BASE + new_id)
        row[3] = str(10000 + new_id * 3)
        row[4] = row[4].rstrip("/") + f"-{new_id}/"
        for column, value in zip(columns, row, strict=True):
            column.append(value)
        ledger.add("bat_listings", new_id, "orphan_reference", f"vehicle_id {row[1]} exists nowhere")


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


def ownerships_copy(world: World, ledger: Ledger) -> bytes:
    own = world.ownerships
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
    closed = np.nonzero(own.disposed_at != OPEN)[0]
    for i in pick_rows(rng, closed, used, per_kind).tolist():
        owner_text[i] = _id_text(ORPHAN_BASE + i + 1)
        ledger.add("ownerships", i + 1, "orphan_reference", f"owner_id {owner_text[i]} exists nowhere")
    for i in pick_rows(rng, closed, used, per_kind).tolist():
        acquired_text[i] = None
        ledger.add("ownerships", i + 1, "missing_optional_value", "acquired_at is null")
    redelivered = pick_rows(rng, np.arange(n), used, per_kind)
    columns: list[list] = [
        [_id_text(i) for i in ids],
        [_id_text(v + 1) for v in own.vehicle.tolist()],
        owner_text,
        acquired_text,
        disposed_text,
        [
            None if unknown else fmt_money(p)
            for p, unknown in zip(acquisition_price.tolist(), acquisition_unknown.tolist(), strict=True)
        ],
        [None if p < 0 else fmt_money(p) for p in disposal_price.tolist()],
        [VIA_NAMES[x] for x in own.via.tolist()],
    ]
    return with_loaded_at(columns, redelivered, ledger, rng, "ownerships", ids)


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
    rng: np.random.Generator


def plan_service_orphans(world: World, ledger: Ledger) -> ServiceDefectPlan:
    n = world.service.n
    rng = ledger.rng("service_records")
    used = np.zeros(n, dtype=bool)
    orphan = np.zeros(n, dtype=bool)
    orphan[pick_rows(rng, np.arange(n), used, ledger.per_kind("service_records", n))] = True
    return ServiceDefectPlan(used, orphan, rng)


def service_copy(world: World, ledger: Ledger, plan: ServiceDefectPlan) -> bytes:
    service = world.service
    n = service.n
    vehicle_text = [_id_text(v + 1) for v in service.vehicle.tolist()]
    for i in np.nonzero(plan.orphan)[0].tolist():
        vehicle_text[i] = _id_text(ORPHAN_BASE + i + 1)
        ledger.add("service_records", i + 1, "orphan_reference", f"vehicle_id {vehicle_text[i]} exists nowhere")
    redelivered = pick_rows(plan.rng, np.arange(n), plan.used, ledger.per_kind("service_records", n))

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
    return with_loaded_at(columns, redelivered, ledger, plan.rng, "service_records", service.ids)


def owner_archetype_rows(world: World) -> bytes:
    """Ground truth: the archetype of every user who owned a vehicle."""
    owners = np.unique(world.ownerships.owner).tolist()
    archetype = world.users.archetype
    return py_table([[_id_text(o + 1) for o in owners], [ARCHETYPE_NAMES[archetype[o]] for o in owners]])


def lot_truth_rows(world: World) -> bytes:
    """Ground truth: what every vehicle row really is (lot category) and its family (lots.py)."""
    vehicles = world.vehicles
    return py_table(
        [
            [_id_text(i) for i in vehicles.ids],
            [LOT_CATEGORY_NAMES[k] for k in vehicles.kind.tolist()],
            list(vehicles.text.families),
        ]
    )


def vehicle_truth_rows(world: World) -> bytes:
    """Ground truth: every vehicle's make and model in the catalog's one spelling, and the generation its
    platform's model text names (null where it names none): the two platforms' spellings meet here."""
    vehicles, text = world.vehicles, world.vehicles.text
    return py_table(
        [
            [_id_text(i) for i in vehicles.ids],
            [escape_copy(m) for m in text.canonical_makes],
            [escape_copy(m) for m in text.canonical_models],
            list(text.generations),
        ]
    )


def technician_profile_rows(world: World) -> bytes:
    """Ground truth: every technician's skill and documentation habit."""
    tech = world.technicians
    return py_table(
        [
            [_id_text(i) for i in tech.ids],
            [SKILLS[s] for s in tech.skill.tolist()],
            [HABITS[h] for h in tech.habit.tolist()],
        ]
    )
