"""Vehicle histories: each vehicle's listings on the marketplace and the chain of owners around them.

A vehicle's story is built backwards from its latest listing (the one most likely to be in an extract):
earlier listings precede it by a gap that depends on whether the earlier one sold. Owners change by
private sale before the first listing, by a dealer buying it to consign, and by winning a sold auction.
Each ownership row (a "segment" of the chain) gets an owner whose archetype fits how long they kept it and
who had joined by the time they had to be on the marketplace. Mileage grows at a per-owner rate, so the
odometer a listing shows is consistent with every other reading.

Histories run to the world's end (common.py): a listing still running then is live; the latest listings
start at a rate that grows smoothly into it, so every append finds new ones.

No random stream is drawn here (but the TMU flag, STREAM_VEHICLES' last draw): every decision reads the
vehicle's row of ``VehicleDraws`` (columns named in vehicles.py), so the histories are a pure function of
those tables, the users and the world's end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from .common import (
    BUILDER,
    COLLECTOR,
    DAY,
    DRIVER,
    FLIPPER,
    JAN_1_2015,
    KIND_MOTORCYCLE,
    ODOMETER_KINDS,
    OPEN,
    STATUS_LIVE,
    STATUS_RESERVE_NOT_MET,
    STATUS_SOLD,
    STATUS_WITHDRAWN,
    VIA_BAT,
    VIA_DEALER,
    VIA_INHERITANCE,
    VIA_PRIVATE,
    VIA_UNKNOWN,
    YEAR,
)
from .people import OwnerPools, Users
from .vehicles import (
    I_OWNER,
    I_TEXT,
    I_VIN,
    I_VIN_CHECK,
    U_CONSIGNED,
    U_CREATED,
    U_DEALER_LEAD_TIME,
    U_EARLIER_DURATION,
    U_EARLIER_GAP,
    U_EARLIER_STATUS,
    U_FIRST_ACQUIRED,
    U_LATEST_DURATION,
    U_LATEST_START,
    U_LATEST_STATUS,
    U_MILEAGE_RATE,
    U_OWNER_ARCHETYPE,
    U_PRE_LISTING_TRANSFERS,
    U_TRANSFER_TIME,
    U_WITHDRAWN_AFTER,
    VehicleDraws,
    as_of_year,
)

# Why an ownership segment began.
ROLE_ORDINARY = 0  # the first known owner, or a private sale / inheritance
ROLE_DEALER_PURCHASE = 1  # a dealer bought it to consign it on the marketplace
ROLE_AUCTION_WIN = 2  # the winner of a sold listing

# Miles a year by archetype (collector, flipper, builder, driver), before per-owner variation.
MILES_PER_YEAR = np.array([500.0, 1000.0, 1500.0, 8000.0])


class PlannedListing(NamedTuple):
    start: int
    duration: int
    status: int


class Transfer(NamedTuple):
    time: int
    via: int
    role: int


@dataclass
class Listings:
    """Listings sorted by start time; row i is bat_listings.id i + 1."""

    n: int
    ids: np.ndarray
    vehicle: np.ndarray  # 0-based vehicle index
    start: np.ndarray
    end: np.ndarray  # -1 while live
    status: np.ndarray  # STATUS_*
    consigned: np.ndarray  # a dealer sells it on the owner's behalf
    seller_ownership: np.ndarray  # ownership row of the seller
    winner_ownership: np.ndarray  # ownership row the sale starts, -1 if unsold
    seller: np.ndarray  # 0-based user index
    winner: np.ndarray  # 0-based user index, -1 if unsold
    mileage: np.ndarray  # odometer at the start
    # Cleared by tables.plan_listing_defects for listings with a blocking defect: those get no bids,
    # comments or gallery, so a quarantined listing never orphans children.
    has_children: np.ndarray


@dataclass
class Ownerships:
    """Ownership rows grouped by vehicle, oldest first; row i is ownerships.id i + 1."""

    n: int
    vehicle: np.ndarray
    owner: np.ndarray  # 0-based user index
    archetype: np.ndarray  # the owner's archetype
    acquired_at: np.ndarray
    disposed_at: np.ndarray  # OPEN while still owned
    via: np.ndarray  # VIA_*
    mileage_rate: np.ndarray  # miles a year while owned
    start_mileage: np.ndarray  # odometer on acquisition


@dataclass
class Histories:
    listings: Listings
    ownerships: Ownerships
    current_owner: np.ndarray  # per vehicle, 0-based user index or -1 (at the world's end)
    created_at: np.ndarray  # per vehicle: when its record was created


@dataclass
class _Columns:
    """Row-wise output of the per-vehicle loop, turned into arrays at the end."""

    listing_vehicle: list[int] = field(default_factory=list)
    listing_start: list[int] = field(default_factory=list)
    listing_end: list[int] = field(default_factory=list)
    listing_status: list[int] = field(default_factory=list)
    listing_consigned: list[bool] = field(default_factory=list)
    listing_seller_ownership: list[int] = field(default_factory=list)
    listing_winner_ownership: list[int] = field(default_factory=list)
    owner_vehicle: list[int] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)
    owner_archetype: list[int] = field(default_factory=list)
    owner_acquired: list[int] = field(default_factory=list)
    owner_disposed: list[int] = field(default_factory=list)
    owner_via: list[int] = field(default_factory=list)
    owner_rate: list[float] = field(default_factory=list)
    owner_start_mileage: list[float] = field(default_factory=list)


def build_histories(
    world_end: int,
    users: Users,
    pools: OwnerPools,
    kind: np.ndarray,
    year: np.ndarray,
    manufactured_at: np.ndarray,
    planned_listings: np.ndarray,
    bare: np.ndarray,
    draws: VehicleDraws,
) -> Histories:
    n = len(kind)
    builder = _HistoryBuilder(world_end, users, pools)
    current_owner = np.full(n, -1, dtype=np.int64)
    created_at = np.zeros(n, dtype=np.int64)
    for v in range(n):
        uniforms = draws.uniform[v]
        if bare[v]:
            created_at[v] = _bare_record_created(uniforms, world_end)
            continue
        current_owner[v], created_at[v] = builder.add_vehicle(
            v, kind[v], year[v], int(manufactured_at[v]), int(planned_listings[v]), uniforms, draws.integer[v]
        )
    ownerships = _ownership_arrays(builder.out)
    listings = _listing_arrays(builder.out, ownerships)
    return Histories(listings, ownerships, current_owner, created_at)


class OwnershipChain(NamedTuple):
    """A vehicle's ownership segments, oldest first: when each began, how, and why."""

    starts: list[int]
    vias: list[int]
    roles: list[int]

    def span(self, k: int, world_end: int) -> tuple[int, int, float]:
        """(acquired, disposed or OPEN, years owned up to the disposal or the extract) of segment k."""
        acquired = self.starts[k]
        disposed = self.starts[k + 1] if k + 1 < len(self.starts) else OPEN
        return acquired, disposed, ((disposed if disposed != OPEN else world_end) - acquired) / YEAR


