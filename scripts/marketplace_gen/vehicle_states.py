"""Vehicle states: the vehicles table as history. A vehicle row is re-delivered whenever its state changes.

A record is created (its first state) some days before its first listing, or at any time for a vehicle
never listed. After that a new state, a full row with a later ``updated_at``, comes when

- the mileage is reported, a few days before each listing (the odometer then);
- the vehicle changes hands (the new current owner and the odometer then);
- it is repainted (about 5% of vehicles over their life);
- an inspector grades it (about 15% of vehicles, a few days before a listing if it has one) and, for a
  third of those, re-grades it later.

Identity columns (VIN, year, make, model, trim, engine, body, drivetrain, gearbox) never change. The current
owner is named once their account exists (null before: the platform does not know them yet). The mileage
is only what was reported: a repaint or a grading repeats the last reading. Draws come from STREAM_STATES in
this order: report offsets, repaint flags, times and colours, grading times, re-grading flags, times and
ratings.

``listing_vehicle_states`` is the ground truth of ``_listing_vehicle_truth``: the state a listing package
must show, the latest one updated by the listing's start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import catalog
from .common import DAY, KIND_NON_VEHICLE, ODOMETER_KINDS, STREAM_STATES, YEAR, stream_rng
from .delivery import batch_time
from .histories import Listings, Ownerships
from .people import Users
from .vehicles import Vehicles

CREATED, REPORT, TRANSFER, REPAINT, GRADE = range(5)  # why a state begins (ties sort in this order)
REPAINT_SHARE = 0.05
REGRADE_SHARE = 1 / 3
_GROUP_STRIDE = np.int64(1) << np.int64(33)  # above any Unix time the generator makes (year 2242)
_TIME_OFFSET = np.int64(1) << np.int64(32)  # makes times from 1834 on non-negative
_KEY_STRIDE = np.int64(1) << np.int64(34)


@dataclass
class VehicleStates:
    """States grouped by vehicle in time order; every vehicle has at least its first state."""

    vehicle: np.ndarray  # 0-based
    version: np.ndarray  # 0-based within the vehicle
    updated_at: np.ndarray
    mileage: np.ndarray  # the odometer as last reported, -1 = unknown
    color: list[str | None]
    rating: np.ndarray  # condition rating, NaN until graded
    owner: np.ndarray  # current owner (0-based user), -1 = none on record or no account yet
    loaded: np.ndarray  # when the state reaches the warehouse
    first_row: np.ndarray  # per vehicle, the row of its first state

    @property
    def n(self) -> int:
        return len(self.vehicle)


def build_vehicle_states(
    seed: int, world_end: int, vehicles: Vehicles, listings: Listings, ownerships: Ownerships, users: Users
) -> VehicleStates:
    rng = stream_rng(seed, STREAM_STATES)
    vehicle, time, reason, value = _events(rng, world_end, vehicles, listings, ownerships)
    order = np.lexsort((reason, time, vehicle))
    vehicle, time, reason, value = vehicle[order], time[order], reason[order], value[order]
    first_row = np.searchsorted(vehicle, np.arange(vehicles.n), side="left")
    rank = np.arange(len(vehicle)) - first_row[vehicle]
    # one second apart at least: two states of a vehicle never share an updated_at
    time = _running_max_by_group(time - rank, vehicle) + rank
    # the current owner, if their account exists by then (else not known to the platform: null)
    owner = _owner_at(ownerships, vehicle, time)
    owner = np.where((owner >= 0) & (users.joined_at[np.maximum(owner, 0)] <= time), owner, -1)
    reports_mileage = np.isin(reason, (CREATED, REPORT, TRANSFER))
    odometer = _odometer_at(ownerships, vehicle, time)
    has_odometer = np.isin(vehicles.kind, ODOMETER_KINDS) & ~vehicles.true_mileage_unknown
    odometer = np.where(has_odometer[vehicle], odometer, -1)
    mileage = _forward_fill(odometer, reports_mileage, first_row, vehicle)
    colors = np.array(vehicles.text.colors, dtype=object)
    color = _forward_fill_objects(colors[vehicle], catalog_colors(value), reason == REPAINT, first_row, vehicle)
    rating = _forward_fill(np.where(reason == GRADE, value / 10.0, np.nan), reason == GRADE, first_row, vehicle)
    rating = np.where(_has_earlier(reason == GRADE, first_row, vehicle), rating, np.nan)
    loaded = batch_time(time)
    return VehicleStates(
        vehicle=vehicle,
        version=rank,
        updated_at=time,
        mileage=mileage.astype(np.int64),
        color=list(color),
        rating=rating,
        owner=owner,
        loaded=loaded,
        first_row=first_row,
    )


def catalog_colors(value: np.ndarray) -> np.ndarray:
    """The paint names repaint events carry (their value is an index into catalog.COLORS)."""
    names = np.array(catalog.COLORS, dtype=object)
    return names[np.clip(value, 0, len(names) - 1)]


def _events(
    rng: np.random.Generator, world_end: int, vehicles: Vehicles, listings: Listings, ownerships: Ownerships
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(vehicle, time, reason, value) of every state change: value is a paint (REPAINT) or a rating x 10."""
    n = vehicles.n
    created = vehicles.created_at
    parts: list[tuple[np.ndarray, np.ndarray, int, np.ndarray]] = [(np.arange(n), created, CREATED, np.zeros(n))]
    # the odometer reported one to seven days before each listing
    report_at = listings.start - DAY - (rng.random(listings.n) * 6 * DAY).astype(np.int64)
    reported = (report_at > created[listings.vehicle]) & np.isin(vehicles.kind[listings.vehicle], ODOMETER_KINDS)
    parts.append((listings.vehicle[reported], report_at[reported], REPORT, np.zeros(int(reported.sum()))))
    # changes of hands after the record exists
    moved = (ownerships.acquired_at > created[ownerships.vehicle]) & (ownerships.acquired_at <= world_end)
    parts.append((ownerships.vehicle[moved], ownerships.acquired_at[moved], TRANSFER, np.zeros(int(moved.sum()))))
    parts.append(_repaints(rng, world_end, vehicles))
    parts.extend(_gradings(rng, world_end, vehicles, listings))
    vehicle = np.concatenate([p[0] for p in parts]).astype(np.int64)
    time = np.concatenate([p[1] for p in parts]).astype(np.int64)
    reason = np.concatenate([np.full(len(p[0]), p[2], dtype=np.int64) for p in parts])
    value = np.concatenate([p[3] for p in parts]).astype(np.int64)
    return vehicle, time, reason, value


