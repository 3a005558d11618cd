"""Two platforms, one car, two names: Bring a Trailer and Cars & Bids write the same cars differently.

Each vehicle record comes from one platform, and all its listings are on that platform (a scraped record has
no identity across sites). Cars & Bids opened in mid-2020 and lists modern enthusiast cars (1981 and
later), so only such cars can come from it; about 30% of listings do. The platforms differ in:

- model text: Bring a Trailer files the plain model ("M3", "Camaro"); the Cars & Bids scrape repeats the
  make ("BMW M3"), carries page text after a line break ("M3\\nSave") or glued to the end ("M3 Show more"),
  uses its taxonomy with a generation ("Camaro (6th Generation - 2016-2024)", "911 (993)"), a chassis code
  ("E46 M3") or capitals ("CAMARO"); its make text carries the page's button text too, for one car in eight
  ("Porsche\\nWatch", "BMW View all photos").
  ``_vehicle_truth`` names the catalog's make and model and the generation the platform named, if any.
- seller type: "Private Party" / "Dealer" on Bring a Trailer, "Private Party" / "Dealer ($80 fee)" on
  Cars & Bids.
- what is delivered: the Cars & Bids scrape has no comment or bid rows (its counters are still filled), no
  description for about a tenth of its listings and no photo categories; Bring a Trailer titles often state
  the mileage ("31k-Mile 1995 Porsche 911", "12k-Kilometer" for imports, ", TMU" when it is unknown) and
  start with "No Reserve: " when there is none.

These are not defects: none of them is recorded in ``_injected_defects``.
"""

from __future__ import annotations

import numpy as np

from .common import DAY, KIND_CAR
from .copytext import days_from_civil

PLATFORM_BAT, PLATFORM_CARS_AND_BIDS = 0, 1
PLATFORM_HOSTS = ["bringatrailer.com", "carsandbids.com"]
CARS_AND_BIDS_LAUNCH = days_from_civil(2020, 6, 15) * DAY
CARS_AND_BIDS_FIRST_YEAR = 1981
CARS_AND_BIDS_SHARE = 0.7  # of the vehicles it could list: about 30% of all listings
SELLER_TYPE_TEXT = [("Private Party", "Dealer"), ("Private Party", "Dealer ($80 fee)")]
MISSING_DESCRIPTION_SHARE = 0.10  # Cars & Bids listings delivered without a description
UI_TEXT = ["\nSave", "\n\nWatch", "\nSave\n", "\n\nWatch\nShare", " Show more", " View all photos"]
CODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# Kilometre odometers in titles: Japanese-market imports always, a few European cars.
KILOMETRE_MODELS = {"Skyline GT-R"}
EUROPEAN_MAKES = {"Porsche", "BMW", "Mercedes-Benz", "Audi", "Volkswagen", "Ferrari", "Alfa Romeo", "Lotus"}

# Model generations by catalog model: (first year, last year, name, is_chassis_code). A chassis code is
# written before the model ("E46 M3") or in brackets ("911 (993)"); an ordinal generation with its years.
Generation = tuple[int, int, str, bool]


def _ordinal_generations(*spans: tuple[int, int]) -> list[Generation]:
    names = ["1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th"]
    return [(first, last, f"{names[k]} Generation", False) for k, (first, last) in enumerate(spans)]


def _chassis_codes(*codes: tuple[int, int, str]) -> list[Generation]:
    return [(first, last, code, True) for first, last, code in codes]