class _HistoryBuilder:
    """Appends each vehicle's listings and ownership rows to row-wise columns."""

    def __init__(self, world_end: int, users: Users, pools: OwnerPools):
        self.world_end = world_end
        self.current_year = as_of_year(world_end)
        self.users = users
        self.pools = pools
        self.out = _Columns()

    def add_vehicle(
        self, v: int, kind, year, manufactured: int, planned: int, uniforms: np.ndarray, picks: np.ndarray
    ) -> tuple[int, int]:
        """Append vehicle v's history; returns (current owner, record created_at)."""
        sequence = _listing_sequence(uniforms, planned, manufactured, self.world_end)
        ends = _listing_ends(sequence, uniforms)
        first_acquired = _first_acquired(uniforms, sequence, manufactured, year, self.world_end)
        transfers = _private_sales_before_listing(uniforms, picks, first_acquired, sequence, self.world_end)
        consigned = _consignments_and_sales(uniforms, picks, sequence, ends, transfers, first_acquired)
        if picks[I_VIN_CHECK] % 3 == 0:
            first_via = VIA_UNKNOWN
        else:
            first_via = VIA_DEALER if year >= self.current_year - 3 else VIA_PRIVATE  # nearly new: from a dealer
        chain = OwnershipChain(
            starts=[first_acquired] + [t.time for t in transfers],
            vias=[first_via] + [t.via for t in transfers],
            roles=[ROLE_ORDINARY] + [t.role for t in transfers],
        )
        seller_segment = _seller_segments(sequence, chain.starts)
        owners = self._pick_owners(uniforms, picks, sequence, seller_segment, chain)
        start_mileage = _mileage_at_first_acquisition(uniforms, kind, year, first_acquired, manufactured)
        segment_rows = self._append_ownerships(v, kind, picks, chain, owners, start_mileage)
        out = self.out
        for j, listing in enumerate(sequence):
            out.listing_vehicle.append(v)
            out.listing_start.append(listing.start)
            out.listing_end.append(ends[j])
            out.listing_status.append(listing.status)
            out.listing_consigned.append(consigned[j])
            out.listing_seller_ownership.append(segment_rows[seller_segment[j]])
            out.listing_winner_ownership.append(_winner_ownership(listing.status, ends[j], chain, segment_rows))
        return owners[-1], _record_created(uniforms, sequence, self.world_end)

    def _pick_owners(
        self,
        uniforms: np.ndarray,
        picks: np.ndarray,
        sequence: list[PlannedListing],
        seller_segment: list[int],
        chain: OwnershipChain,
    ) -> list[int]:
        """An owner (0-based user) per segment, from the pool that fits the segment (``_owner_key``).

        An owner who sells on the marketplace must have joined by the listing's start, an auction winner
        by the win; consecutive owners differ.
        """
        owners: list[int] = []
        previous_owner = -1
        for k in range(len(chain.starts)):
            acquired, _disposed, years_owned = chain.span(k, self.world_end)
            uniform = _owner_uniform(picks, k)
            key = _owner_key(chain.roles[k], years_owned, (uniforms[U_OWNER_ARCHETYPE] + 0.381966 * k) % 1.0)
            joined_before = None
            listed = [j for j in range(len(sequence)) if seller_segment[j] == k]
            if listed:
                joined_before = sequence[listed[0]].start
            elif chain.roles[k] == ROLE_AUCTION_WIN:
                joined_before = acquired
            owner = self.pools.pick(key, uniform, joined_before)
            if owner == previous_owner:
                owner = self.pools.pick(key, (uniform + 0.5) % 1.0, joined_before)
                if owner == previous_owner:
                    owner = (owner + 1) % self.users.n
            owners.append(owner)
            previous_owner = owner
        return owners

    def _append_ownerships(
        self, v: int, kind, picks: np.ndarray, chain: OwnershipChain, owners: list[int], mileage: float
    ) -> list[int]:
        """Append the ownership rows, the odometer growing at each owner's rate; returns their row numbers."""
        out = self.out
        rows = []
        for k, owner in enumerate(owners):
            acquired, disposed, years_owned = chain.span(k, self.world_end)
            archetype = int(self.users.archetype[owner])
            rate = 0.0
            if kind in ODOMETER_KINDS:
                variation = math.exp(0.5 * (((_owner_uniform(picks, k) * 7.31) % 1.0) - 0.5) * 2)
                rate = MILES_PER_YEAR[archetype] * variation
                if kind == KIND_MOTORCYCLE:
                    rate *= 0.3
            out.owner_vehicle.append(v)
            out.owner.append(owner)
            out.owner_archetype.append(archetype)
            out.owner_acquired.append(acquired)
            out.owner_disposed.append(disposed)
            out.owner_via.append(chain.vias[k])
            out.owner_rate.append(rate)
            out.owner_start_mileage.append(mileage)
            rows.append(len(out.owner_vehicle) - 1)
            mileage += rate * years_owned if disposed != OPEN else 0.0
        return rows