def _repaints(rng: np.random.Generator, world_end: int, vehicles: Vehicles):
    """About 5% of painted vehicles get a new colour once, at any time after their record exists."""
    n = vehicles.n
    painted = np.array([c is not None for c in vehicles.text.colors], dtype=bool)
    repainted = painted & (rng.random(n) < REPAINT_SHARE)
    at = vehicles.created_at + (rng.random(n) * np.maximum(world_end - vehicles.created_at, 1)).astype(np.int64)
    paint = rng.integers(0, len(catalog.COLORS), n)
    return np.nonzero(repainted)[0], at[repainted], REPAINT, paint[repainted]


def _gradings(rng: np.random.Generator, world_end: int, vehicles: Vehicles, listings: Listings):
    """Graded vehicles (VehicleCondition.rated) are inspected a few days before one of their listings, or
    at any time if never listed; a third are re-graded later, the rating moving by up to a point."""
    n = vehicles.n
    condition = vehicles.condition
    graded = condition.rated & (vehicles.kind != KIND_NON_VEHICLE)
    at = vehicles.created_at + (rng.random(n) * np.maximum(world_end - vehicles.created_at, 1)).astype(np.int64)
    if listings.n:
        # a listing of the vehicle, picked at random: the one whose start follows the inspection
        pick = rng.random(listings.n)
        chosen = np.full(n, -1, dtype=np.int64)
        order = np.argsort(pick, kind="stable")
        chosen[listings.vehicle[order]] = order
        before_listing = listings.start[np.maximum(chosen, 0)] - (2 * DAY + rng.random(n) * 18 * DAY).astype(np.int64)
        usable = (chosen >= 0) & (before_listing > vehicles.created_at)
        at = np.where(usable, before_listing, at)
    rating = np.round(condition.rating * 10).astype(np.int64)
    regraded = graded & (rng.random(n) < REGRADE_SHARE)
    later = at + (rng.random(n) * np.maximum(world_end - at, 1)).astype(np.int64)
    new_rating = np.clip(rating + np.round(rng.normal(0, 4, n)).astype(np.int64), 10, 50)
    regraded &= later > at
    return [
        (np.nonzero(graded)[0], at[graded], GRADE, rating[graded]),
        (np.nonzero(regraded)[0], later[regraded], GRADE, new_rating[regraded]),
    ]


