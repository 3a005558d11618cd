"""Service records: work done on vehicles while owned, by technicians or by the owners themselves.

Draws from STREAM_SERVICE. How often a vehicle is serviced and what kind of work is done depends on the
owner's archetype (builders restore and modify, flippers inspect before selling); how well a record is
documented depends on the technician's hidden habit (meticulous technicians note the mileage, write long
descriptions and photograph their work).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from . import catalog
from .common import (
    DAY,
    JAN_1_1990,
    KIND_NON_VEHICLE,
    ODOMETER_KINDS,
    OPEN,
    SERVICE_CATEGORIES,
    STREAM_SERVICE,
    YEAR,
    GeneratorConfig,
    stream_rng,
)
from .histories import Ownerships
from .people import Technicians

# P(category | archetype); columns follow SERVICE_CATEGORIES.
CATEGORY_BY_ARCHETYPE = np.array(
    [
        [0.55, 0.15, 0.08, 0.04, 0.18],  # collector
        [0.25, 0.25, 0.05, 0.05, 0.40],  # flipper
        [0.25, 0.20, 0.25, 0.27, 0.03],  # builder
        [0.55, 0.33, 0.01, 0.05, 0.06],  # driver
    ]
)


@dataclass
class ServiceRecords:
    """Service records in time order; row i is service_records.id i + 1. Costs are in cents."""

    n: int
    ids: np.ndarray
    ownership: np.ndarray  # ownership row during which the work was done
    vehicle: np.ndarray
    performed_at: np.ndarray  # Unix seconds
    day: np.ndarray  # days since 1970
    category: np.ndarray  # index into SERVICE_CATEGORIES
    technician: np.ndarray  # 0-based technician index, -1 for the owner's own work
    habit: np.ndarray  # the technician's documentation habit (0 for own work)
    skill: np.ndarray
    mileage: np.ndarray
    mileage_unrecorded: np.ndarray
    hours: np.ndarray
    hours_unrecorded: np.ndarray
    parts: np.ndarray
    parts_unrecorded: np.ndarray
    total: np.ndarray
    total_unrecorded: np.ndarray
    photo_rate: np.ndarray  # expected work photos (scaled to the image budget in images.py)
    description_picks: np.ndarray  # (n, 3) ints for the description text


def make_service(
    cfg: GeneratorConfig, vehicle_kind: np.ndarray, manufactured_at: np.ndarray, own: Ownerships, tech: Technicians
) -> ServiceRecords:
    rng = stream_rng(cfg.seed, STREAM_SERVICE)
    ownership, performed_at = _when(rng, cfg, vehicle_kind, manufactured_at, own)
    n = len(ownership)
    vehicle = own.vehicle[ownership]
    work = _work_and_worker(rng, own.archetype[ownership], tech)
    mileage = (
        own.start_mileage[ownership] + own.mileage_rate[ownership] * (performed_at - own.acquired_at[ownership]) / YEAR
    )
    recorded_share = np.where(work.by_technician, np.array([0.4, 0.85, 0.99])[work.habit], 0.5)
    mileage_unrecorded = (rng.random(n) > recorded_share) | ~np.isin(vehicle_kind[vehicle], ODOMETER_KINDS)
    costs = _hours_and_costs(rng, work, tech)
    # work photos per record: the technician's documentation habit (before/after shots when meticulous)
    photo_rate = np.where(work.by_technician, np.array([0.3, 2.0, 8.0])[work.habit], 0.8)
    return ServiceRecords(
        n=n,
        ids=np.arange(1, n + 1, dtype=np.int64),
        ownership=ownership,
        vehicle=vehicle,
        performed_at=performed_at,
        day=performed_at // DAY,
        category=work.category,
        technician=work.technician,
        habit=work.habit,
        skill=work.skill,
        mileage=mileage.astype(np.int64),
        mileage_unrecorded=mileage_unrecorded,
        hours=costs.hours,
        hours_unrecorded=costs.hours_unrecorded,
        parts=costs.parts,
        parts_unrecorded=costs.parts_unrecorded,
        total=costs.total,
        total_unrecorded=costs.total_unrecorded,
        photo_rate=photo_rate,
        description_picks=rng.integers(0, 1 << 30, size=(n, 3)),
    )


def _when(
    rng: np.random.Generator,
    cfg: GeneratorConfig,
    vehicle_kind: np.ndarray,
    manufactured_at: np.ndarray,
    own: Ownerships,
) -> tuple[np.ndarray, np.ndarray]:
    """(ownership row, time) of every record, in time order: a Poisson count per ownership, at a rate per
    archetype and year owned (scaled to the run's target count), at uniform times in the ownership."""
    # each ownership's serviceable window: from acquisition (not before 1990 or the build date) to disposal
    window_start = np.maximum(np.maximum(own.acquired_at, JAN_1_1990), manufactured_at[own.vehicle])
    window_end = np.where(own.disposed_at != OPEN, own.disposed_at, cfg.world_end - DAY)
    years = np.maximum(0, window_end - window_start) / YEAR
    expected = np.array([0.9, 1.2, 2.6, 1.0])[own.archetype] * years
    expected[vehicle_kind[own.vehicle] == KIND_NON_VEHICLE] = 0
    if expected.sum() > 0:
        expected *= cfg.service_records_target / expected.sum()
    ownership = np.repeat(np.arange(own.n), rng.poisson(expected))
    performed_at = window_start[ownership] + (
        rng.random(len(ownership)) * np.maximum(0, window_end[ownership] - window_start[ownership])
    ).astype(np.int64)
    order = np.argsort(performed_at, kind="stable")
    return ownership[order], performed_at[order]


class _Work(NamedTuple):
    category: np.ndarray
    own_work: np.ndarray  # done by the owner
    technician: np.ndarray  # -1 for own work
    by_technician: np.ndarray
    habit: np.ndarray
    skill: np.ndarray


def _work_and_worker(rng: np.random.Generator, archetype: np.ndarray, tech: Technicians) -> _Work:
    """The kind of work by the owner's archetype; who did it (builders often do their own), a technician
    weighted by how much work they get."""
    n = len(archetype)
    cumulative = np.cumsum(CATEGORY_BY_ARCHETYPE, axis=1)[archetype]
    category = np.minimum((rng.random(n)[:, None] > cumulative).sum(axis=1), 4)
    own_work = rng.random(n) < np.array([0.08, 0.05, 0.45, 0.12])[archetype]
    technician_pick = np.searchsorted(tech.cumulative_weight, rng.random(n) * tech.cumulative_weight[-1], side="right")
    technician = np.where(own_work, -1, np.minimum(technician_pick, tech.n - 1))
    by_technician = technician >= 0
    known_technician = np.maximum(technician, 0)
    habit = np.where(by_technician, tech.habit[known_technician], 0)
    skill = np.where(by_technician, tech.skill[known_technician], 0)
    return _Work(category, own_work, technician, by_technician, habit, skill)


class _Costs(NamedTuple):
    hours: np.ndarray
    hours_unrecorded: np.ndarray
    parts: np.ndarray  # cents
    parts_unrecorded: np.ndarray
    total: np.ndarray  # cents
    total_unrecorded: np.ndarray


def _hours_and_costs(rng: np.random.Generator, work: _Work, tech: Technicians) -> _Costs:
    """Hours around a median per category (masters are quicker), parts likewise, total = hours x the
    technician's rate + parts. Owners often log no hours; minimal documenters often no parts."""
    n = len(work.category)
    median_hours = np.array([1.5, 4.0, 60.0, 8.0, 1.5])[work.category]
    hours = np.round(median_hours * rng.lognormal(0, 0.6, n) * np.array([1.3, 1.0, 0.85])[work.skill], 2)
    hours = np.minimum(hours, 2000)
    median_parts = np.array([120.0, 650.0, 9000.0, 2200.0, 0.0])[work.category]
    parts = np.round(median_parts * rng.lognormal(0, 0.8, n) * 100).astype(np.int64)
    hourly_rate = np.where(work.by_technician, tech.hourly_rate[np.maximum(work.technician, 0)], 0.0)
    total = np.round(hours * hourly_rate * 100).astype(np.int64) + parts
    hours_unrecorded = work.own_work & (rng.random(n) < 0.6)
    parts_unrecorded = rng.random(n) < np.where(work.habit == 0, 0.3, 0.05)
    total_unrecorded = (work.own_work & hours_unrecorded & (rng.random(n) < 0.5)) | (rng.random(n) < 0.03)
    return _Costs(hours, hours_unrecorded, parts, parts_unrecorded, total, total_unrecorded)


def service_descriptions(service: ServiceRecords) -> list[str]:
    """Text as long as the documentation habit: a word or two, a sentence, or a full work order."""
    out = []
    words_by_category = [catalog.SERVICE_WORDS[c] for c in SERVICE_CATEGORIES]
    for i, (first_pick, second_pick, follow_up) in enumerate(service.description_picks.tolist()):
        words = words_by_category[service.category[i]]
        first = words[first_pick % len(words)]
        habit = service.habit[i]
        if service.technician[i] < 0:
            out.append(first if second_pick % 3 else f"DIY {first}")
        elif habit == 0:
            out.append(first if second_pick % 4 else first.upper())
        elif habit == 1:
            second = words[second_pick % len(words)]
            out.append(f"{first.capitalize()}. {second.capitalize()} as needed.")
        else:
            second = words[second_pick % len(words)]
            at_mileage = "" if service.mileage_unrecorded[i] else f" at {service.mileage[i]:,} miles"
            out.append(
                f"Customer request: {first}{at_mileage}. Performed {first} and {second}; torqued to spec and "
                f"road tested. Parts: OEM part numbers {first_pick % 900 + 100}-{second_pick % 9000 + 1000}. "
                f"Before and after photos attached. Recommend follow-up in {follow_up % 12 + 6} months."
            )
    return out