def _owner_uniform(picks: np.ndarray, k: int) -> float:
    """The uniform behind segment k's owner pick (and their mileage variation): golden-ratio steps."""
    return (float(picks[I_OWNER] % 1000003) / 1000003.0 + 0.618034 * k) % 1.0


def _bare_record_created(uniforms: np.ndarray, world_end: int) -> int:
    """A vehicle record with no listing is created any time since 2015."""
    return JAN_1_2015 + int(uniforms[U_CREATED] * (world_end - DAY - JAN_1_2015))


def _listing_sequence(uniforms: np.ndarray, planned: int, manufactured: int, world_end: int) -> list[PlannedListing]:
    """The vehicle's listings, oldest first: the latest is placed in time, earlier ones before it.

    An earlier listing that did not sell is relisted within weeks; one that sold comes back years later.
    Listings that would start before 2015 or within 60 days of the build date are dropped.
    """
    if not planned:
        return []
    status_pick = uniforms[U_LATEST_STATUS]
    if status_pick < 0.78:
        status = STATUS_SOLD
    elif status_pick < 0.96:
        status = STATUS_RESERVE_NOT_MET
    else:
        status = STATUS_WITHDRAWN
    duration_pick = uniforms[U_LATEST_DURATION]
    duration = 7 * DAY if duration_pick < 0.85 else (5, 10, 14)[int(duration_pick * 1000) % 3] * DAY
    start = JAN_1_2015 + int((uniforms[U_LATEST_START] ** 0.55) * (world_end - 3600 - JAN_1_2015))
    start = max(start, manufactured + 60 * DAY)
    if start + duration > world_end:
        status = STATUS_LIVE  # still running when the simulation ends
    sequence = [PlannedListing(start, duration, status)]
    for j in range(planned - 1):
        status_pick = uniforms[U_EARLIER_STATUS + j]
        if status_pick < 0.55:
            status = STATUS_SOLD
        elif status_pick < 0.93:
            status = STATUS_RESERVE_NOT_MET
        else:
            status = STATUS_WITHDRAWN
        gap_pick = uniforms[U_EARLIER_GAP + j]
        gap = (20 + int(gap_pick * 100)) * DAY if status != STATUS_SOLD else int((1 + gap_pick * 5) * YEAR)
        duration = 7 * DAY if uniforms[U_EARLIER_DURATION + j] < 0.85 else 10 * DAY
        start = sequence[0].start - gap - duration
        if start < JAN_1_2015 or start < manufactured + 60 * DAY:
            break
        sequence.insert(0, PlannedListing(start, duration, status))
    return sequence


