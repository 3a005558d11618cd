"""COPY text for the in-memory tables, with their injected defects."""

from __future__ import annotations

import numpy as np

from . import catalog_extra as X
from .copytext import escape_copy, fmt_date_list, fmt_money, fmt_ts, fmt_ts_list, py_table
from .defects import ORPHAN_BASE, pick_rows
from .market import ERA_ADJ
from .world import (
    A_FLIP,
    ARCH_NAMES,
    DAY,
    KIND_CAR,
    KIND_MOTO,
    KIND_NV,
    OPEN,
    ST_LIVE,
    ST_RNM,
    ST_SOLD,
    STATUS_NAMES,
    SVC_CATS,
    T2015,
    TARGET_LOG_MEDIAN,
    TARGET_LOG_SD,
    VIA_NAMES,
    YEAR,
)


def _s(x) -> str:
    return str(int(x))


def _finish(cols: list[list], dups: np.ndarray, ledger, rng, table: str, ids) -> bytes:
    """Append _loaded_at (+ re-delivered copies with a later _loaded_at) and return COPY text."""
    as_txt = fmt_ts(ledger.cfg.as_of)
    n = len(cols[0])
    cols = [list(c) for c in cols]
    cols.append([as_txt] * n)
    if len(dups):
        dl = fmt_ts_list(ledger.dup_loaded(rng, len(dups)))
        for c in cols[:-1]:
            c.extend(c[i] for i in dups.tolist())
        cols[-1].extend(dl)
        for i in dups.tolist():
            ledger.add(table, int(ids[i]), "duplicate_delivery", "re-delivered with a later _loaded_at")
    return py_table(cols)


def users_copy(cfg, ctx, ledger) -> bytes:
    u = ctx.users
    rng = ledger.rng("users")
    used = np.zeros(u.n, dtype=bool)
    dups = pick_rows(rng, np.arange(u.n), used, ledger.per_kind("users", u.n))
    cols = [
        [_s(i) for i in u.ids],
        [escape_copy(x) for x in u.names],
        u.emails,
        u.phones,
        [("private", "dealer", "shop")[t] for t in u.utype.tolist()],
        u.locs,
        fmt_ts_list(u.joined),
    ]
    return _finish(cols, dups, ledger, rng, "users", u.ids)


def technicians_copy(cfg, ctx, ledger) -> bytes:
    t = ctx.tech
    rng = ledger.rng("technicians")
    used = np.zeros(t.n, dtype=bool)
    dups = pick_rows(rng, np.arange(t.n), used, ledger.per_kind("technicians", t.n))
    cols = [
        [_s(i) for i in t.ids],
        [None if x < 0 else _s(x + 1) for x in t.user_idx.tolist()],
        t.shop_names,
        t.certs,
        fmt_date_list(t.start_day, t.start_null),
    ]
    return _finish(cols, dups, ledger, rng, "technicians", t.ids)


def plan_bare_vehicles(ledger):
    def choose(_rng, kind, nlist):
        n = len(kind)
        rng = ledger.rng("vehicles", 2)
        used = np.zeros(n, dtype=bool)
        cand = np.nonzero((kind == KIND_CAR) & (nlist == 0))[0]
        sel = pick_rows(rng, cand, used, ledger.per_kind("vehicles", n))
        bare = np.zeros(n, dtype=bool)
        bare[sel] = True
        return bare

    return choose


