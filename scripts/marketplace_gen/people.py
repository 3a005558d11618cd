"""People: marketplace users (who own, sell, bid and comment) and the technicians who service vehicles.

Users draw from STREAM_USERS, technicians from STREAM_TECHNICIANS. Both tables are history: a user is
re-delivered when a private seller turns dealer (about 3%, some time after joining), a technician when they
earn another certification (about 20%). A user's hidden archetype (collector,
flipper, builder, driver) drives how long they keep vehicles and how they service them; the archetype is
ground truth (``_owner_archetypes``), never a column. Technicians' skill and documentation habit are
ground truth too (``_technician_profiles``) and show only through their service records and work photos.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import catalog
from .common import (
    BUILDER,
    DAY,
    DRIVER,
    FLIPPER,
    JAN_1_2008,
    OPEN,
    STREAM_TECHNICIANS,
    STREAM_USERS,
    USER_DEALER,
    USER_PRIVATE,
    USER_SHOP,
    GeneratorConfig,
    stream_rng,
    weighted_choice,
)

DEALER_CHANGE_SHARE = 0.03  # private users who turn dealer
CERTIFICATION_CHANGE_SHARE = 0.20  # technicians who earn another certification


@dataclass
class Users:
    """Users in join order; row i is users.id i + 1."""

    n: int
    ids: np.ndarray
    joined_at: np.ndarray  # sorted ascending, so "joined before t" is a prefix
    user_type: np.ndarray  # USER_PRIVATE, USER_DEALER, USER_SHOP: as they joined
    dealer_since: np.ndarray  # when a private user turned dealer (a second users row), OPEN if never
    archetype: np.ndarray  # COLLECTOR .. DRIVER (dealers are flippers, shops builders)
    owner_weight: np.ndarray  # how likely the user is to own a given vehicle (heavy tailed)
    activity: np.ndarray  # how much the user comments and bids
    cumulative_activity: np.ndarray
    city: np.ndarray  # index into catalog.CITIES
    usernames: list[str]
    emails: list[str | None]
    phones: list[str | None]
    locations: list[str | None]


def make_users(cfg: GeneratorConfig) -> Users:
    rng = stream_rng(cfg.seed, STREAM_USERS)
    n = cfg.n_users
    span = cfg.world_end - DAY - JAN_1_2008
    joined_at = np.sort(JAN_1_2008 + (rng.random(n) ** 0.6 * span).astype(np.int64))
    user_type = weighted_choice(rng, [0.88, 0.05, 0.07], n)
    archetype = np.full(n, DRIVER)
    private = user_type == USER_PRIVATE
    archetype[private] = weighted_choice(rng, [0.25, 0.05, 0.15, 0.55], int(private.sum()))
    archetype[user_type == USER_DEALER] = FLIPPER
    archetype[user_type == USER_SHOP] = BUILDER
    # owner weight: heavy tailed, collectors and dealers hold many vehicles
    owner_weight = rng.lognormal(0.0, 0.9, n) * np.array([3.0, 5.0, 1.5, 0.7])[archetype]
    owner_weight[user_type == USER_SHOP] *= 0.15
    activity = rng.lognormal(0.0, 1.1, n)
    picks = rng.integers(0, 1 << 30, size=(n, 8))
    city = rng.integers(0, len(catalog.CITIES), n)
    usernames, emails, phones, locations = [], [], [], []
    for i, row in enumerate(picks.tolist()):
        username, email = _username_and_email(int(user_type[i]), row, int(city[i]))
        usernames.append(username)
        emails.append(email if row[6] % 20 else None)
        phones.append(_phone(row[4], row[5], row[7]))
        city_name, state = catalog.CITIES[city[i]]
        locations.append(f"{city_name}, {state}" if row[0] % 25 else None)
    # the last draws: private users who turn dealer, a month or more after joining
    turns_dealer = (user_type == USER_PRIVATE) & (rng.random(n) < DEALER_CHANGE_SHARE)
    change_at = joined_at + 30 * DAY + (rng.random(n) * np.maximum(cfg.world_end - joined_at - 30 * DAY, 0))
    dealer_since = np.where(turns_dealer & (change_at < cfg.world_end), change_at.astype(np.int64), OPEN)
    return Users(
        n=n,
        ids=np.arange(1, n + 1, dtype=np.int64),
        joined_at=joined_at,
        user_type=user_type,
        dealer_since=dealer_since,
        archetype=archetype,
        owner_weight=owner_weight,
        activity=activity,
        cumulative_activity=np.cumsum(activity),
        city=city,
        usernames=usernames,
        emails=emails,
        phones=phones,
        locations=locations,
    )


def _username_and_email(user_type: int, picks: list[int], city: int) -> tuple[str, str]:
    """A handle in one of four private styles, or a business name for dealers and shops."""
    style, first, last, number, email_style, domain = picks[:6]
    first_names, last_names, handles = catalog.FIRST_NAMES, catalog.LAST_NAMES, catalog.HANDLE_WORDS
    if user_type == USER_PRIVATE:
        first_name = first_names[first % len(first_names)]
        last_name = last_names[last % len(last_names)]
        handle = handles[first % len(handles)]
        pattern = style % 4
        if pattern == 0:
            username = f"{first_name}{last_name[0]}{number % 100}"
        elif pattern == 1:
            username = f"{handle}{number % 1000}"
        elif pattern == 2:
            username = f"{first_name}_{last_name}"
        else:
            username = f"{handle}_{first_names[last % len(first_names)]}{number % 90 + 10}"
        if email_style % 3:
            local = username.lower().replace("_", ".")
        else:
            local = f"{first_name}.{last_name}{number % 100}"
        return username, f"{local}@{catalog.EMAIL_DOMAINS[domain % len(catalog.EMAIL_DOMAINS)]}"
    words = catalog.DEALER_WORDS if user_type == USER_DEALER else catalog.SHOP_WORDS
    business = f"{catalog.SHOP_PREFIX[first % len(catalog.SHOP_PREFIX)]} {words[last % len(words)]}"
    slug = business.lower().replace(" ", "")
    email = f"{'sales' if user_type == USER_DEALER else 'service'}@{slug}.com"
    return (business if number % 2 else f"{business} {catalog.CITIES[city][0]}"), email


def _phone(exchange_pick: int, line_pick: int, style_pick: int) -> str | None:
    """A 555 number in one of four spellings, or unknown."""
    exchange, line = 200 + exchange_pick % 800, 1000 + line_pick % 9000
    style = style_pick % 5
    if style == 0:
        return f"+1 (555) {exchange:03d}-{line:04d}"
    if style == 1:
        return f"555.{exchange:03d}.{line:04d}"
    if style == 2:
        return f"555-{exchange:03d}-{line:04d}"
    if style == 3:
        return f"(555) {exchange:03d}-{line:04d}"
    return None


class OwnerPools:
    """Weighted owner pools per archetype, restricted to users who joined before a time.

    Keys are the archetype codes, "dealer" (dealer accounts) and "all". Builders are drawn from private
    users where there are any: shops work on cars more than they own them.
    """

    def __init__(self, users: Users):
        self.users = users
        self.pool: dict[int | str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for archetype in range(4):
            members = np.nonzero(users.archetype == archetype)[0]
            if archetype == BUILDER:
                private = users.user_type[members] == USER_PRIVATE
                members = members[private] if private.any() else members
            if len(members) == 0:
                members = np.arange(users.n)
            self.pool[archetype] = (members, np.cumsum(users.owner_weight[members]), users.joined_at[members])
        dealers = np.nonzero(users.user_type == USER_DEALER)[0]
        if len(dealers) == 0:
            dealers = np.arange(min(3, users.n))
        self.pool["dealer"] = (dealers, np.cumsum(users.owner_weight[dealers]), users.joined_at[dealers])
        self.pool["all"] = (np.arange(users.n), np.cumsum(users.owner_weight), users.joined_at)

    def pick(self, key: int | str, uniform: float, joined_before: int | None) -> int:
        """0-based user index for a uniform in [0, 1); ``joined_before`` restricts to users joined by then."""
        members, cumulative_weight, joined_at = self.pool[key]
        eligible = len(members) if joined_before is None else int(np.searchsorted(joined_at, joined_before, "right"))
        if eligible == 0:
            if key != "all":
                return self.pick("all", uniform, joined_before)
            eligible = 1
        j = int(np.searchsorted(cumulative_weight, uniform * cumulative_weight[eligible - 1], side="right"))
        return int(members[min(j, eligible - 1)])


@dataclass
class Technicians:
    """Technicians; row i is technicians.id i + 1. Skill and habit are hidden ground truth."""

    n: int
    ids: np.ndarray
    skill: np.ndarray  # index into SKILLS
    habit: np.ndarray  # documentation habit, index into HABITS
    user_index: np.ndarray  # the shop's user account (0-based), -1 if none
    start_day: np.ndarray  # days since 1970 they started in the trade
    start_unknown: np.ndarray
    shop_names: list[str]
    certifications: list[str | None]  # when their record is created
    registered_at: np.ndarray  # when their record is created (their shop account's joining, else any time)
    certified_at: np.ndarray  # when they earn one more certification (a second row), OPEN if never
    later_certifications: list[str | None]  # their certifications from then on
    hourly_rate: np.ndarray
    cumulative_weight: np.ndarray  # how much work they get, for weighted picks


def make_technicians(cfg: GeneratorConfig, users: Users) -> Technicians:
    rng = stream_rng(cfg.seed, STREAM_TECHNICIANS)
    n = cfg.n_technicians
    skill = weighted_choice(rng, [0.2, 0.45, 0.35], n)
    # better technicians document better, with exceptions either way
    habit = np.where(
        rng.random(n) < 0.3 + 0.15 * skill,
        np.minimum(skill + rng.integers(0, 2, n), 2),
        weighted_choice(rng, [0.5, 0.4, 0.1], n),
    )
    shops = np.nonzero(users.user_type == USER_SHOP)[0]
    has_user = rng.random(n) < 0.7
    shop_pick = rng.integers(0, max(1, len(shops)), n)
    user_index = np.where(has_user, shops[shop_pick], -1) if len(shops) else np.full(n, -1)
    years_in_trade = np.where(
        skill == 0,
        rng.integers(1, 6, n),
        np.where(skill == 1, rng.integers(5, 16, n), rng.integers(15, 41, n)),
    )
    start_day = (cfg.world_end // DAY) - (years_in_trade * 365.25).astype(np.int64) - rng.integers(0, 365, n)
    start_unknown = rng.random(n) < 0.1
    picks = rng.integers(0, 1 << 30, size=(n, 4))
    shop_names, certifications = [], []
    for i, (name_style, prefix, word, cert_count) in enumerate(picks.tolist()):
        if user_index[i] >= 0 and name_style % 3:
            shop_names.append(users.usernames[user_index[i]])
        else:
            shop_prefix = catalog.SHOP_PREFIX[prefix % len(catalog.SHOP_PREFIX)]
            shop_names.append(f"{shop_prefix} {catalog.SHOP_WORDS[word % len(catalog.SHOP_WORDS)]}")
        certifications.append(_certifications(int(skill[i]), name_style, cert_count))
    hourly_rate = np.array([85.0, 120.0, 165.0])[skill] * rng.lognormal(0, 0.12, n)
    work_weight = rng.lognormal(0, 0.8, n)
    registered_at, certified_at, later = _registration_and_certification(
        rng, cfg, users, user_index, start_day, certifications
    )
    return Technicians(
        n=n,
        ids=np.arange(1, n + 1, dtype=np.int64),
        skill=skill,
        habit=habit,
        user_index=user_index,
        start_day=start_day,
        start_unknown=start_unknown,
        shop_names=shop_names,
        certifications=certifications,
        registered_at=registered_at,
        certified_at=certified_at,
        later_certifications=later,
        hourly_rate=hourly_rate,
        cumulative_weight=np.cumsum(work_weight),
    )


def _registration_and_certification(
    rng: np.random.Generator,
    cfg: GeneratorConfig,
    users: Users,
    user_index: np.ndarray,
    start_day: np.ndarray,
    certifications: list,
) -> tuple[np.ndarray, np.ndarray, list[str | None]]:
    """When a technician's record is created (with their shop's account, else any time since 2008, and not
    before they started in the trade), and for about 20% a new certification a month or more later (the
    last draws of STREAM_TECHNICIANS)."""
    n = len(user_index)
    anytime = JAN_1_2008 + (rng.random(n) * (cfg.world_end - 60 * DAY - JAN_1_2008)).astype(np.int64)
    registered_at = np.where(user_index >= 0, users.joined_at[np.maximum(user_index, 0)], anytime)
    registered_at = np.minimum(np.maximum(registered_at, (start_day + 1) * DAY), cfg.world_end - 2 * DAY)
    earns = rng.random(n) < CERTIFICATION_CHANGE_SHARE
    certified = registered_at + 30 * DAY + (rng.random(n) * np.maximum(cfg.world_end - registered_at - 30 * DAY, 0))
    certified_at = np.where(earns & (certified < cfg.world_end), certified.astype(np.int64), OPEN)
    picks = rng.integers(0, len(catalog.CERTIFICATIONS), n)
    later: list[str | None] = []
    for i, current in enumerate(certifications):
        held = set(current.split(", ")) if current else set()
        new = next(
            catalog.CERTIFICATIONS[(int(picks[i]) + k) % len(catalog.CERTIFICATIONS)]
            for k in range(len(catalog.CERTIFICATIONS))
            if catalog.CERTIFICATIONS[(int(picks[i]) + k) % len(catalog.CERTIFICATIONS)] not in held
        )
        later.append(", ".join(sorted(held | {new})) if certified_at[i] != OPEN else current)
    return registered_at, certified_at, later


def _certifications(skill: int, pick: int, count_pick: int) -> str | None:
    """Up to three certifications (apprentices at most one), sorted, or none."""
    count = count_pick % 4 if skill > 0 else count_pick % 2
    if count == 0:
        return None
    names = catalog.CERTIFICATIONS
    return ", ".join(sorted({names[(pick + j * 7919) % len(names)] for j in range(count)}))