def _listing_ends(sequence: list[PlannedListing], uniforms: np.ndarray) -> list[int]:
    """End times: -1 while live; a withdrawn listing ends early, after at least a day."""
    ends = []
    for listing in sequence:
        if listing.status == STATUS_LIVE:
            ends.append(-1)
        elif listing.status == STATUS_WITHDRAWN:
            ends.append(listing.start + int(DAY + (listing.duration - 1.5 * DAY) * uniforms[U_WITHDRAWN_AFTER]))
        else:
            ends.append(listing.start + listing.duration)
    return ends


def _first_acquired(
    uniforms: np.ndarray, sequence: list[PlannedListing], manufactured: int, year, world_end: int
) -> int:
    """When the first known owner got it: between the build date and 90 days before the first listing
    (modern cars skew towards their build date, older cars are found any time)."""
    first_listing = sequence[0].start if sequence else world_end
    latest = first_listing - 90 * DAY
    if latest <= manufactured:
        return manufactured
    fraction = uniforms[U_FIRST_ACQUIRED] ** 2 if year >= 1990 else uniforms[U_FIRST_ACQUIRED]
    return manufactured + int(fraction * (latest - manufactured))


def _private_sales_before_listing(
    uniforms: np.ndarray, picks: np.ndarray, first_acquired: int, sequence: list[PlannedListing], world_end: int
) -> list[Transfer]:
    """Zero to three off-marketplace changes of owner, if there are over two years to place them in."""
    first_listing = sequence[0].start if sequence else world_end
    count_pick = uniforms[U_PRE_LISTING_TRANSFERS]
    count = 0 if count_pick < 0.75 else 1 if count_pick < 0.95 else 2 if count_pick < 0.99 else 3
    room = (first_listing - 30 * DAY) - first_acquired
    transfers = []
    if room > 2 * 365 * DAY:
        time_picks = (uniforms[U_TRANSFER_TIME], uniforms[U_TRANSFER_TIME + 1], uniforms[U_TRANSFER_TIME + 2])[:count]
        for t in sorted(int(first_acquired + room * x) for x in time_picks):
            how = picks[I_TEXT]
            via = VIA_INHERITANCE if how % 10 == 0 else (VIA_PRIVATE if how % 3 else VIA_DEALER)
            transfers.append(Transfer(t, via, ROLE_ORDINARY))
    return transfers


