"""Listing economics: values, prices, counters, gallery sizes, titles and descriptions."""

from __future__ import annotations

import math
import re

import numpy as np

from . import catalog as C
from .world import (
    DAY,
    KIND_MOTO,
    KIND_NV,
    NS,
    S_DESC,
    S_LIST,
    ST_LIVE,
    ST_RNM,
    ST_SOLD,
    ST_WD,
    T2015,
    TARGET_LOG_MEDIAN,
    TARGET_LOG_SD,
    YEAR,
    rng_for,
)

ERA_ADJ = {
    1920: 0.1,
    1930: 0.1,
    1940: 0.15,
    1950: 0.3,
    1960: 0.25,
    1970: 0.05,
    1980: -0.1,
    1990: 0.0,
    2000: -0.2,
    2010: 0.1,
    2020: 0.35,
}


def _phi(x):
    return 0.5 * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))


def enrich_listings(cfg, users: NS, veh: NS, lst: NS, own: NS, svc: NS) -> None:
    rng = rng_for(cfg.seed, S_LIST)
    n = lst.n
    AS = cfg.as_of
    v = lst.veh
    # documentation facts known at listing time
    keys = np.sort(svc.veh * 100000 + svc.day)
    start_day = lst.start // DAY
    lst.nsvc = (np.searchsorted(keys, v * 100000 + start_day) - np.searchsorted(keys, v * 100000)).astype(
        np.int64
    )
    year = veh.year[v]
    lst.has_docs = rng.random(n) < 0.10 + 0.25 * (lst.nsvc > 3) + 0.15 * (year >= 1990)
    first_seg = np.searchsorted(own.veh, v)
    lst.ordinal = lst.seller_seg - first_seg + 1
    lst.seller_acq = own.acq[lst.seller_seg]
    dealer_seller = users.utype[lst.seller] == 1
    lst.seller_type = np.where(dealer_seller | lst.dealer, 1, 0)
    lvl_p = np.where(lst.seller_type[:, None] == 1, [[0.02, 0.08, 0.40, 0.50]], [[0.06, 0.20, 0.44, 0.30]])
    lst.desc_level = (rng.random(n)[:, None] > np.cumsum(lvl_p, axis=1)).sum(axis=1).clip(0, 3)
    kind = veh.kind[v]
    # latent value (log dollars)
    era = np.array([ERA_ADJ.get(int(y) // 10 * 10, 0.0) for y in range(1900, 2040)])[
        np.clip(year - 1900, 0, 139)
    ]
    era = np.where(kind == KIND_NV, 0.0, era)
    mil = np.maximum(lst.mileage, 0)
    mil_eff = np.where(kind == KIND_NV, 0.0, -0.12 * (np.log1p(mil / 1000.0) - 3.4))
    doc_eff = 0.05 * np.sqrt(np.minimum(lst.nsvc, 25)) + 0.12 * lst.has_docs + 0.08 * (lst.ordinal == 1)
    doc_eff = doc_eff + 0.04 * lst.desc_level
    ty = (lst.start - T2015) / YEAR
    trend = 0.07 * np.minimum(ty, 7) - 0.03 * np.maximum(0, ty - 7)
    no_res_p = np.select(
        [lst.status == ST_SOLD, lst.status == ST_LIVE, lst.status == ST_WD], [0.42, 0.4, 0.2], 0.0
    )
    lst.no_reserve = rng.random(n) < no_res_p
    raw = (
        np.log(veh.base_price[v])
        + era
        + mil_eff
        + 0.25 * veh.quality[v]
        + doc_eff
        + trend
        + 0.05 * lst.seller_type
        - 0.04 * lst.no_reserve
        + 0.30 * rng.normal(0, 1, n)
        + 0.12 * rng.standard_t(3, n)
    )
    sold = lst.status == ST_SOLD
    ref = raw[sold] if sold.sum() >= 5 else raw
    if len(ref) >= 2:
        med = float(np.median(ref))
        q25, q75 = np.percentile(ref, [25, 75])
        sd = max(float(q75 - q25) / 1.349, 1e-6)
    else:
        med, sd = float(ref[0]) if len(ref) else 0.0, 1.0
    cfg.price_cal = (med, sd)
    logv = TARGET_LOG_MEDIAN + (raw - med) * (TARGET_LOG_SD / sd)
    lst.logv = logv
    value = np.exp(logv)
    elapsed = np.where(lst.status == ST_LIVE, np.clip((AS - lst.start) / (7 * DAY), 0.02, 1.0), 1.0)
    frac = np.select(
        [sold, lst.status == ST_RNM, lst.status == ST_WD],
        [np.ones(n), rng.uniform(0.72, 0.95, n), rng.uniform(0.35, 0.9, n)],
        0.25 + 0.6 * elapsed * rng.uniform(0.8, 1.0, n),
    )
    hb = value * frac
    step = np.where(hb >= 20000, 250, np.where(hb >= 5000, 100, 25))
    hb = np.maximum(np.round(hb / step) * step, 100).astype(np.int64)
    # popularity
    lz = (logv - TARGET_LOG_MEDIAN) / TARGET_LOG_SD
    zv = 0.5 * lz + 0.866 * rng.normal(0, 1, n)
    views = np.exp(math.log(6800) + 0.516 * zv) * elapsed**0.7
    watchers = np.exp(math.log(570) + 0.47 * (0.8 * zv + 0.6 * rng.normal(0, 1, n))) * elapsed**0.7
    ncom = np.exp(math.log(89) - 0.405 + 0.9 * (0.6 * zv + 0.8 * rng.normal(0, 1, n))) * elapsed
    ncom = np.where(lst.status == ST_WD, ncom * 0.4, ncom)
    ncom = np.minimum(np.round(ncom), 2500).astype(np.int64)
    pop = _phi(0.8 * zv + 0.6 * rng.normal(0, 1, n))
    nbid = 30 + np.floor(31 * pop).astype(np.int64).clip(0, 30)
    nbid = np.where(lst.status == ST_LIVE, np.maximum(1, np.round(nbid * elapsed)).astype(np.int64), nbid)
    wd = lst.status == ST_WD
    nbid = np.where(wd, np.where(rng.random(n) < 0.4, 0, 1 + (pop * 24).astype(np.int64)), nbid)
    rnm_none = (lst.status == ST_RNM) & (rng.random(n) < 0.03)
    nbid = np.where(rnm_none, 0, nbid)
    nbid = np.minimum(nbid, hb // 20).astype(np.int64)
    lst.high_bid = np.where(nbid > 0, hb * 100, -1)  # cents, -1 = null
    fee = np.clip(np.round(hb * 0.05), 250, 7500).astype(np.int64)
    lst.sale_price = np.where(sold & (nbid > 0), (hb + fee) * 100, -1)
    # a sold listing always has bids
    lst.views = np.round(views).astype(np.int64)
    lst.watchers = np.round(watchers).astype(np.int64)
    lst.n_comments = ncom
    lst.n_bids = nbid
    lst.comment_count = np.maximum(0, ncom + np.round(ncom * rng.normal(0, 0.04, n)) + rng.integers(-3, 4, n))
    lst.bid_count = np.maximum(0, nbid + rng.integers(-1, 3, n))
    gz = _phi(0.5 * lz + 0.866 * rng.normal(0, 1, n) - 0.25)
    gal = 50 + np.floor(250 * gz).astype(np.int64).clip(0, 250)
    gal = np.where(kind == KIND_NV, 50 + rng.integers(0, 41, n), gal)
    lst.gallery = gal
    doc_share = 0.005 + 0.012 * np.sqrt(np.minimum(lst.nsvc, 25)) + 0.03 * lst.has_docs
    lst.n_docs = np.minimum(np.round(gal * doc_share).astype(np.int64), gal // 4)
    lst.children = np.ones(n, dtype=bool)  # blocking-defect listings get none
    lst.ids = np.arange(1, n + 1, dtype=np.int64)
    lst.rng_text = rng.integers(0, 1 << 30, size=(n, 8))


def listing_titles(veh: NS, lst: NS) -> tuple[list[str], list[str], list[str]]:
    titles, urls, lots = [], [], []
    seen: dict[str, int] = {}
    for i in range(lst.n):
        v = lst.veh[i]
        k = veh.kind[v]
        if k == KIND_NV:
            t = veh.models[v]
        else:
            t = f"{veh.year[v]} {veh.canon_make[v]} {veh.models[v]}"
            tr = veh.trims[v]
            if tr and not veh.models[v].endswith(tr):
                t += f" {tr}"
            ts = C.TRANS_SHORT.get(veh.trans[v] or "")
            if ts and k != KIND_MOTO:
                t += f" {ts}"
        titles.append(t)
        slug = re.sub(r"[^a-z0-9]+", "-", t.lower()).strip("-")
        c = seen.get(slug, 0) + 1
        seen[slug] = c
        urls.append(f"https://bringatrailer.com/listing/{slug}{'' if c == 1 else f'-{c}'}/")
        lots.append(str(10000 + int(lst.ids[i]) * 3 + int(lst.rng_text[i, 0] % 3)))
    return titles, urls, lots


ORD = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth"}


def listing_descriptions(cfg, users: NS, veh: NS, lst: NS) -> list[str]:
    rng = rng_for(cfg.seed, S_DESC)
    r = rng.integers(0, 1 << 30, size=(lst.n, 10))
    out = []
    for i in range(lst.n):
        a = r[i]
        v = lst.veh[i]
        lvl = lst.desc_level[i]
        if lvl == 0:
            out.append("")
            continue
        name = f"{veh.canon_make[v]} {veh.models[v]}"
        miles = lst.mileage[i]
        miles_txt = (
            "unknown" if veh.mileage[v] < 0 else (f"{miles // 1000}k" if miles >= 1000 else str(miles))
        )
        fill = dict(
            year=veh.year[v],
            name=name,
            color=veh.colors[v] or "original finish",
            interior=(veh.icolors[v] or "black").lower(),
            engine=veh.engines[v] or "period-correct engine",
            trans=(veh.trans[v] or "manual gearbox").lower(),
            state=C.CITIES[a[1] % len(C.CITIES)][1],
            miles=miles_txt,
        )
        if veh.kind[v] == KIND_NV:
            first = f"This {veh.models[v]} is offered from a private collection."
        else:
            first = C.DESC_OPENERS[a[0] % len(C.DESC_OPENERS)].format(**fill)
        if lvl == 1:
            tail = ""
            if lst.nsvc[i] > 0 and a[2] % 3 == 0:
                tail = " Receipts included."
            out.append(first + tail)
            continue
        p1 = [first]
        if lst.ordinal[i] == 1 and a[3] % 2 == 0:
            p1.append(C.DESC_OWNERS[a[3] % 2])
        elif lst.ordinal[i] > 1 and a[3] % 3 != 2:
            acq_year = int(1970 + lst.seller_acq[i] // YEAR)
            p1.append(
                C.DESC_OWNERS[2].format(ordinal=ORD.get(int(lst.ordinal[i]), "latest"), acq_year=acq_year)
            )
        p2 = []
        if lst.nsvc[i] > 0 and a[4] % 100 < 85:
            since = int(1970 + (lst.start[i] - lst.nsvc[i] * 0.8 * YEAR) // YEAR)
            p2.append(C.DESC_SERVICE[a[4] % len(C.DESC_SERVICE)].format(since=max(since, 1990)))
        if lst.has_docs[i] and a[5] % 100 < 85:
            p2.append(C.DESC_DOCS[a[5] % len(C.DESC_DOCS)])
        body = [C.DESC_BODY[(a[6] + k * 3) % len(C.DESC_BODY)] for k in range(1 + a[7] % 3)]
        paras = [" ".join(p1), " ".join(p2 + body[:1])]
        if lvl == 3:
            paras.append(" ".join(body[1:] + [C.DESC_BODY[a[8] % len(C.DESC_BODY)]]))
            paras.append(
                f"This {name} is offered with a clean title{' at no reserve' if lst.no_reserve[i] else ''}."
            )
        out.append("\n\n".join(p for p in paras if p.strip()))
    return out