def vehicles_copy(cfg, ctx, ledger) -> bytes:
    v = ctx.veh
    rng = ledger.rng("vehicles")
    n = v.n
    used = v.bare.copy()
    k = ledger.per_kind("vehicles", n)
    cars = np.nonzero(v.kind == KIND_CAR)[0]
    makes = list(v.makes)
    models = list(v.models)
    years = [_s(y) for y in v.year.tolist()]
    years = [None if v.kind[i] == KIND_NV and i % 3 == 0 else y for i, y in enumerate(years)]
    mileage = [None if m < 0 else _s(m) for m in v.mileage.tolist()]
    colors = list(v.colors)
    trans = list(v.trans)
    for i in np.nonzero(v.bare)[0].tolist():
        makes[i] = None
        ledger.add("vehicles", int(v.ids[i]), "missing_required_value", "make is null")
    for i in pick_rows(rng, cars, used, k).tolist():
        y = int(v.year[i])
        bad = (0, 1899, 2099, y * 10 + i % 10)[i % 4]
        years[i] = _s(bad)
        ledger.add("vehicles", int(v.ids[i]), "invalid_year", f"year {bad}")
    for i in pick_rows(rng, cars, used, k).tolist():
        m = int(v.mileage[i]) if v.mileage[i] > 0 else 1234
        bad = -m if i % 2 else 2_000_000 + m
        mileage[i] = _s(bad)
        ledger.add("vehicles", int(v.ids[i]), "mileage_out_of_range", f"mileage {bad}")
    look = X.CYRILLIC_LOOKALIKE
    mixable = np.array([any(ch in look for ch in (makes[i] or "") + models[i]) for i in cars], dtype=bool)
    for i in pick_rows(rng, cars[mixable] if len(cars) else cars, used, k).tolist():
        field = "make" if any(ch in look for ch in makes[i]) else "model"
        text = makes[i] if field == "make" else models[i]
        j = next(p for p, ch in enumerate(text) if ch in look)
        text = text[:j] + look[text[j]] + text[j + 1 :]
        if field == "make":
            makes[i] = text
        else:
            models[i] = text
        ledger.add("vehicles", int(v.ids[i]), "mixed_scripts", f"{field} {text!r}")
    for i in pick_rows(rng, cars, used, k).tolist():
        ph = X.PLACEHOLDERS[i % len(X.PLACEHOLDERS)]
        field = "color" if i % 2 else "transmission"
        if field == "color":
            colors[i] = ph
        else:
            trans[i] = ph
        ledger.add("vehicles", int(v.ids[i]), "placeholder_value", f"{field} {ph!r}")
    dups = pick_rows(rng, np.nonzero(~v.bare)[0], used, k)
    for i in np.nonzero(v.kind == KIND_MOTO)[0].tolist():
        ledger.add("vehicles", int(v.ids[i]), "motorcycle_lot", f"{v.canon_make[i]} {v.models[i]}")
    for i in np.nonzero(v.kind == KIND_NV)[0].tolist():
        ledger.add("vehicles", int(v.ids[i]), "non_vehicle_lot", f"{v.canon_make[i]} {v.models[i]}")
    rating = [f"{x:.1f}" if r else None for x, r in zip(v.rating.tolist(), v.rated.tolist(), strict=False)]
    cols = [
        [_s(i) for i in v.ids],
        v.vins,
        years,
        [None if m is None else escape_copy(m) for m in makes],
        [escape_copy(m) for m in models],
        v.trims,
        colors,
        v.icolors,
        mileage,
        trans,
        v.engines,
        v.bodies,
        v.drives,
        rating,
        [None if o < 0 else _s(o + 1) for o in v.owner.tolist()],
        fmt_ts_list(v.created),
        fmt_ts_list(v.updated),
    ]
    return _finish(cols, dups, ledger, rng, "vehicles", v.ids)


def plan_listing_defects(cfg, ctx, ledger) -> dict:
    """Blocking listing defects are decided before children exist: such listings get no children."""
    lst = ctx.lst
    rng = ledger.rng("bat_listings")
    n = lst.n
    k = ledger.per_kind("bat_listings", n)
    used = np.zeros(n, dtype=bool)
    ended = np.nonzero(lst.status != ST_LIVE)[0]
    sold = np.nonzero((lst.status == ST_SOLD) & (lst.high_bid > 0))[0]
    rnm = np.nonzero((lst.status == ST_RNM) & (lst.high_bid > 0))[0]
    sold_rnm = np.nonzero(np.isin(lst.status, [ST_SOLD, ST_RNM]))[0]
    plan = {}
    for kind, cand in (
        ("sale_price_status_mismatch", rnm),
        ("price_not_positive", sold),
        ("price_absurd", sold),
        ("future_timestamp", sold_rnm),
        ("missing_required_value", ended),
        ("epoch_timestamp", ended),
        ("ended_before_started", ended),
    ):
        plan[kind] = pick_rows(rng, cand, used, k)
        lst.children[plan[kind]] = False
    anyrow = np.arange(n)
    for kind in (
        "control_characters",
        "zero_width_characters",
        "oversized_text",
        "contains_email",
        "contains_phone",
        "duplicate_delivery",
    ):
        plan[kind] = pick_rows(rng, anyrow, used, k)
    plan["orphan_reference"] = np.sort(rng.choice(n, size=min(n, k), replace=False)) if k and n else []
    return plan