def _consignments_and_sales(
    uniforms: np.ndarray,
    picks: np.ndarray,
    sequence: list[PlannedListing],
    ends: list[int],
    transfers: list[Transfer],
    first_acquired: int,
) -> list[bool]:
    """Which listings a dealer consigns, appending the owner changes listings cause to ``transfers``.

    A dealer buys the vehicle 20..240 days before consigning it (if that fits after the last change of
    owner); an unsold consigned listing's relisting stays with the dealer. A sold listing's end starts
    the winner's ownership.
    """
    consigned: list[bool] = []
    for j, listing in enumerate(sequence):
        last_change = transfers[-1].time if transfers else first_acquired
        is_consigned = False
        if uniforms[U_CONSIGNED - (j % 3)] < 0.30:
            if consigned and consigned[-1] and sequence[j - 1].status != STATUS_SOLD:
                is_consigned = True
            else:
                bought = listing.start - int((20 + 220 * uniforms[U_DEALER_LEAD_TIME]) * DAY)
                if bought > last_change + 30 * DAY:
                    via = VIA_DEALER if picks[I_VIN] % 2 else VIA_PRIVATE
                    transfers.append(Transfer(bought, via, ROLE_DEALER_PURCHASE))
                    is_consigned = True
        consigned.append(is_consigned)
        if listing.status == STATUS_SOLD:
            transfers.append(Transfer(ends[j], VIA_BAT, ROLE_AUCTION_WIN))
    return consigned


def _seller_segments(sequence: list[PlannedListing], segment_starts: list[int]) -> list[int]:
    """For each listing, the ownership segment in force when it starts (its seller)."""
    segments = []
    for listing in sequence:
        k = 0
        while k + 1 < len(segment_starts) and segment_starts[k + 1] <= listing.start:
            k += 1
        segments.append(k)
    return segments


def _mileage_at_first_acquisition(uniforms: np.ndarray, kind, year, first_acquired: int, manufactured: int) -> float:
    """Miles driven from the build date to the first known owner (none for lots without an odometer)."""
    if kind not in ODOMETER_KINDS:
        return 0.0
    rate = (4000.0 if year >= 1990 else 2500.0) * math.exp(0.6 * (uniforms[U_MILEAGE_RATE] - 0.5) * 2)
    if kind == KIND_MOTORCYCLE:
        rate *= 0.3
    return max(0.0, (first_acquired - manufactured) / YEAR) * rate


def _owner_key(role: int, years_owned: float, archetype_pick: float) -> int | str:
    """Which owner pool a segment draws from: dealers for consignments, else an archetype that fits
    how long the vehicle was kept (flippers and drivers for under a year, collectors for decades)."""
    if role == ROLE_DEALER_PURCHASE:
        return "dealer"
    if years_owned < 1:
        return FLIPPER if archetype_pick < 0.5 else DRIVER
    if years_owned < 10:
        return DRIVER if archetype_pick < 0.5 else BUILDER if archetype_pick < 0.75 else COLLECTOR
    return COLLECTOR if archetype_pick < 0.6 else DRIVER if archetype_pick < 0.85 else BUILDER


