"""The ground-truth tables: what tests check the pipeline against, never columns of the raw tables.

Each truth row goes out in the extract that first writes a row of what it describes (a vehicle's first
state, an owner's first ownership, a listing's first version), so base + appends add up to one truth.

- ``_owner_archetypes``: the hidden archetype of every user who owned a vehicle.
- ``_technician_profiles``: every technician's skill and documentation habit.
- ``_lot_truth``: what every vehicle row really is (lot category) and its family (lots.py).
- ``_vehicle_truth``: every vehicle's make and model in the catalog's one spelling, and the generation its
  platform's model text names (null where it names none): the two platforms' spellings meet here.
- ``_listing_vehicle_truth``: for every listing, the vehicle state a package must show at the listing's
  start: the latest delivered vehicles row with ``updated_at`` at or before ``started_at``, its values as
  delivered (injected defects included); nulls when there is none (or no vehicle).
"""

from __future__ import annotations

import numpy as np

from .common import ARCHETYPE_NAMES, HABITS, LOT_CATEGORY_NAMES, SKILLS
from .copytext import escape_copy, py_table
from .defects import ORPHAN_BASE
from .delivery import DeliveredRows, Extract
from .tables import VEHICLE_COLOR, VEHICLE_MILEAGE, VEHICLE_RATING, VEHICLE_UPDATED_AT
from .vehicle_states import listing_vehicle_states
from .world import World


def _id_text(value) -> str:
    return str(int(value))


def _first_written(extract: Extract, delivered: DeliveredRows, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group of a table's rows (``group`` per row), whether this extract first writes one of them."""
    rows = delivered.rows
    return extract.first_arrivals(group, n_groups, rows.loaded, delivered.kept)


def owner_archetype_rows(world: World, delivered: dict[str, DeliveredRows], extract: Extract) -> bytes:
    ownerships = delivered["ownerships"]
    owner = world.ownerships.owner[ownerships.rows.record]  # the true owner, also of an orphaned row
    owners = np.nonzero(_first_written(extract, ownerships, owner, world.users.n))[0].tolist()
    archetype = world.users.archetype
    return py_table([[_id_text(o + 1) for o in owners], [ARCHETYPE_NAMES[archetype[o]] for o in owners]])


def technician_profile_rows(world: World, delivered: dict[str, DeliveredRows], extract: Extract) -> bytes:
    tech = world.technicians
    technicians = delivered["technicians"]
    chosen = np.nonzero(_first_written(extract, technicians, technicians.rows.record, tech.n))[0].tolist()
    return py_table(
        [
            [_id_text(tech.ids[i]) for i in chosen],
            [SKILLS[tech.skill[i]] for i in chosen],
            [HABITS[tech.habit[i]] for i in chosen],
        ]
    )


def _vehicles_first_written(world: World, delivered: dict[str, DeliveredRows], extract: Extract) -> list[int]:
    vehicles = delivered["vehicles"]
    return np.nonzero(_first_written(extract, vehicles, vehicles.rows.record, world.vehicles.n))[0].tolist()


def lot_truth_rows(world: World, delivered: dict[str, DeliveredRows], extract: Extract) -> bytes:
    vehicles = world.vehicles
    chosen = _vehicles_first_written(world, delivered, extract)
    return py_table(
        [
            [_id_text(vehicles.ids[v]) for v in chosen],
            [LOT_CATEGORY_NAMES[vehicles.kind[v]] for v in chosen],
            [vehicles.text.families[v] for v in chosen],
        ]
    )


def vehicle_truth_rows(world: World, delivered: dict[str, DeliveredRows], extract: Extract) -> bytes:
    vehicles, text = world.vehicles, world.vehicles.text
    chosen = _vehicles_first_written(world, delivered, extract)
    return py_table(
        [
            [_id_text(vehicles.ids[v]) for v in chosen],
            [escape_copy(text.canonical_makes[v]) for v in chosen],
            [escape_copy(text.canonical_models[v]) for v in chosen],
            [text.generations[v] for v in chosen],
        ]
    )


def listing_vehicle_truth_rows(world: World, delivered: dict[str, DeliveredRows], extract: Extract) -> bytes:
    """One row per listing (orphan listings too: their vehicle exists nowhere, so nulls) as its first
    version goes out; the values are those of the vehicles row delivered for that state."""
    listings = world.listings
    listing_rows = delivered["bat_listings"]
    n_records = int(listing_rows.rows.record.max()) + 1 if len(listing_rows.rows.record) else 0
    chosen = np.nonzero(_first_written(extract, listing_rows, listing_rows.rows.record, n_records))[0]
    state_row = listing_vehicle_states(world.states, listings.vehicle, listings.start)
    vehicle_columns = delivered["vehicles"].rows.columns
    columns: list[list] = [[], [], [], [], [], []]
    for i in chosen.tolist():
        real = i < listings.n
        row = int(state_row[i]) if real else -1
        values = [vehicle_columns[c][row] if row >= 0 else None for c in _TRUTH_COLUMNS]
        vehicle_id = listings.vehicle[i] + 1 if real else ORPHAN_BASE + i + 1
        for column, value in zip(columns, [_id_text(i + 1), _id_text(vehicle_id), *values], strict=True):
            column.append(value)
    return py_table(columns)


_TRUTH_COLUMNS = (VEHICLE_UPDATED_AT, VEHICLE_MILEAGE, VEHICLE_COLOR, VEHICLE_RATING)