def _running_max_by_group(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Running maximum of ``values`` (non-negative times) restarting at each group (rows sorted by group)."""
    key = group.astype(np.int64) * _GROUP_STRIDE + values.astype(np.int64)
    return np.maximum.accumulate(key) - group.astype(np.int64) * _GROUP_STRIDE


def _last_set_row(is_set: np.ndarray, first_row: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Per row, the latest row of its group at or before it where ``is_set``, -1 if none."""
    last = np.maximum.accumulate(np.where(is_set, np.arange(len(is_set)), -1))
    return np.where(last >= first_row[group], last, -1)


def _has_earlier(is_set: np.ndarray, first_row: np.ndarray, group: np.ndarray) -> np.ndarray:
    return _last_set_row(is_set, first_row, group) >= 0


def _forward_fill(values: np.ndarray, is_set: np.ndarray, first_row: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Each row takes the value of the latest row of its group where ``is_set`` (its own if set)."""
    source = _last_set_row(is_set, first_row, group)
    return values[np.maximum(source, 0)]


def _forward_fill_objects(initial, changed, is_set, first_row, group) -> np.ndarray:
    """Like _forward_fill for text: rows before any change keep ``initial``."""
    source = _last_set_row(is_set, first_row, group)
    return np.where(source >= 0, changed[np.maximum(source, 0)], initial)


def _time_key(group: np.ndarray, time: np.ndarray) -> np.ndarray:
    """A sortable key of (group, time) for times from 1900 to 2200 (negative before 1970)."""
    return group.astype(np.int64) * _KEY_STRIDE + (time.astype(np.int64) + _TIME_OFFSET)


def _segment_at(ownerships: Ownerships, vehicle: np.ndarray, time: np.ndarray) -> np.ndarray:
    """The ownership row of ``vehicle`` in force at ``time`` (its first one if earlier), -1 if it has none.
    Ownership rows are grouped by vehicle, oldest first."""
    keys = _time_key(ownerships.vehicle, ownerships.acquired_at)
    row = np.searchsorted(keys, _time_key(vehicle, time), side="right") - 1
    first = np.searchsorted(ownerships.vehicle, vehicle, side="left")
    has_rows = first < np.searchsorted(ownerships.vehicle, vehicle, side="right")
    return np.where(has_rows, np.maximum(row, first), -1)


def _owner_at(ownerships: Ownerships, vehicle: np.ndarray, time: np.ndarray) -> np.ndarray:
    row = _segment_at(ownerships, vehicle, time)
    owner = ownerships.owner[np.maximum(row, 0)]
    in_force = (row >= 0) & (ownerships.acquired_at[np.maximum(row, 0)] <= time)
    return np.where(in_force, owner, -1)


def _odometer_at(ownerships: Ownerships, vehicle: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Miles on the odometer at ``time``: the owner's starting reading grown at their rate (capped at
    999,999); -1 for a vehicle without ownerships."""
    row = _segment_at(ownerships, vehicle, time)
    safe = np.maximum(row, 0)
    years = np.maximum(0, time - ownerships.acquired_at[safe]) / YEAR
    miles = ownerships.start_mileage[safe] + ownerships.mileage_rate[safe] * years
    return np.where(row >= 0, np.minimum(miles, 999_999), -1).astype(np.int64)


def listing_vehicle_states(states: VehicleStates, listing_vehicle: np.ndarray, listing_start: np.ndarray) -> np.ndarray:
    """Per listing, the state row a package must show: the vehicle's latest state updated at or before the
    listing's start; -1 if none was."""
    keys = _time_key(states.vehicle, states.updated_at)
    row = np.searchsorted(keys, _time_key(listing_vehicle, listing_start), side="right") - 1
    return np.where((row >= 0) & (states.vehicle[np.maximum(row, 0)] == listing_vehicle), row, -1)