_PORSCHE_911 = _chassis_codes(
    (1965, 1973, "901"), (1974, 1989, "G-Series"), (1989, 1994, "964"), (1995, 1998, "993"),
    (1999, 2004, "996"), (2005, 2012, "997"), (2012, 2019, "991"), (2019, 2024, "992"),
)  # fmt: skip
GENERATIONS: dict[str, list[Generation]] = {
    "911": _PORSCHE_911,
    "911 Targa": _PORSCHE_911,
    "Boxster": _chassis_codes((1997, 2004, "986"), (2005, 2012, "987"), (2013, 2016, "981"), (2017, 2024, "718")),
    "Cayman": _chassis_codes((2006, 2012, "987"), (2013, 2016, "981"), (2017, 2024, "718")),
    "Cayenne": _chassis_codes((2003, 2010, "955"), (2011, 2018, "958"), (2019, 2023, "9Y0")),
    "Mustang": _ordinal_generations(
        (1964, 1973), (1974, 1978), (1979, 1993), (1994, 2004), (2005, 2014), (2015, 2023), (2024, 2024)
    ),
    "Bronco": _ordinal_generations((1966, 1977), (1978, 1979), (1980, 1986), (1987, 1991), (1992, 1996)),
    "Thunderbird": _ordinal_generations((1955, 1957), (1958, 1960), (1961, 1963), (1964, 1966)),
    "Corvette": _chassis_codes(
        (1953, 1962, "C1"), (1963, 1967, "C2"), (1968, 1982, "C3"), (1984, 1996, "C4"),
        (1997, 2004, "C5"), (2005, 2013, "C6"), (2014, 2019, "C7"), (2020, 2024, "C8"),
    ),  # fmt: skip
    "Camaro": _ordinal_generations((1967, 1969), (1970, 1981), (1982, 1992), (1993, 2002), (2010, 2015), (2016, 2024)),
    "Chevelle": _ordinal_generations((1964, 1967), (1968, 1972), (1973, 1977)),
    "M3": _chassis_codes(
        (1988, 1991, "E30"), (1995, 1999, "E36"), (2001, 2006, "E46"), (2008, 2013, "E92"), (2015, 2018, "F80"),
        (2021, 2024, "G80"),
    ),  # fmt: skip
    "M5": _chassis_codes(
        (1988, 1988, "E28"), (1991, 1993, "E34"), (2000, 2003, "E39"), (2006, 2010, "E60"), (2012, 2016, "F10"),
        (2018, 2022, "F90"),
    ),  # fmt: skip
    "3 Series": _chassis_codes(
        (1984, 1991, "E30"), (1992, 1998, "E36"), (1999, 2005, "E46"), (2006, 2011, "E90"), (2012, 2018, "F30")
    ),
    "8 Series": _chassis_codes((1990, 1999, "E31")),
    "SL": _chassis_codes(
        (1955, 1963, "W198"), (1963, 1971, "W113"), (1972, 1989, "R107"), (1990, 2002, "R129"),
        (2003, 2012, "R230"), (2013, 2020, "R231"),
    ),  # fmt: skip
    "E-Class": _chassis_codes(
        (1986, 1995, "W124"), (1996, 2002, "W210"), (2003, 2009, "W211"), (2010, 2016, "W212"), (2017, 2020, "W213")
    ),
    "Land Cruiser": _chassis_codes(
        (1960, 1984, "40 Series"), (1981, 1990, "60 Series"), (1991, 1997, "80 Series"), (1998, 2007, "100 Series"),
        (2008, 2021, "200 Series"),
    ),  # fmt: skip
    "Supra": _chassis_codes((1982, 1986, "A60"), (1987, 1992, "A70"), (1993, 2002, "A80")),
    "4Runner": _ordinal_generations((1984, 1989), (1990, 1995), (1996, 2002), (2003, 2009), (2010, 2023)),
    "S2000": _chassis_codes((2000, 2003, "AP1"), (2004, 2009, "AP2")),
    "MX-5 Miata": _chassis_codes((1990, 1997, "NA"), (1999, 2005, "NB"), (2006, 2015, "NC"), (2016, 2024, "ND")),
    "RX-7": _chassis_codes((1979, 1985, "FB"), (1986, 1991, "FC"), (1993, 2002, "FD")),
    "300ZX": _chassis_codes((1984, 1989, "Z31"), (1990, 1996, "Z32")),
    "Skyline GT-R": _chassis_codes((1989, 1994, "R32"), (1995, 1998, "R33"), (1999, 2002, "R34")),
    "Wrangler": _chassis_codes((1987, 1995, "YJ"), (1997, 2006, "TJ"), (2007, 2017, "JK"), (2018, 2024, "JL")),
    "Range Rover": _chassis_codes((1970, 1995, "Classic"), (1995, 2002, "P38"), (2002, 2012, "L322"),
                                  (2013, 2021, "L405")),  # fmt: skip
    "Charger": _ordinal_generations((1966, 1967), (1968, 1970), (1971, 1974), (1975, 1978)),
    "Viper": _ordinal_generations((1992, 1995), (1996, 2002), (2003, 2006), (2008, 2010), (2013, 2017)),
    "Golf GTI": _chassis_codes(
        (1983, 1984, "Mk1"), (1985, 1992, "Mk2"), (1993, 1999, "Mk3"), (1999, 2005, "Mk4"), (2006, 2009, "Mk5"),
        (2010, 2014, "Mk6"), (2015, 2021, "Mk7"),
    ),  # fmt: skip
    "TT": _chassis_codes((1999, 2006, "8N"), (2008, 2015, "8J"), (2016, 2023, "8S")),
}

