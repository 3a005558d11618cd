"""Lots that are not cars, and cars that look as if they were not: the ground truth of ``_lot_truth``.

A real marketplace sells more than cars, and files much of it under car makes: a tool kit under Porsche
with model "964", a Honda CT70 under Honda, a Ford 8N tractor under Ford. Each such lot is a ``LotType``:
what it really is (its family and lot category), the make and car-ish model it is filed under, and how the
platform titles it. The make-level lots of earlier versions (a make that says "not a car": Harley-Davidson,
"Parts and Automobilia") stay, and stay recorded in ``_injected_defects`` as before; the families filed
under car makes are recorded only in ``_lot_truth``.

Hard negatives go the other way: cars whose names or titles look like parts or bikes ("1972 Mercedes-Benz
280SL with Hardtop", a Dodge Neon, a Triumph TR6, a Jeep CJ-8 Scrambler). They are cars (family
``hard_negative``), so a classifier that keys on single words is caught out.

The texts are written from how Bring a Trailer and Cars & Bids list such lots, not from any classifier.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .common import KIND_MOTORCYCLE, KIND_NON_VEHICLE, KIND_OTHER_VEHICLE

# Where a lot comes from. Shares are of vehicles; every lot but a make-level motorcycle is listed at least
# once, and a car is listed 0.46 times on average, so these make roughly 1% (make-level non-vehicle), 2%
# (make-level motorcycles), 3% (parts and automobilia), 2% (two-wheelers) and 0.5% (other vehicles) of lots.
GROUP_CAR = 0
GROUP_MAKE_LEVEL_MOTORCYCLE = 1
GROUP_MAKE_LEVEL_NON_VEHICLE = 2
GROUP_PARTS = 3
GROUP_TWO_WHEELER = 4
GROUP_OTHER_VEHICLE = 5
GROUP_SHARES = [0.0, 0.010, 0.005, 0.013, 0.0086, 0.0022]  # GROUP_CAR takes the rest
ALWAYS_LISTED_GROUPS = (GROUP_MAKE_LEVEL_NON_VEHICLE, GROUP_PARTS, GROUP_TWO_WHEELER, GROUP_OTHER_VEHICLE)
CAR_FAMILY, HARD_NEGATIVE_FAMILY = "car", "hard_negative"


@dataclass(frozen=True)
class LotType:
    """One kind of non-car lot as a platform files and titles it."""

    group: int
    family: str  # _lot_truth.family: tool_kit, wheels, scooter, boat, ...
    kind: int  # KIND_MOTORCYCLE, KIND_NON_VEHICLE or KIND_OTHER_VEHICLE (the lot category)
    make: str  # the make it is filed under (canonical spelling)
    model: str  # the model it is filed under, canonical (what _vehicle_truth names)
    filed_as: tuple[tuple[str, str | None], ...]  # (model, trim) texts the vehicles row may carry
    title: str  # the listing title; "{year} " is dropped when the lot states no year
    years: tuple[int, int]  # model years it can carry
    year_stated: float  # share of lots whose vehicles row states the year
    price: int  # typical hammer price, USD
    short_name: str  # what commenters call it
    body_style: str | None = None  # what the platform sometimes files it as
    body_share: float = 0.0
    engine: str | None = None
    in_defect_ledger: bool = False  # the make-level lots of earlier versions (see the module docstring)


def _parts(family: str, make: str, model: str, filed_as, title: str, years, price: int, short: str, **kw) -> LotType:
    return LotType(GROUP_PARTS, family, KIND_NON_VEHICLE, make, model, tuple(filed_as), title, years,
                   kw.pop("year_stated", 0.35), price, short, **kw)  # fmt: skip


def _two_wheeler(family: str, make: str, model: str, title: str, years, price: int, engine: str, **kw) -> LotType:
    filed_as = tuple(kw.pop("filed_as", ((model, None),)))
    return LotType(GROUP_TWO_WHEELER, family, KIND_MOTORCYCLE, make, model, filed_as, title, years, 1.0, price,
                   kw.pop("short", model), body_style="Motorcycle", body_share=0.3, engine=engine, **kw)  # fmt: skip


def _other(family: str, make: str, model: str, title: str, years, price: int, engine: str | None, **kw) -> LotType:
    filed_as = tuple(kw.pop("filed_as", ((model, None),)))
    return LotType(GROUP_OTHER_VEHICLE, family, KIND_OTHER_VEHICLE, make, model, filed_as, title, years, 0.9,
                   price, kw.pop("short", model), engine=engine, **kw)  # fmt: skip


PARTS_AND_AUTOMOBILIA = [
    _parts("tool_kit", "Porsche", "911", [("964", None), ("911", "Tool Kit"), ("964 Tool Kit", None)],
           "Tool Kit for Porsche 964", (1989, 1994), 900, "tool kit"),
    _parts("tool_kit", "BMW", "2002", [("2002", None), ("2002 Tool Kit", None)],
           "BMW 2002 Factory Tool Kit", (1968, 1976), 650, "tool kit"),
    _parts("tool_kit", "Mercedes-Benz", "SL", [("300SL", None), ("SL", "Tool Roll")],
           "Mercedes-Benz 300SL Tool Roll", (1955, 1963), 4500, "tool roll"),
    _parts("tool_kit", "Ferrari", "308 GTS", [("308", None), ("308 GTS", "Tool Kit")],
           "Ferrari 308 Tool Kit and Pouch", (1977, 1985), 1800, "tool kit"),
    _parts("wheels", "Porsche", "911", [("911", None), ("Fuchs Wheels", None), ("911", "15x7 Fuchs")],
           "Set of Four 15-Inch Fuchs Wheels", (1969, 1989), 3800, "wheels"),
    _parts("wheels", "BMW", "M3", [("E30 M3", None), ("M3", "BBS RS"), ("3 Series", None)],
           "BBS RS Wheels for BMW E30", (1984, 1991), 2600, "wheels"),
    _parts("wheels", "Chevrolet", "Corvette", [("Corvette", None), ("Corvette Rally Wheels", None)],
           "Set of Four Corvette Rally Wheels", (1968, 1982), 900, "wheels"),
    _parts("wheels", "Ford", "Mustang", [("Mustang", None), ("Mustang", "Cragar Wheels")],
           "Shelby 10-Spoke Wheels for Ford Mustang", (1965, 1970), 2200, "wheels"),
    _parts("wheels", "Toyota", "Land Cruiser", [("Land Cruiser", None), ("FJ40", None)],
           "Set of Five Toyota Land Cruiser FJ40 Wheels", (1960, 1984), 700, "wheels"),
    _parts("engine", "Chevrolet", "Camaro", [("350", None), ("Camaro", "ZZ4 Crate Engine"), ("ZZ4 350", None)],
           "Chevrolet ZZ4 350 Crate Engine", (1967, 2002), 5500, "engine"),
    _parts("engine", "Porsche", "911", [("911 Carrera", None), ("3.2 Carrera Engine", None), ("911", "3.2")],
           "Porsche 3.2 Carrera Engine", (1984, 1989), 14000, "engine"),
    _parts("engine", "Ford", "Mustang", [("Mustang", None), ("289", "Hi-Po")],
           "Ford 289 Hi-Po V8 Engine", (1965, 1967), 6500, "engine"),
    _parts("engine", "Toyota", "Supra", [("Supra", None), ("2JZ-GTE", None)],
           "Toyota 2JZ-GTE Engine and Transmission", (1993, 1998), 9000, "engine"),
    _parts("engine", "Volkswagen", "Beetle", [("Beetle", None), ("1600cc Engine", None)],
           "Rebuilt Volkswagen 1600cc Engine", (1967, 1979), 2500, "engine"),
    # a year in the title, the part last: no "for" and no missing year gives it away
    _parts("engine", "Porsche", "911", [("911S", None), ("911", "2.0 S Engine")],
           "{year} Porsche 911S Engine", (1967, 1969), 18000, "engine", year_stated=0.9),
    _parts("gearbox", "Chevrolet", "Corvette", [("Corvette", None), ("Corvette", "Muncie M21")],
           "{year} Chevrolet Corvette Muncie M21 Transmission", (1965, 1974), 3500, "transmission", year_stated=0.9),
    _parts("wheels", "Chevrolet", "Corvette", [("Corvette", None), ("Corvette", "Knock-Off Wheels")],
           "{year} Chevrolet Corvette Knock-Off Wheels", (1963, 1966), 4000, "wheels", year_stated=0.9),
    _parts("gearbox", "Porsche", "911", [("911", None), ("915", None), ("911", "915 Transaxle")],
           "Porsche 915 Transaxle", (1972, 1986), 6000, "transaxle"),
    _parts("gearbox", "Chevrolet", "Corvette", [("Corvette", None), ("T56", None)],
           "Tremec T56 Transmission", (1997, 2004), 3200, "transmission"),
    _parts("gearbox", "Ford", "Mustang", [("Mustang", None), ("Toploader", "Four-Speed")],
           "Ford Toploader Four-Speed Transmission", (1964, 1973), 2800, "transmission"),
    _parts("gearbox", "Porsche", "911", [("911 Carrera", None), ("G50", None)],
           "Porsche G50 Five-Speed Transmission", (1987, 1989), 7500, "transmission"),
    _parts("hardtop", "Mercedes-Benz", "SL", [("280SL", None), ("SL", "Hardtop"), ("280SL Hardtop", None)],
           "Removable Hardtop for Mercedes-Benz 280SL", (1968, 1971), 4200, "hardtop"),
    _parts("hardtop", "Mazda", "MX-5 Miata", [("Miata", None), ("MX-5 Miata", "Hardtop")],
           "Factory Hardtop for Mazda Miata", (1990, 2005), 1300, "hardtop"),
    _parts("hardtop", "Ford", "Bronco", [("Bronco", None), ("Bronco", "Removable Top")],
           "Ford Bronco Removable Hardtop", (1966, 1977), 2600, "hardtop"),
    _parts("hardtop", "Alfa Romeo", "Spider", [("Spider", None), ("Spider Hardtop", None)],
           "Alfa Romeo Spider Hardtop", (1966, 1994), 1100, "hardtop"),
    _parts("seats", "Porsche", "911", [("911", None), ("911", "Recaro Seats")],
           "Pair of Recaro Sport Seats for Porsche 911", (1974, 1989), 4800, "seats"),
    _parts("seats", "BMW", "M3", [("M3", None), ("E46 M3", "Seats")],
           "BMW E46 M3 Front Seats", (2001, 2006), 1500, "seats"),
    _parts("bumpers", "BMW", "2002", [("2002", None), ("2002", "Chrome Bumpers")],
           "Chrome Bumpers for BMW 2002", (1968, 1973), 800, "bumpers"),
    _parts("bumpers", "Ford", "Mustang", [("Mustang", None)],
           "Ford Mustang Front and Rear Bumpers", (1965, 1968), 600, "bumpers"),
    _parts("bumpers", "Chevrolet", "Camaro", [("Camaro", None), ("Camaro", "Chrome Bumpers")],
           "Chevrolet Camaro Front and Rear Chrome Bumpers", (1967, 1973), 700, "bumpers"),
    _parts("sign", "Chevrolet", "Bel Air", [("Bel Air", None), ("Dealership Sign", None)],
           "Chevrolet Porcelain Dealership Sign", (1940, 1965), 4500, "sign"),
    _parts("sign", "Porsche", "911", [("911", None), ("Porsche Sign", None)],
           "Porsche Neon Dealership Sign", (1960, 1995), 5200, "sign"),
    _parts("sign", "Ford", "Model A", [("Model A", None), ("Genuine Parts", "Neon Sign")],
           "Ford Genuine Parts Neon Sign", (1935, 1960), 3800, "sign"),
    _parts("sign", "Volkswagen", "Beetle", [("Beetle", None), ("Service Sign", None)],
           "Volkswagen Service Porcelain Sign", (1955, 1975), 2400, "sign"),
    _parts("gas_pump", "Chevrolet", "Bel Air", [("Bel Air", None), ("Gas Pump", None)],
           "Wayne 505 Gas Pump in Chevrolet Livery", (1950, 1960), 4500, "gas pump"),
    _parts("gas_pump", "Porsche", "356", [("356", None), ("Tokheim Gas Pump", None)],
           "Tokheim 39 Gas Pump Restored in Porsche Livery", (1950, 1965), 5500, "gas pump"),
    _parts("literature", "Porsche", "911", [("911", None), ("911", "Workshop Manuals")],
           "Porsche 911 Factory Workshop Manuals", (1974, 1989), 700, "manuals"),
    _parts("literature", "Shelby", "Cobra", [("Cobra", None), ("Cobra Brochure", None)],
           "{year} Shelby Cobra Sales Brochure", (1963, 1967), 900, "brochure", year_stated=0.7),
    _parts("literature", "Ferrari", "308 GTS", [("308 GTS", None), ("308", "Owner's Manual")],
           "Ferrari 308 GTS Owner's Manual and Leather Pouch", (1977, 1985), 1200, "manual"),
    _parts("literature", "Chevrolet", "Corvette", [("Corvette", None), ("Corvette Brochures", None)],
           "Collection of Chevrolet Corvette Dealer Brochures", (1956, 1982), 500, "brochures"),
    _parts("literature", "Jaguar", "E-Type", [("E-Type", None), ("E-Type", "Service Manuals")],
           "Jaguar E-Type Service Manuals and Parts Books", (1961, 1974), 600, "manuals"),
    _parts("pedal_car", "Ford", "Thunderbird", [("Thunderbird", None), ("Thunderbird Pedal Car", None)],
           "Ford Thunderbird Pedal Car", (1955, 1960), 1400, "pedal car"),
    _parts("pedal_car", "Chevrolet", "Corvette", [("Corvette", None), ("Corvette", "Pedal Car")],
           "Chevrolet Corvette Pedal Car", (1958, 1965), 1100, "pedal car"),
    _parts("scale_model", "Porsche", "911", [("911", None), ("911", "1:8 Scale")],
           "1:8-Scale Pocher Porsche 911 Model", (1970, 1990), 900, "model"),
    _parts("scale_model", "Mercedes-Benz", "SL", [("300SL", None), ("300SL Gullwing", "Model")],
           "Mercedes-Benz 300SL Gullwing 1:8-Scale Model", (1954, 1957), 1600, "model"),
    _parts("scale_model", "Ferrari", "250 GTO", [("250 GTO", None), ("250 GTO", "1:12 Scale")],
           "1:12 Scale Ferrari 250 GTO Model by CMC", (1962, 1964), 700, "model"),
    _parts("trailer", "Jeep", "CJ-5", [("CJ-5", None), ("CJ-5 Tub Trailer", None)],
           "Trailer Built From a Jeep CJ-5 Tub", (1955, 1983), 3500, "trailer",
           body_style="Trailer", body_share=0.2),
    _parts("trailer", "Volkswagen", "Beetle", [("Beetle", None), ("Beetle Trailer", None)],
           "Trailer Built From a Volkswagen Beetle Body", (1955, 1979), 2800, "trailer"),
    _parts("trailer", "Ford", "F-100", [("F-100", None), ("F-100 Bed Trailer", None)],
           "Ford F-100 Bed Trailer", (1953, 1979), 2400, "trailer"),
]  # fmt: skip

TWO_WHEELERS = [
    _two_wheeler("mini_bike", "Honda", "CT70", "{year} Honda CT70 Trail", (1969, 1994), 3500, "72cc Single",
                 filed_as=(("CT70", None), ("CT70", "Trail"), ("Trail 70", None))),
    _two_wheeler("mini_bike", "Honda", "Z50", "{year} Honda Z50 Mini Trail", (1968, 1999), 2800, "49cc Single",
                 filed_as=(("Z50", None), ("Z50A", None), ("Mini Trail", None))),
    _two_wheeler("motorcycle", "Honda", "CB750", "{year} Honda CB750 Four", (1969, 1978), 9500, "736cc Inline-Four",
                 filed_as=(("CB750", None), ("CB750", "Four"))),
    _two_wheeler("mini_bike", "Honda", "Trail 90", "{year} Honda Trail 90", (1966, 1979), 3200, "89cc Single",
                 filed_as=(("Trail 90", None), ("CT90", None))),
    _two_wheeler("atv", "Honda", "ATC70", "{year} Honda ATC70", (1973, 1985), 2500, "72cc Single",
                 filed_as=(("ATC70", None), ("ATC 70", None))),
    _two_wheeler("motorcycle", "Honda", "Gold Wing", "{year} Honda Gold Wing GL1000", (1975, 1979), 7500,
                 "999cc Flat-Four", filed_as=(("Gold Wing", None), ("GL1000", "Gold Wing"))),
    _two_wheeler("motorcycle", "Honda", "Shadow", "{year} Honda VT1100C Shadow", (1985, 2007), 3500,
                 "1099cc V-Twin", filed_as=(("Shadow", None), ("VT1100C", "Shadow"))),
    _two_wheeler("motorcycle", "Honda", "CX500", "{year} Honda CX500 Custom", (1978, 1983), 3000, "497cc V-Twin",
                 filed_as=(("CX500", None), ("CX500", "Custom"))),
    _two_wheeler("mini_bike", "Honda", "Navi", "{year} Honda Navi", (2022, 2024), 1500, "109cc Single"),
    _two_wheeler("motorcycle", "BMW", "R nineT", "{year} BMW R nineT", (2014, 2023), 11000, "1170cc Flat-Twin",
                 filed_as=(("R nineT", None), ("R nineT", "Scrambler"))),
    _two_wheeler("motorcycle", "BMW", "R100", "{year} BMW R100RS", (1976, 1992), 9000, "980cc Flat-Twin",
                 filed_as=(("R100RS", None), ("R100", "RS"))),
    _two_wheeler("motorcycle", "BMW", "R75/5", "{year} BMW R75/5", (1970, 1973), 8500, "745cc Flat-Twin"),
    _two_wheeler("motorcycle", "BMW", "R90S", "{year} BMW R90S", (1973, 1976), 17000, "898cc Flat-Twin"),
    _two_wheeler("motorcycle", "BMW", "K100", "{year} BMW K100RS", (1983, 1992), 4500, "987cc Inline-Four",
                 filed_as=(("K100RS", None), ("K100", None))),
    _two_wheeler("motorcycle", "Triumph", "Bonneville", "{year} Triumph Bonneville T120R", (1959, 1975), 11000,
                 "649cc Parallel-Twin", filed_as=(("Bonneville", None), ("T120", "Bonneville"))),
    _two_wheeler("motorcycle", "Triumph", "Trident", "{year} Triumph Trident T150", (1968, 1975), 9000,
                 "740cc Inline-Triple", filed_as=(("Trident", None), ("T150", None))),
    _two_wheeler("motorcycle", "Triumph", "TR6 Trophy", "{year} Triumph TR6 Trophy", (1956, 1973), 9500,
                 "649cc Parallel-Twin", filed_as=(("TR6", None), ("TR6", "Trophy"))),
    _two_wheeler("motorcycle", "Suzuki", "GT750", "{year} Suzuki GT750", (1971, 1977), 8000, "738cc Inline-Triple",
                 filed_as=(("GT750", None), ("GT750", "Water Buffalo"))),
    _two_wheeler("motorcycle", "Suzuki", "GSX-R750", "{year} Suzuki GSX-R750", (1985, 2005), 7500,
                 "749cc Inline-Four"),
    _two_wheeler("atv", "Suzuki", "LT80", "{year} Suzuki QuadSport LT80", (1987, 2006), 2000, "79cc Single",
                 filed_as=(("LT80", None), ("QuadSport", None))),
    _two_wheeler("scooter", "Vespa", "150 Super", "{year} Vespa 150 Super", (1965, 1979), 5500, "150cc Single"),
    _two_wheeler("scooter", "Vespa", "GS 150", "{year} Vespa GS 150", (1955, 1961), 9000, "145cc Single",
                 filed_as=(("GS 150", None), ("GS", None))),
    _two_wheeler("scooter", "Vespa", "P200E", "{year} Vespa P200E", (1978, 1991), 4500, "198cc Single"),
    _two_wheeler("scooter", "Lambretta", "Li 150", "{year} Lambretta Li 150 Series 3", (1962, 1967), 6000,
                 "148cc Single", filed_as=(("Li 150", None), ("Li150", "Series 3"))),
    _two_wheeler("scooter", "Lambretta", "TV 175", "{year} Lambretta TV 175", (1959, 1965), 7500, "175cc Single"),
    _two_wheeler("scooter", "Cushman", "Eagle", "{year} Cushman Eagle", (1949, 1965), 6500, "318cc Single"),
    _two_wheeler("scooter", "Cushman", "Highlander", "{year} Cushman Highlander", (1948, 1958), 5500,
                 "244cc Single"),
]  # fmt: skip

OTHER_VEHICLES = [
    _other("boat", "Chris-Craft", "Sportsman", "{year} Chris-Craft 17' Sportsman Runabout", (1946, 1960), 28000,
           "Chris-Craft KBL Six", filed_as=(("Sportsman", None), ("Sportsman 17", "Runabout"))),
    _other("boat", "Chris-Craft", "Continental", "{year} Chris-Craft Continental", (1955, 1962), 45000,
           "Chris-Craft V8", filed_as=(("Continental", None),)),
    _other("boat", "Century", "Resorter", "{year} Century Resorter 17", (1955, 1968), 22000, "Gray Marine V8"),
    _other("boat", "Boston Whaler", "Montauk 17", "{year} Boston Whaler Montauk 17", (1974, 2000), 14000,
           "Evinrude Outboard"),
    _other("boat", "Lyman", "Islander", "{year} Lyman Islander 18", (1955, 1972), 16000, "Gray Marine Six"),
    _other("boat", "Gar Wood", "Utility", "{year} Gar Wood 22' Utility", (1937, 1947), 65000, "Scripps V12"),
    _other("tractor", "Ford", "8N", "{year} Ford 8N Tractor", (1947, 1952), 6500, "120ci Inline-Four",
           filed_as=(("8N", None), ("8N", "Tractor"))),
    _other("tractor", "International Harvester", "Farmall Cub", "{year} Farmall Cub", (1947, 1979), 5500,
           "60ci Inline-Four", filed_as=(("Farmall Cub", None), ("Cub", None))),
    _other("tractor", "John Deere", "Model B", "{year} John Deere Model B Tractor", (1935, 1952), 7000,
           "Two-Cylinder"),
    _other("tractor", "Allis-Chalmers", "WD45", "{year} Allis-Chalmers WD45", (1953, 1957), 6000,
           "226ci Inline-Four"),
    _other("tractor", "Massey Ferguson", "35", "{year} Massey Ferguson 35", (1955, 1964), 5000,
           "Perkins Diesel", filed_as=(("35", None), ("MF35", None))),
    _other("go_kart", "Rupp", "Dart Kart", "{year} Rupp Dart Kart", (1960, 1972), 2500, "McCulloch Single"),
    _other("go_kart", "Honda", "Odyssey", "{year} Honda Odyssey FL250", (1977, 1984), 3500, "248cc Single",
           filed_as=(("Odyssey", None), ("FL250", None))),
    _other("go_kart", "Honda", "Odyssey", "{year} Honda Odyssey FL350R", (1985, 1989), 4500, "349cc Single",
           filed_as=(("Odyssey", None), ("FL350R", None))),
    _other("golf_cart", "Club Car", "Precedent", "{year} Club Car Precedent Golf Cart", (2004, 2022), 6500, None),
    _other("golf_cart", "Ford", "Bronco", "Custom Golf Cart Styled After a Ford Bronco", (1966, 1977), 9000, None,
           filed_as=(("Bronco", None), ("Bronco", "Golf Cart"))),
    _other("golf_cart", "Mercedes-Benz", "G-Class", "Mercedes-Benz G-Class-Styled Golf Cart", (2000, 2022), 11000,
           None, filed_as=(("G-Class", None), ("G-Wagen", "Golf Cart"))),
    _other("snowmobile", "Ski-Doo", "Olympique", "{year} Ski-Doo Olympique 335", (1965, 1979), 2500,
           "335cc Single"),
    _other("snowmobile", "Polaris", "Colt", "{year} Polaris Colt Snowmobile", (1965, 1977), 2200, "292cc Single"),
    _other("snowmobile", "Arctic Cat", "Panther", "{year} Arctic Cat Panther", (1970, 1980), 2300, "440cc Twin"),
]  # fmt: skip

# The lots of earlier versions, filed under makes that already say what they are: recorded in
# _injected_defects (motorcycle_lot / non_vehicle_lot) as before.
MAKE_LEVEL_MOTORCYCLES = [
    ("Harley-Davidson", "FLH Electra Glide", 1965, 2015, 14000),
    ("Harley-Davidson", "Sportster XLCH", 1958, 1985, 12000),
    ("Ducati", "916", 1994, 1998, 14000),
    ("Ducati", "Monster 900", 1993, 2002, 6500),
    ("Triumph", "Bonneville T120", 1959, 1975, 11000),
    ("BMW", "R90S", 1973, 1976, 16000),
    ("BMW", "R75/5", 1970, 1973, 8000),
]
MAKE_LEVEL_NON_VEHICLE = [
    ("Parts and Automobilia", "Gulf Oil Porcelain Sign", "sign", 3500),
    ("Parts and Automobilia", "Porsche 3.2 Carrera Engine", "engine", 14000),
    ("Parts and Automobilia", "Wayne 505 Gas Pump", "gas_pump", 4500),
    ("Parts and Automobilia", "Enclosed Car Trailer", "trailer", 9000),
    ("Parts and Automobilia", "Set of Fuchs Wheels", "wheels", 3800),
    ("Memorabilia", "Texaco Fire Chief Gas Pump", "gas_pump", 5200),
    ("Memorabilia", "Shell Neon Dealership Sign", "sign", 2800),
    ("Memorabilia", "Vintage Snap-on Tool Chest", "tool_chest", 1900),
]
MOTORCYCLE_ENGINES = [
    "883cc V-Twin",
    "1340cc V-Twin",
    "916cc L-Twin",
    "904cc L-Twin",
    "649cc Parallel-Twin",
    "898cc Flat-Twin",
]


def _make_level_lots() -> list[LotType]:
    motorcycles = [
        LotType(GROUP_MAKE_LEVEL_MOTORCYCLE, "motorcycle", KIND_MOTORCYCLE, make, model, ((model, None),),
                "{year} " + f"{make} {model}", (first, last), 1.0, price, model, body_style="Motorcycle",
                body_share=0.95, in_defect_ledger=True)
        for make, model, first, last, price in MAKE_LEVEL_MOTORCYCLES
    ]  # fmt: skip
    non_vehicles = [
        LotType(GROUP_MAKE_LEVEL_NON_VEHICLE, family, KIND_NON_VEHICLE, make, model, ((model, None),), model,
                (1935, 1984), 2 / 3, price, model.split()[-1].lower(), in_defect_ledger=True)
        for make, model, family, price in MAKE_LEVEL_NON_VEHICLE
    ]  # fmt: skip
    return motorcycles + non_vehicles


LOT_TYPES: list[LotType] = _make_level_lots() + PARTS_AND_AUTOMOBILIA + TWO_WHEELERS + OTHER_VEHICLES
LOT_TYPES_BY_GROUP = {
    group: np.array([i for i, lot in enumerate(LOT_TYPES) if lot.group == group], dtype=np.int64)
    for group in range(1, len(GROUP_SHARES))
}

# Cars whose names look like something else (catalog.MODELS entries, by (make, model)).
LOOKALIKE_CARS = {
    ("Buick", "Riviera"),  # titled "Boat-Tail"
    ("Dodge", "Neon SRT-4"),
    ("Jeep", "CJ-8 Scrambler"),
    ("Honda", "S2000"),
    ("Suzuki", "Samurai"),
    ("Triumph", "TR6"),
    ("Dodge", "Ram 2500 Quad Cab"),
    ("Plymouth", "Road Runner"),
    ("Volkswagen", "Vanagon Westfalia Camper"),
    ("Amphicar", "770"),
    ("Ford", "F-150 Harley-Davidson Edition"),
}
# Title phrases that name a part the car comes with: (phrase, makes it fits or None for any, body styles it
# fits or None for any). About 3.5% of other cars carry one, so with the lookalikes ~5% of car titles mislead.
ACCESSORY_PHRASES = [
    (" with Hardtop", None, ("Convertible", "Roadster")),
    (" w/ Removable Hardtop", None, ("Convertible", "Roadster", "SUV")),
    (" with Factory Tool Kit", ("Porsche", "BMW", "Mercedes-Benz", "Ferrari", "Jaguar", "Alfa Romeo"), None),
    (" with Tool Kit", None, None),
    (" on Fuchs Wheels", ("Porsche",), None),
    (" on BBS Wheels", ("BMW", "Porsche", "Mercedes-Benz", "Volkswagen", "Audi"), None),
    (" with Spare Engine", None, None),
    (" with Extra Set of Wheels", None, None),
]
ACCESSORY_SHARE = 0.035


def accessory_phrase(make: str, body_style: str, pick: float, which: int) -> str:
    """The accessory phrase of a car title for uniform ``pick`` (none above ACCESSORY_SHARE); ``which``
    chooses among the phrases that fit the make and body style."""
    if pick >= ACCESSORY_SHARE:
        return ""
    fitting = [
        phrase
        for phrase, makes, bodies in ACCESSORY_PHRASES
        if (makes is None or make in makes) and (bodies is None or body_style in bodies)
    ]
    return fitting[which % len(fitting)]


def lot_title(lot: LotType, year: int, year_stated: bool) -> str:
    """The listing title of a lot, with its year only when the lot states one."""
    return lot.title.replace("{year} ", f"{year} " if year_stated else "")
