"""The in-memory world: users, technicians, vehicles and their states, listings, ownerships, service
records, listing text, and when each of their versions reaches the warehouse.

Everything here is sized by the number of vehicles (287K at scale 1.0) and fits in memory; the big child
tables (bids, comments, images) are streamed chunk-wise from these arrays by bids.py, comments.py and
images.py. ``build_world`` is the one place that fixes the order in which the parts are made; each part
draws from its own random stream (see common.py), so the order matters only where one part reads another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from . import lots, platforms
from .arrivals import Arrivals, schedule_arrivals
from .comments import CommentVocabulary
from .common import ODOMETER_KINDS, STREAM_VEHICLES, GeneratorConfig, stream_rng, weighted_choice
from .histories import Listings, Ownerships, build_histories, current_ownership_rows, draw_true_mileage_unknown
from .market import ListingMarket, listing_descriptions, listing_titles, price_listings
from .people import OwnerPools, Technicians, Users, make_technicians, make_users
from .service import ServiceRecords, make_service, service_descriptions
from .vehicle_states import VehicleStates, build_vehicle_states
from .vehicles import (
    T_PLATFORM,
    Vehicles,
    draw_condition,
    draw_identity,
    draw_per_vehicle,
    draw_text,
    text_attributes,
)

# Chooses the vehicles that get the make-null defect, given (kind, planned listing counts): they are
# decided before histories because such vehicles are never listed.
BareVehiclePlanner = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass
class World:
    cfg: GeneratorConfig
    users: Users
    pools: OwnerPools
    technicians: Technicians
    vehicles: Vehicles
    listings: Listings
    ownerships: Ownerships
    service: ServiceRecords
    states: VehicleStates  # the vehicles table's rows: every state of every vehicle
    arrivals: Arrivals  # when each record's versions reach the warehouse
    market: ListingMarket
    listing_platform: np.ndarray  # platforms.PLATFORM_* of each listing (its vehicle's)
    titles: list[str]
    urls: list[str]
    lot_numbers: list[str | None]
    descriptions: list[str | None]
    service_descriptions: list[str]
    comment_vocabulary: CommentVocabulary

    def delivered_rows_per_listing(self, rows: np.ndarray) -> np.ndarray:
        """Comment or bid rows delivered per listing, of ``rows`` made: none for a listing with a blocking
        defect (tables.plan_listing_defects), none from a platform whose scrape has no such rows."""
        return rows * self.listings.has_children * platforms.delivers_comments_and_bids(self.listing_platform)


def build_world(cfg: GeneratorConfig, plan_bare_vehicles: BareVehiclePlanner) -> World:
    users = make_users(cfg)
    pools = OwnerPools(users)
    technicians = make_technicians(cfg, users)
    vehicles, listings, ownerships = make_vehicles_listings_ownerships(cfg, users, pools, plan_bare_vehicles)
    states = build_vehicle_states(cfg.seed, cfg.world_end, vehicles, listings, ownerships, users)
    service = make_service(cfg, vehicles.kind, vehicles.condition.manufactured_at, ownerships, technicians)
    market = price_listings(cfg, users, vehicles, listings, ownerships, service)
    listing_text = listing_titles(vehicles, listings, market)
    return World(
        cfg=cfg,
        users=users,
        pools=pools,
        technicians=technicians,
        vehicles=vehicles,
        listings=listings,
        ownerships=ownerships,
        service=service,
        states=states,
        arrivals=schedule_arrivals(users, technicians, states, listings, ownerships, service),
        market=market,
        listing_platform=vehicles.platform[listings.vehicle],
        titles=listing_text.titles,
        urls=listing_text.urls,
        lot_numbers=listing_text.lot_numbers,
        descriptions=listing_descriptions(cfg, vehicles, listings, market),
        service_descriptions=service_descriptions(service),
        comment_vocabulary=CommentVocabulary(vehicles.text.short_names, vehicles.text.colors),
    )


def make_vehicles_listings_ownerships(
    cfg: GeneratorConfig, users: Users, pools: OwnerPools, plan_bare_vehicles: BareVehiclePlanner
) -> tuple[Vehicles, Listings, Ownerships]:
    """Vehicles and their histories, in the order STREAM_VEHICLES is drawn (see vehicles.py)."""
    rng = stream_rng(cfg.seed, STREAM_VEHICLES)
    n = cfg.n_vehicles
    identity = draw_identity(rng, n, cfg.world_end)
    condition = draw_condition(rng, identity, cfg.world_end)
    # listings over the vehicle's life (0-4): most are listed once or never; a non-car lot (but a make-level
    # motorcycle) is in the data because it was listed, so at least once
    planned_listings = weighted_choice(rng, [0.66, 0.25, 0.065, 0.02, 0.005], n)
    always_listed = np.isin(identity.group, lots.ALWAYS_LISTED_GROUPS)
    planned_listings[always_listed] = np.maximum(planned_listings[always_listed], 1)
    bare = plan_bare_vehicles(identity.kind, planned_listings)
    planned_listings[bare] = 0
    draws = draw_per_vehicle(rng, n)
    histories = build_histories(
        cfg.world_end,
        users,
        pools,
        identity.kind,
        identity.year,
        condition.manufactured_at,
        planned_listings,
        bare,
        draws,
    )
    listings, ownerships = histories.listings, histories.ownerships
    true_mileage_unknown = draw_true_mileage_unknown(rng, n)
    text_draws = draw_text(cfg.seed, n)
    first_seen = histories.created_at.copy()
    if listings.n:  # listings are in start order: the first start per vehicle is its first listing
        first_listing = np.full(n, np.iinfo(np.int64).max)
        np.minimum.at(first_listing, listings.vehicle, listings.start)
        first_seen = np.where(first_listing < np.iinfo(np.int64).max, first_listing, first_seen)
    platform = platforms.assign_platforms(identity.kind, identity.year, first_seen, text_draws.uniform[:, T_PLATFORM])
    vehicles = Vehicles(
        n=n,
        ids=np.arange(1, n + 1, dtype=np.int64),
        identity=identity,
        condition=condition,
        text=text_attributes(identity, draws, text_draws, platform),
        planned_listings=planned_listings,
        platform=platform,
        bare=bare,
        current_owner=histories.current_owner,
        current_ownership=current_ownership_rows(n, ownerships),
        true_mileage_unknown=true_mileage_unknown,
        mileage_unknown=true_mileage_unknown | ~np.isin(identity.kind, ODOMETER_KINDS),
        created_at=histories.created_at,
    )
    return vehicles, listings, ownerships
