"""Shared vocabulary of the generator: the run's configuration, time constants, random streams, codes.

Random streams. Every part of the world draws from its own numpy Generator, keyed by
``SeedSequence(seed, spawn_key=(stream, ...))``, so adding draws to one part never shifts another:

==================  ==============================================================================
stream key          what it draws
==================  ==============================================================================
STREAM_USERS        join times, user type, archetype, owner weight, activity, name/contact picks
STREAM_TECHNICIANS  skill, documentation habit, shop link, years in trade, certifications, rate
STREAM_VEHICLES     kind, decade, model, year, condition, listing count, per-vehicle uniforms
STREAM_LISTINGS     documentation, reserve, value noise, bids/comments/views, gallery size
STREAM_OWNERSHIPS   (reserved: ownership chains draw from the per-vehicle uniforms instead)
STREAM_SERVICE      service counts per ownership, times, category, technician, hours, parts
STREAM_IMAGES       (0, 0): photo counts; (part + 1, chunk): one image chunk's rows
STREAM_COMMENTS     (chunk,): one comment chunk's rows
STREAM_BIDS         (chunk,): one bid chunk's rows
STREAM_DEFECTS      (table number, part): which rows of which table carry which injected defect
STREAM_DESCRIPTIONS listing description sentence picks
STREAM_TEXT         how a lot is written down: lot model texts, stated years, accessory phrases
STREAM_STATES       vehicle state changes: mileage reports, repaints, gradings (vehicle_states.py)
==================  ==============================================================================

Ids. Every entity has ids 1..n in the order of its arrays: row index i is id i + 1 (users, technicians,
vehicles, ownerships, service records; listings after sorting by start time). Streamed child rows are
numbered globally across chunks. Ids from ``ORPHAN_BASE`` (in defects.py) on exist in no table.

Times are Unix seconds (int64) throughout; dates are days since 1970-01-01. The world is simulated up to
``world_end``, HORIZON_DAYS after the base run's extract time ``as_of``: the base run writes what arrived by
``as_of`` (delivery.py), and appends write what arrives later, from the same world.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .copytext import days_from_civil

DAY = 86400
YEAR = 365.25 * DAY
JAN_1_2015 = days_from_civil(2015, 1, 1) * DAY  # the marketplace's first listings
JAN_1_2008 = days_from_civil(2008, 1, 1) * DAY  # the first user accounts
JAN_1_1990 = days_from_civil(1990, 1, 1) * DAY  # the oldest service records
OPEN = -(1 << 62)  # 'no end' for times (real times may be negative: before 1970)

# Random stream keys (the first element of a SeedSequence spawn_key); see the module docstring.
(
    STREAM_USERS,
    STREAM_TECHNICIANS,
    STREAM_VEHICLES,
    STREAM_LISTINGS,
    STREAM_OWNERSHIPS,
    STREAM_SERVICE,
    STREAM_IMAGES,
    STREAM_COMMENTS,
    STREAM_BIDS,
    STREAM_DEFECTS,
    STREAM_DESCRIPTIONS,
    STREAM_TEXT,
    STREAM_STATES,
) = range(13)
HORIZON_DAYS = 60  # how far beyond the base extract the world is simulated, for appends

# Listing status codes and their text.
STATUS_LIVE, STATUS_SOLD, STATUS_RESERVE_NOT_MET, STATUS_WITHDRAWN = 0, 1, 2, 3
STATUS_NAMES = ["live", "sold", "reserve_not_met", "withdrawn"]
# Owner archetypes (hidden ground truth in _owner_archetypes).
ARCHETYPE_NAMES = ["collector", "flipper", "builder", "driver"]
COLLECTOR, FLIPPER, BUILDER, DRIVER = range(4)
# How an owner acquired a vehicle (ownerships.acquired_via).
VIA_NAMES = ["bat", "private", "dealer", "inheritance", "unknown"]
VIA_BAT, VIA_PRIVATE, VIA_DEALER, VIA_INHERITANCE, VIA_UNKNOWN = range(5)
# What a lot is (_lot_truth.lot_category): most are cars; motorcycles (any two- or three-wheeler, scooter,
# mini-bike or ATV), non-vehicle lots (parts, automobilia, signs, literature, models, trailers) and other
# vehicles (boats, tractors, karts, golf carts, snowmobiles) are sold too.
KIND_CAR, KIND_MOTORCYCLE, KIND_NON_VEHICLE, KIND_OTHER_VEHICLE = 0, 1, 2, 3
LOT_CATEGORY_NAMES = ["car", "motorcycle", "non_vehicle", "other_vehicle"]
# Kinds with an odometer: the others report no mileage (boats and tractors count hours, parts nothing).
ODOMETER_KINDS = (KIND_CAR, KIND_MOTORCYCLE)
# User types (users.user_type).
USER_TYPE_NAMES = ("private", "dealer", "shop")
USER_PRIVATE, USER_DEALER, USER_SHOP = range(3)
# Technician ground truth (_technician_profiles) and service categories.
SKILLS = ["apprentice", "journeyman", "master"]
HABITS = ["minimal", "standard", "meticulous"]
SERVICE_CATEGORIES = ["maintenance", "repair", "restoration", "modification", "inspection"]

# Price calibration targets (realism.md): median $19.5k, deciles 6.2k .. 60.5k -> log sd ~0.89.
TARGET_LOG_MEDIAN = math.log(19500.0)
TARGET_LOG_SD = 0.89


@dataclass(frozen=True)
class GeneratorConfig:
    """One run's inputs and the entity counts they imply (1.0 = the production marketplace)."""

    scale: float
    seed: int
    dirty_rate: float
    as_of: int  # the base run's extract time, Unix seconds: the world runs to HORIZON_DAYS after it
    n_vehicles: int
    n_users: int
    n_technicians: int
    service_records_target: float

    @classmethod
    def for_scale(cls, scale: float, seed: int, dirty_rate: float, as_of: int) -> GeneratorConfig:
        return cls(
            scale=scale,
            seed=int(seed),
            dirty_rate=float(dirty_rate),
            as_of=int(as_of),
            n_vehicles=max(60, int(round(287_000 * scale))),
            n_users=max(80, int(round(120_000 * scale))),
            n_technicians=max(6, int(round(6_000 * scale))),
            service_records_target=max(100.0, 1_200_000 * scale),
        )

    @property
    def world_end(self) -> int:
        """The simulation's "now": every event happens at or before it."""
        return self.as_of + HORIZON_DAYS * DAY


def stream_rng(seed: int, *key: int) -> np.random.Generator:
    """The random stream for ``key`` (see the module docstring); independent of every other key."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=tuple(key))))


def weighted_choice(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    """``size`` indices into ``weights``, drawn with probabilities proportional to them."""
    probabilities = np.asarray(weights, dtype=float)
    return rng.choice(len(probabilities), size=size, p=probabilities / probabilities.sum())
