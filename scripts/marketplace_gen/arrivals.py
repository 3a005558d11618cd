"""When each record's versions reach the warehouse: the load times of the in-memory tables' rows.

Every version arrives in the first daily batch after it happened (delivery.batch_time), and never before
the rows it references: a listing not before its vehicle's first state or its seller, an ownership not
before its vehicle and owner, a service record not before its vehicle and technician. So the history a
vehicle record brings when it is created (owners since the 1970s, service records since 1990) arrives with
it. The streamed tables (bids, comments, images) read these times for their own rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import OPEN, STATUS_LIVE
from .delivery import NEVER, batch_time, two_version_load_times
from .histories import Listings, Ownerships
from .people import Technicians, Users
from .service import ServiceRecords
from .vehicle_states import VehicleStates


@dataclass
class Arrivals:
    """Load times per record and version; NEVER where a version is not delivered."""

    user_joined: np.ndarray  # a user's first row
    user_turned_dealer: np.ndarray  # the row with user_type dealer
    technician_registered: np.ndarray
    technician_certified: np.ndarray  # the row with one more certification
    vehicle_first: np.ndarray  # a vehicle's first state (vehicle_states.py has every state's)
    listing_live: np.ndarray  # the listing as it starts (status live)
    listing_final: np.ndarray  # the listing as it ended
    ownership_open: np.ndarray  # the holding as it begins (not yet disposed)
    ownership_closed: np.ndarray  # the holding as it ended
    service: np.ndarray

    @property
    def listing_first(self) -> np.ndarray:
        return np.minimum(self.listing_live, self.listing_final)


def schedule_arrivals(
    users: Users,
    technicians: Technicians,
    states: VehicleStates,
    listings: Listings,
    ownerships: Ownerships,
    service: ServiceRecords,
) -> Arrivals:
    user_joined = batch_time(users.joined_at)
    vehicle_first = states.loaded[states.first_row]
    listing_live, listing_final = two_version_load_times(
        listings.start,
        listings.end,
        listings.status != STATUS_LIVE,
        np.maximum(vehicle_first[listings.vehicle], user_joined[listings.seller]),
    )
    ownership_open, ownership_closed = two_version_load_times(
        ownerships.acquired_at,
        ownerships.disposed_at,
        ownerships.disposed_at != OPEN,
        np.maximum(vehicle_first[ownerships.vehicle], user_joined[ownerships.owner]),
    )
    technician_registered = batch_time(technicians.registered_at)
    by_technician = service.technician >= 0
    technician_known = np.where(by_technician, technician_registered[np.maximum(service.technician, 0)], 0)
    return Arrivals(
        user_joined=user_joined,
        user_turned_dealer=np.where(users.dealer_since != OPEN, batch_time(users.dealer_since), NEVER),
        technician_registered=technician_registered,
        technician_certified=np.where(
            technicians.certified_at != OPEN, batch_time(technicians.certified_at), NEVER
        ),
        vehicle_first=vehicle_first,
        listing_live=listing_live,
        listing_final=listing_final,
        ownership_open=ownership_open,
        ownership_closed=ownership_closed,
        service=np.maximum.reduce(
            [batch_time(service.performed_at), vehicle_first[service.vehicle], technician_known]
        ),
    )