# How the Cars & Bids scrape writes a model: cumulative shares of the styles.
STYLE_PLAIN, STYLE_MAKE_REPEATED, STYLE_UI_TEXT, STYLE_TAXONOMY, STYLE_CHASSIS, STYLE_CAPITALS = range(6)
STYLE_SHARES = np.cumsum([0.2, 0.2, 0.15, 0.2, 0.1, 0.15])


def assign_platforms(kind: np.ndarray, year: np.ndarray, first_seen: np.ndarray, pick: np.ndarray) -> np.ndarray:
    """The platform each vehicle record comes from: Cars & Bids for a share of the cars it could have
    listed (1981 or later, first seen after its launch), else Bring a Trailer."""
    could = (kind == KIND_CAR) & (year >= CARS_AND_BIDS_FIRST_YEAR) & (first_seen >= CARS_AND_BIDS_LAUNCH)
    return np.where(could & (pick < CARS_AND_BIDS_SHARE), PLATFORM_CARS_AND_BIDS, PLATFORM_BAT)


def generation_of(model: str, year: int) -> Generation | None:
    """The model's generation in its model year, if the catalog knows one."""
    return next((g for g in GENERATIONS.get(model, []) if g[0] <= year <= g[1]), None)


def model_text(
    platform: int, make: str, model: str, year: int, style_pick: float, detail: int
) -> tuple[str, str | None]:
    """(model text as the platform writes it, the generation it names or None)."""
    if platform == PLATFORM_BAT:
        return model, None
    style = int(np.searchsorted(STYLE_SHARES, style_pick, side="right"))
    generation = generation_of(model, year)
    if style == STYLE_MAKE_REPEATED:
        return f"{make} {model}", None
    if style == STYLE_UI_TEXT:
        return model + UI_TEXT[detail % len(UI_TEXT)], None
    if style == STYLE_CAPITALS:
        return model.upper(), None
    if style == STYLE_TAXONOMY and generation:
        first, last, name, chassis = generation
        bracket = f"({name})" if chassis else f"({name} - {first}-{last})"
        prefix = f"{make} " if detail % 2 else ""
        return f"{prefix}{model} {bracket}", name
    if style == STYLE_CHASSIS and generation and generation[3] and " " not in generation[2]:
        return f"{generation[2]} {model}", generation[2]
    return model, None


def make_text(platform: int, make: str, detail: int) -> str:
    """The make as the platform writes it: the Cars & Bids scrape glues page text to one make in eight."""
    if platform == PLATFORM_CARS_AND_BIDS and detail % 8 == 3:
        return make + UI_TEXT[(detail // 8) % len(UI_TEXT)]
    return make


def delivers_comments_and_bids(platform: np.ndarray) -> np.ndarray:
    """Whether a platform's scrape delivers comment and bid rows (Cars & Bids': none)."""
    return platform == PLATFORM_BAT


def seller_type_text(platform: int, seller_type: int) -> str:
    return SELLER_TYPE_TEXT[platform][seller_type]


def auction_code(pick: int) -> str:
    """Cars & Bids' eight-character auction code (its URLs carry one instead of a lot number)."""
    chars = []
    for _ in range(8):
        chars.append(CODE_ALPHABET[pick % len(CODE_ALPHABET)])
        pick //= len(CODE_ALPHABET)
    return "".join(chars)


def mileage_in_title(canonical_make: str, model: str, miles: int, true_mileage_unknown: bool, pick: int) -> str:
    """The mileage a Bring a Trailer title leads with, or "" (mostly low mileage is worth a title)."""
    if true_mileage_unknown or miles < 0:
        return ""
    share = 0.7 if miles < 30_000 else 0.4 if miles < 60_000 else 0.1
    if pick % 1000 >= share * 1000:
        return ""
    kilometres = model in KILOMETRE_MODELS or (canonical_make in EUROPEAN_MAKES and pick % 10 == 0)
    reading, unit = (round(miles * 1.609344), "Kilometer") if kilometres else (miles, "Mile")
    return f"{reading // 1000}k-{unit} " if reading >= 1000 else f"{reading}-{unit} "