def listings_copy(cfg, ctx, ledger, plan) -> bytes:
    lst, _veh, users = ctx.lst, ctx.veh, ctx.users
    rng = ledger.rng("bat_listings", 3)
    n = lst.n
    AS = cfg.as_of
    started = fmt_ts_list(lst.start)
    ended = fmt_ts_list(np.maximum(lst.end, 0), lst.end < 0)
    high = [None if h < 0 else fmt_money(h) for h in lst.high_bid.tolist()]
    sale = [None if s < 0 else fmt_money(s) for s in lst.sale_price.tolist()]
    desc = list(ctx.descriptions)
    T = "bat_listings"

    def add(i, kind, detail=""):
        ledger.add(T, int(lst.ids[i]), kind, detail)

    for i in plan["sale_price_status_mismatch"]:
        sale[i] = high[i]
        add(i, "sale_price_status_mismatch", "sale_price set on a reserve_not_met listing")
    for j, i in enumerate(plan["price_not_positive"]):
        sale[i] = "0.00" if j % 2 == 0 else fmt_money(-int(lst.sale_price[i]))
        add(i, "price_not_positive", f"sale_price {sale[i]}")
    for j, i in enumerate(plan["price_absurd"]):
        bad = 100_000_000_000 if j % 2 == 0 else int(lst.sale_price[i]) * 10_000
        bad = min(max(bad, 5_000_000_000), 99_999_999_999)
        sale[i] = fmt_money(bad)
        add(i, "price_absurd", f"sale_price {sale[i]}")
    for i in plan["future_timestamp"]:
        ended[i] = fmt_ts(AS + (5 + i % 300) * DAY)
        add(i, "future_timestamp", "ended_at after _loaded_at")
    for i in plan["missing_required_value"]:
        started[i] = None
        add(i, "missing_required_value", "started_at is null")
    for i in plan["epoch_timestamp"]:
        started[i] = fmt_ts(0)
        add(i, "epoch_timestamp", "started_at = 1970-01-01")
    for i in plan["ended_before_started"]:
        ended[i] = fmt_ts(int(lst.start[i]) - 3600 - (i % 72) * 3600)
        add(i, "ended_before_started", "ended_at before started_at")
    for i in plan["control_characters"]:
        d = desc[i] or "Clean title."
        cut = len(d) // 2
        desc[i] = d[:cut] + X.CONTROL_SNIPPETS[i % len(X.CONTROL_SNIPPETS)] + d[cut:]
        add(i, "control_characters")
    for i in plan["zero_width_characters"]:
        d = desc[i] or "Clean title."
        cut = max(1, d.find(" ") if " " in d else 1)
        desc[i] = d[: cut - 1] + X.ZERO_WIDTH_SNIPPETS[i % 3] + d[cut - 1 :]
        add(i, "zero_width_characters")
    for i in plan["oversized_text"]:
        d = (desc[i] or "This car is offered with a clean title.") + "\n\n"
        desc[i] = (d * (1_000_000 // len(d) + 1))[:1_000_000]
        add(i, "oversized_text", "description of 1,000,000 characters")
    for i in plan["contains_email"]:
        desc[i] = (
            (desc[i] + " " if desc[i] else "") + "Questions?" + X.EMAIL_SNIPPETS[i % len(X.EMAIL_SNIPPETS)]
        )
        add(i, "contains_email")
    for i in plan["contains_phone"]:
        desc[i] = (
            (desc[i] + " " if desc[i] else "")
            + "Serious buyers"
            + X.PHONE_SNIPPETS[i % len(X.PHONE_SNIPPETS)]
        )
        add(i, "contains_phone")
    loc = [users.locs[s] or "Los Angeles, CA" for s in lst.seller.tolist()]
    cols = [
        [_s(i) for i in lst.ids],
        [_s(v + 1) for v in lst.veh.tolist()],
        [_s(s + 1) for s in lst.seller.tolist()],
        ctx.lots,
        ctx.urls,
        [escape_copy(t) for t in ctx.titles],
        [escape_copy(d) for d in desc],
        [("private", "dealer")[t] for t in lst.seller_type.tolist()],
        loc,
        started,
        ended,
        [STATUS_NAMES[s] for s in lst.status.tolist()],
        high,
        sale,
        ["t" if b else "f" for b in lst.no_reserve.tolist()],
        [_s(x) for x in lst.views.tolist()],
        [_s(x) for x in lst.watchers.tolist()],
        [_s(x) for x in lst.comment_count.tolist()],
        [_s(x) for x in lst.bid_count.tolist()],
    ]
    # orphan listings: extra rows (new ids, no children) pointing at vehicles that exist nowhere
    for j, src in enumerate(list(plan["orphan_reference"])):
        new_id = n + 1 + j
        row = [c[src] for c in cols]
        row[0] = _s(new_id)
        row[1] = _s(ORPHAN_BASE + new_id)
        row[3] = str(10000 + new_id * 3)
        row[4] = row[4].rstrip("/") + f"-{new_id}/"
        for c, val in zip(cols, row, strict=False):
            c.append(val)
        ledger.add(T, new_id, "orphan_reference", f"vehicle_id {row[1]} exists nowhere")
    ids = np.arange(1, len(cols[0]) + 1)
    return _finish(cols, np.asarray(plan["duplicate_delivery"], dtype=np.int64), ledger, rng, T, ids)


def vehicle_value_log(ctx, vidx: np.ndarray, t: np.ndarray, noise: np.ndarray) -> np.ndarray:
    veh = ctx.veh
    med, sd = ctx.cfg.price_cal
    year = veh.year[vidx]
    era = np.array([ERA_ADJ.get(int(y) // 10 * 10, 0.0) for y in range(1900, 2040)])[
        np.clip(year - 1900, 0, 139)
    ]
    ty = (t - T2015) / YEAR
    trend = np.where(
        ty < 0, 0.05 * np.maximum(ty, -30), 0.07 * np.minimum(ty, 7) - 0.03 * np.maximum(0, ty - 7)
    )
    raw = np.log(veh.base_price[vidx]) + era + 0.25 * veh.quality[vidx] + trend + 0.2 + noise
    return TARGET_LOG_MEDIAN + (raw - med) * (TARGET_LOG_SD / sd)


def ownerships_copy(cfg, ctx, ledger) -> bytes:
    own, lst = ctx.own, ctx.lst
    rng = ledger.rng("ownerships")
    n = own.n
    # acquisition prices: BaT purchases = sale price; otherwise value at the time x archetype discount
    logv = vehicle_value_log(ctx, own.veh, own.acq, rng.normal(0, 0.2, n))
    factor = np.where(own.arch == A_FLIP, 0.75, 0.95) * rng.lognormal(0, 0.1, n)
    acq_price = np.round(np.exp(logv) * factor / 100.0).astype(np.int64) * 10000
    acq_price = np.maximum(acq_price, 50000)
    first = np.ones(n, dtype=bool)
    first[1:] = own.veh[1:] != own.veh[:-1]
    null_p = np.where(first, 0.5, 0.25)
    acq_null = rng.random(n) < null_p
    win = lst.win_seg >= 0
    bat_seg = lst.win_seg[win]
    bat_price = lst.sale_price[win]
    acq_price[bat_seg] = np.where(bat_price > 0, bat_price, acq_price[bat_seg])
    acq_null[bat_seg] = bat_price <= 0
    last = np.ones(n, dtype=bool)
    last[:-1] = own.veh[:-1] != own.veh[1:]
    disp_price = np.full(n, -1, dtype=np.int64)
    nxt = np.nonzero(~last)[0]
    disp_price[nxt] = np.where(acq_null[nxt + 1], -1, acq_price[nxt + 1])
    disp_price[own.disp == OPEN] = -1
    acq_txt = fmt_date_list(own.acq // DAY)
    disp_txt = fmt_date_list(np.where(own.disp == OPEN, 0, own.disp) // DAY, own.disp == OPEN)
    owner_txt = [_s(o + 1) for o in own.owner.tolist()]
    ids = np.arange(1, n + 1, dtype=np.int64)
    k = ledger.per_kind("ownerships", n)
    used = np.zeros(n, dtype=bool)
    closed = np.nonzero(own.disp != OPEN)[0]
    for i in pick_rows(rng, closed, used, k).tolist():
        owner_txt[i] = _s(ORPHAN_BASE + i + 1)
        ledger.add("ownerships", i + 1, "orphan_reference", f"owner_id {owner_txt[i]} exists nowhere")
    for i in pick_rows(rng, closed, used, k).tolist():
        acq_txt[i] = None
        ledger.add("ownerships", i + 1, "missing_optional_value", "acquired_at is null")
    dups = pick_rows(rng, np.arange(n), used, k)
    cols = [
        [_s(i) for i in ids],
        [_s(v + 1) for v in own.veh.tolist()],
        owner_txt,
        acq_txt,
        disp_txt,
        [None if z else fmt_money(p) for p, z in zip(acq_price.tolist(), acq_null.tolist(), strict=False)],
        [None if p < 0 else fmt_money(p) for p in disp_price.tolist()],
        [VIA_NAMES[x] for x in own.via.tolist()],
    ]
    return _finish(cols, dups, ledger, rng, "ownerships", ids)


def plan_service_orphans(ctx, ledger) -> None:
    svc = ctx.svc
    rng = ledger.rng("service_records")
    svc.used = np.zeros(svc.n, dtype=bool)
    svc.orphan = np.zeros(svc.n, dtype=bool)
    sel = pick_rows(rng, np.arange(svc.n), svc.used, ledger.per_kind("service_records", svc.n))
    svc.orphan[sel] = True
    svc.rng_dups = rng


def service_copy(cfg, ctx, ledger) -> bytes:
    svc, _tech = ctx.svc, ctx.tech
    rng = svc.rng_dups
    n = svc.n
    vid = [_s(v + 1) for v in svc.veh.tolist()]
    for i in np.nonzero(svc.orphan)[0].tolist():
        vid[i] = _s(ORPHAN_BASE + i + 1)
        ledger.add("service_records", i + 1, "orphan_reference", f"vehicle_id {vid[i]} exists nowhere")
    dups = pick_rows(rng, np.arange(n), svc.used, ledger.per_kind("service_records", n))
    cols = [
        [_s(i) for i in svc.ids],
        vid,
        [None if t < 0 else _s(t + 1) for t in svc.tech.tolist()],
        fmt_date_list(svc.day),
        [None if z else _s(m) for m, z in zip(svc.mileage.tolist(), svc.mil_null.tolist(), strict=False)],
        [SVC_CATS[c] for c in svc.cat.tolist()],
        [escape_copy(d) for d in ctx.svc_desc],
        [
            None if z else f"{h:.2f}"
            for h, z in zip(svc.hours.tolist(), svc.hours_null.tolist(), strict=False)
        ],
        [
            None if z else fmt_money(p)
            for p, z in zip(svc.parts.tolist(), svc.parts_null.tolist(), strict=False)
        ],
        [
            None if z else fmt_money(p)
            for p, z in zip(svc.total.tolist(), svc.total_null.tolist(), strict=False)
        ],
    ]
    return _finish(cols, dups, ledger, rng, "service_records", svc.ids)


def archetype_rows(ctx) -> bytes:
    own, users = ctx.own, ctx.users
    owners = np.unique(own.owner)
    return py_table(
        [[_s(o + 1) for o in owners.tolist()], [ARCH_NAMES[users.arch[o]] for o in owners.tolist()]]
    )


def technician_profile_rows(ctx) -> bytes:
    from .world import HABITS, SKILLS

    t = ctx.tech
    return py_table(
        [[_s(i) for i in t.ids], [SKILLS[s] for s in t.skill.tolist()], [HABITS[h] for h in t.habit.tolist()]]
    )