def _winner_ownership(status: int, end: int, chain: OwnershipChain, rows: list[int]) -> int:
    """The ownership row a sold listing starts (the winner's), -1 if it did not sell."""
    if status != STATUS_SOLD:
        return -1
    return next(
        (rows[k] for k in range(len(chain.starts)) if chain.roles[k] == ROLE_AUCTION_WIN and chain.starts[k] == end),
        -1,
    )


def _record_created(uniforms: np.ndarray, sequence: list[PlannedListing], world_end: int) -> int:
    """The vehicle record is created days before its first listing (any time from mid-2014 if never listed)."""
    if sequence:
        return sequence[0].start - int((3 + 27 * uniforms[U_CREATED]) * DAY)
    earliest = JAN_1_2015 - 180 * DAY
    return earliest + int(uniforms[U_CREATED] * (world_end - DAY - earliest))


def draw_true_mileage_unknown(rng: np.random.Generator, n: int) -> np.ndarray:
    """7% of vehicles are TMU (true mileage unknown): no odometer reading is ever reported for them. The
    last draw of STREAM_VEHICLES."""
    return rng.random(n) < 0.07


def current_ownership_rows(n_vehicles: int, ownerships: Ownerships) -> np.ndarray:
    """Per vehicle, the ownership row still open at the extract (-1 if none)."""
    current = np.full(n_vehicles, -1, dtype=np.int64)
    open_rows = np.nonzero(ownerships.disposed_at == OPEN)[0]
    current[ownerships.vehicle[open_rows]] = open_rows
    return current


def _ownership_arrays(out: _Columns) -> Ownerships:
    return Ownerships(
        n=len(out.owner_vehicle),
        vehicle=np.array(out.owner_vehicle, dtype=np.int64),
        owner=np.array(out.owner, dtype=np.int64),
        archetype=np.array(out.owner_archetype, dtype=np.int64),
        acquired_at=np.array(out.owner_acquired, dtype=np.int64),
        disposed_at=np.array(out.owner_disposed, dtype=np.int64),
        via=np.array(out.owner_via, dtype=np.int64),
        mileage_rate=np.array(out.owner_rate),
        start_mileage=np.array(out.owner_start_mileage),
    )


def _listing_arrays(out: _Columns, ownerships: Ownerships) -> Listings:
    """Listings in start order (ids follow it), with seller, winner and odometer from the ownerships."""
    order = np.argsort(np.array(out.listing_start, dtype=np.int64), kind="stable")
    vehicle = np.array(out.listing_vehicle, dtype=np.int64)[order]
    start = np.array(out.listing_start, dtype=np.int64)[order]
    seller_ownership = np.array(out.listing_seller_ownership, dtype=np.int64)[order]
    winner_ownership = np.array(out.listing_winner_ownership, dtype=np.int64)[order]
    n = len(vehicle)
    if n:
        seller = ownerships.owner[seller_ownership]
        winner = np.where(winner_ownership >= 0, ownerships.owner[np.maximum(winner_ownership, 0)], -1)
        seller_rows = seller_ownership
        mileage = (
            ownerships.start_mileage[seller_rows]
            + ownerships.mileage_rate[seller_rows] * np.maximum(0, start - ownerships.acquired_at[seller_rows]) / YEAR
        ).astype(np.int64)
    else:
        seller = np.zeros(0, dtype=np.int64)
        winner = winner_ownership
        mileage = np.zeros(0, dtype=np.int64)
    return Listings(
        n=n,
        ids=np.arange(1, n + 1, dtype=np.int64),
        vehicle=vehicle,
        start=start,
        end=np.array(out.listing_end, dtype=np.int64)[order],
        status=np.array(out.listing_status, dtype=np.int64)[order],
        consigned=np.array(out.listing_consigned, dtype=bool)[order],
        seller_ownership=seller_ownership,
        winner_ownership=winner_ownership,
        seller=seller,
        winner=winner,
        mileage=mileage,
        has_children=np.ones(n, dtype=bool),
    )
