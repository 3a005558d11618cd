"""The in-memory world: users, technicians, vehicles, listings, ownerships, service records.

Everything here is sized by the number of vehicles (287K at scale 1.0) and fits in memory; the big child
tables (images, comments, bids) are streamed chunk-wise by ``children.py`` from the arrays built here.
"""

from __future__ import annotations

import math

import numpy as np

from . import catalog as C
from .copytext import days_from_civil

DAY = 86400
YEAR = 365.25 * DAY
T2015 = days_from_civil(2015, 1, 1) * DAY
T2008 = days_from_civil(2008, 1, 1) * DAY
T1990 = days_from_civil(1990, 1, 1) * DAY
OPEN = -(1 << 62)  # 'no end' for times (real times may be negative: before 1970)

# stream keys (SeedSequence spawn_key first element)
S_USERS, S_TECH, S_VEH, S_LIST, S_OWN, S_SVC, S_IMG, S_COM, S_BID, S_DEFECT, S_DESC = range(11)

ST_LIVE, ST_SOLD, ST_RNM, ST_WD = 0, 1, 2, 3
STATUS_NAMES = ["live", "sold", "reserve_not_met", "withdrawn"]
ARCH_NAMES = ["collector", "flipper", "builder", "driver"]
A_COL, A_FLIP, A_BUILD, A_DRIVE = range(4)
VIA_NAMES = ["bat", "private", "dealer", "inheritance", "unknown"]
V_BAT, V_PRIV, V_DEAL, V_INH, V_UNK = range(5)
KIND_CAR, KIND_MOTO, KIND_NV = 0, 1, 2
SKILLS = ["apprentice", "journeyman", "master"]
HABITS = ["minimal", "standard", "meticulous"]
SVC_CATS = ["maintenance", "repair", "restoration", "modification", "inspection"]

# price calibration targets (realism.md): median $19.5k, deciles 6.2k .. 60.5k -> log sd ~0.89
TARGET_LOG_MEDIAN = math.log(19500.0)
TARGET_LOG_SD = 0.89


def rng_for(seed: int, *key: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=tuple(key))))


class NS:
    """A plain attribute bag."""

    def __init__(self, **kw):
        self.__dict__.update(kw)


def _choice_idx(rng, weights, size):
    p = np.asarray(weights, dtype=float)
    return rng.choice(len(p), size=size, p=p / p.sum())


# ------------------------------------------------------------------------------------------------
# users
# --------------------------------------------------------------------------------------------------
def make_users(cfg) -> NS:
    rng = rng_for(cfg.seed, S_USERS)
    n = cfg.n_users
    span = cfg.as_of - DAY - T2008
    joined = np.sort(T2008 + (rng.random(n) ** 0.6 * span).astype(np.int64))
    utype = _choice_idx(rng, [0.88, 0.05, 0.07], n)  # private, dealer, shop
    arch = np.full(n, A_DRIVE)
    priv = utype == 0
    arch[priv] = _choice_idx(rng, [0.25, 0.05, 0.15, 0.55], int(priv.sum()))
    arch[utype == 1] = A_FLIP
    arch[utype == 2] = A_BUILD
    # owner weight: heavy tailed, collectors and dealers hold many vehicles
    w = rng.lognormal(0.0, 0.9, n) * np.array([3.0, 5.0, 1.5, 0.7])[arch]
    w[utype == 2] *= 0.15
    act = rng.lognormal(0.0, 1.1, n)  # commenting / bidding activity
    r = rng.integers(0, 1 << 30, size=(n, 8))
    city = rng.integers(0, len(C.CITIES), n)
    names, emails, phones, locs = [], [], [], []
    fn, ln, hw, dom = C.FIRST_NAMES, C.LAST_NAMES, C.HANDLE_WORDS, C.EMAIL_DOMAINS
    for i in range(n):
        a, b, c, d, e, f, g, h = r[i]
        ut = utype[i]
        if ut == 0:
            pat = a % 4
            if pat == 0:
                u = f"{fn[b % len(fn)]}{ln[c % len(ln)][0]}{d % 100}"
            elif pat == 1:
                u = f"{hw[b % len(hw)]}{d % 1000}"
            elif pat == 2:
                u = f"{fn[b % len(fn)]}_{ln[c % len(ln)]}"
            else:
                u = f"{hw[b % len(hw)]}_{fn[c % len(fn)]}{d % 90 + 10}"
            local = u.lower().replace("_", ".") if e % 3 else f"{fn[b % len(fn)]}.{ln[c % len(ln)]}{d % 100}"
            mail = f"{local}@{dom[f % len(dom)]}"
        else:
            words = C.DEALER_WORDS if ut == 1 else C.SHOP_WORDS
            u = f"{C.SHOP_PREFIX[b % len(C.SHOP_PREFIX)]} {words[c % len(words)]}"
            slug = u.lower().replace(" ", "")
            mail = f"{'sales' if ut == 1 else 'service'}@{slug}.com"
            u = u if d % 2 else f"{u} {C.CITIES[city[i]][0]}"
        names.append(u)
        emails.append(mail if g % 20 else None)
        x, y = 200 + e % 800, 1000 + f % 9000
        fmt = h % 5
        if fmt == 0:
            ph = f"+1 (555) {x:03d}-{y:04d}"
        elif fmt == 1:
            ph = f"555.{x:03d}.{y:04d}"
        elif fmt == 2:
            ph = f"555-{x:03d}-{y:04d}"
        elif fmt == 3:
            ph = f"(555) {x:03d}-{y:04d}"
        else:
            ph = None
        phones.append(ph)
        c0, st = C.CITIES[city[i]]
        locs.append(f"{c0}, {st}" if a % 25 else None)
    ids = np.arange(1, n + 1, dtype=np.int64)
    return NS(
        n=n,
        ids=ids,
        joined=joined,
        utype=utype,
        arch=arch,
        w=w,
        act=act,
        names=names,
        emails=emails,
        phones=phones,
        locs=locs,
        city=city,
        cum_act=np.cumsum(act),
    )


class Pools:
    """Weighted owner pools per archetype, restricted to users who joined before a time."""

    def __init__(self, users: NS):
        self.users = users
        self.pool = {}
        for a in range(4):
            idx = np.nonzero(users.arch == a)[0]
            if a == A_BUILD:
                idx = idx[users.utype[idx] == 0] if (users.utype[idx] == 0).any() else idx
            if len(idx) == 0:
                idx = np.arange(users.n)
            w = users.w[idx].copy()
            self.pool[a] = (idx, np.cumsum(w), users.joined[idx])
        self.dealers = np.nonzero(users.utype == 1)[0]
        if len(self.dealers) == 0:
            self.dealers = np.arange(min(3, users.n))
        dw = users.w[self.dealers]
        self.pool["dealer"] = (self.dealers, np.cumsum(dw), users.joined[self.dealers])
        allw = users.w.copy()
        self.pool["all"] = (np.arange(users.n), np.cumsum(allw), users.joined)

    def pick(self, key, u: float, before: int | None) -> int:
        """0-based user index; ``before`` restricts to users joined by that time (if any)."""
        idx, cw, joined = self.pool[key]
        k = len(idx) if before is None else int(np.searchsorted(joined, before, side="right"))
        if k == 0:
            if key != "all":
                return self.pick("all", u, before)
            k = 1
        j = int(np.searchsorted(cw, u * cw[k - 1], side="right"))
        return int(idx[min(j, k - 1)])


# ------------------------------------------------------------------------------------------------
# technicians
# --------------------------------------------------------------------------------------------------
def make_technicians(cfg, users: NS) -> NS:
    rng = rng_for(cfg.seed, S_TECH)
    n = cfg.n_tech
    skill = _choice_idx(rng, [0.2, 0.45, 0.35], n)
    habit = np.where(
        rng.random(n) < 0.3 + 0.15 * skill,
        np.minimum(skill + rng.integers(0, 2, n), 2),
        _choice_idx(rng, [0.5, 0.4, 0.1], n),
    )
    shops = np.nonzero(users.utype == 2)[0]
    has_user = rng.random(n) < 0.7
    pick = rng.integers(0, max(1, len(shops)), n)
    user_idx = np.where(has_user, shops[pick], -1) if len(shops) else np.full(n, -1)
    years = np.where(
        skill == 0,
        rng.integers(1, 6, n),
        np.where(skill == 1, rng.integers(5, 16, n), rng.integers(15, 41, n)),
    )
    start_day = (cfg.as_of // DAY) - (years * 365.25).astype(np.int64) - rng.integers(0, 365, n)
    start_null = rng.random(n) < 0.1
    r = rng.integers(0, 1 << 30, size=(n, 4))
    shop_names, certs = [], []
    for i in range(n):
        a, b, c, d = r[i]
        if user_idx[i] >= 0 and a % 3:
            shop_names.append(users.names[user_idx[i]])
        else:
            shop_names.append(
                f"{C.SHOP_PREFIX[b % len(C.SHOP_PREFIX)]} {C.SHOP_WORDS[c % len(C.SHOP_WORDS)]}"
            )
        k = int(d % 4) if skill[i] > 0 else int(d % 2)
        if k == 0:
            certs.append(None)
        else:
            picks = sorted({C.CERTIFICATIONS[(a + j * 7919) % len(C.CERTIFICATIONS)] for j in range(k)})
            certs.append(", ".join(picks))
    rate = np.array([85.0, 120.0, 165.0])[skill] * rng.lognormal(0, 0.12, n)
    w = rng.lognormal(0, 0.8, n)
    return NS(
        n=n,
        ids=np.arange(1, n + 1, dtype=np.int64),
        skill=skill,
        habit=habit,
        user_idx=user_idx,
        start_day=start_day,
        start_null=start_null,
        shop_names=shop_names,
        certs=certs,
        rate=rate,
        cumw=np.cumsum(w),
    )


# ------------------------------------------------------------------------------------------------
# vehicles, listings, ownership chains
# --------------------------------------------------------------------------------------------------
def _model_tables():
    models = C.MODELS
    dec_p = {}
    for dec in C.DECADE_WEIGHTS:
        w = []
        for make, _m, y0, y1, _p, _b in models:
            lo, hi = max(y0, dec), min(y1, dec + 9)
            overlap = max(0, hi - lo + 1)
            n_make = sum(1 for x in models if x[0] == make)
            w.append(C.MAKE_WEIGHTS[make] / n_make * (overlap / 10.0) ** 0.5 if overlap else 0.0)
        w = np.array(w)
        dec_p[dec] = w / w.sum() if w.sum() > 0 else None
    return dec_p


def _spell(make: str, u: float) -> str:
    opts = C.MAKE_SPELLINGS.get(make)
    if not opts:
        return make
    tot = sum(w for _s, w in opts)
    acc = 0.0
    for s, w in opts:
        acc += w / tot
        if u < acc:
            return s
    return opts[-1][0]


def _vin(r: int, year: int, r2: int) -> str:
    alpha = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    if year >= 1981:
        s = []
        x = r
        for _ in range(17):
            s.append(alpha[x % len(alpha)])
            x = x // len(alpha) if x > 33 else x * 7919 + r2
        return "".join(s)
    length = 5 + r2 % 7
    digits = str(r * 1000003 + r2)[-length:].rjust(length, "0")
    pre = alpha[r2 % 23] if r2 % 3 == 0 else ""
    return pre + digits


def make_vehicles_and_listings(cfg, users: NS, pools: Pools, defects_pre) -> NS:
    rng = rng_for(cfg.seed, S_VEH)
    n = cfg.n_veh
    AS = cfg.as_of
    as_year = int(1970 + AS // YEAR)
    # --- kind, model, year ------------------------------------------------------------------------
    kind = _choice_idx(rng, [0.97, 0.02, 0.01], n)
    decs = np.array(list(C.DECADE_WEIGHTS))
    dec = decs[_choice_idx(rng, list(C.DECADE_WEIGHTS.values()), n)]
    dec_p = _model_tables()
    model = np.zeros(n, dtype=np.int64)
    for d in decs:
        sel = np.nonzero(dec == d)[0]
        if len(sel):
            model[sel] = rng.choice(len(C.MODELS), size=len(sel), p=dec_p[d])
    y0 = np.array([m[2] for m in C.MODELS])[model]
    y1 = np.minimum(np.array([m[3] for m in C.MODELS])[model], as_year)
    lo = np.maximum(y0, dec)
    hi = np.maximum(np.minimum(y1, dec + 9), lo)
    year = lo + (rng.random(n) * (hi - lo + 1)).astype(np.int64)
    moto = rng.integers(0, len(C.MOTORCYCLES), n)
    nv = rng.integers(0, len(C.NON_VEHICLE), n)
    mk = kind == KIND_MOTO
    if mk.any():
        my0 = np.array([m[2] for m in C.MOTORCYCLES])[moto]
        my1 = np.array([m[3] for m in C.MOTORCYCLES])[moto]
        year = np.where(mk, my0 + (rng.random(n) * (my1 - my0 + 1)).astype(np.int64), year)
    year = np.where(kind == KIND_NV, 1935 + rng.integers(0, 50, n), year)
    base_price = np.array([m[4] for m in C.MODELS], dtype=float)[model]
    base_price = np.where(mk, np.array([m[4] for m in C.MOTORCYCLES], dtype=float)[moto], base_price)
    base_price = np.where(
        kind == KIND_NV, np.array([m[2] for m in C.NON_VEHICLE], dtype=float)[nv], base_price
    )
    quality = rng.normal(0, 1, n)  # hidden condition
    rated = rng.random(n) < 0.15
    rating = np.clip(np.round(3.5 + 0.65 * quality + rng.normal(0, 0.35, n), 1), 1.0, 5.0)
    manuf = np.array([days_from_civil(int(y), 1, 1) for y in range(1900, as_year + 2)]) * DAY
    manuf_t = (
        manuf[np.clip(year - 1900, 0, len(manuf) - 1)]
        - 120 * DAY
        + (rng.random(n) * 300 * DAY).astype(np.int64)
    )

    # number of listings over life (0-4); bare (make-null defect) vehicles get none
    nlist = _choice_idx(rng, [0.66, 0.25, 0.065, 0.02, 0.005], n)
    nlist[kind == KIND_NV] = np.maximum(nlist[kind == KIND_NV], 1)
    bare = defects_pre["bare_vehicles"](rng, kind, nlist)
    nlist[bare] = 0
    R = rng.random((n, 24))
    RI = rng.integers(0, 1 << 40, size=(n, 4))

    # --- per-vehicle timeline loop ---------------------------------------------------------------
    L_veh, L_start, L_end, L_status, L_dealer, L_ord = [], [], [], [], [], []
    L_seller_seg, L_win_seg = [], []
    O_veh, O_owner, O_arch, O_acq, O_disp, O_via, O_rate, O_m0 = [], [], [], [], [], [], [], []
    v_owner = np.full(n, -1, dtype=np.int64)
    v_mileage = np.full(n, -1, dtype=np.int64)
    v_created = np.zeros(n, dtype=np.int64)
    v_updated = np.zeros(n, dtype=np.int64)
    span15 = AS - 8 * DAY - T2015
    arch_rate = np.array([500.0, 1000.0, 1500.0, 8000.0])
    for v in range(n):
        r = R[v]
        L = int(nlist[v])
        M = int(manuf_t[v])
        if bare[v]:
            v_created[v] = T2015 + int(r[5] * (AS - DAY - T2015))
            v_updated[v] = v_created[v] + int(r[6] * (AS - 60 - v_created[v]))
            continue
        seq = []  # [start, end, status, dealer]
        if L:
            u0 = r[0]
            st = ST_SOLD if u0 < 0.72 else ST_RNM if u0 < 0.885 else ST_WD if u0 < 0.92 else ST_LIVE
            dur = 7 * DAY if r[1] < 0.85 else (5, 10, 14)[int(r[1] * 1000) % 3] * DAY
            if st == ST_LIVE:
                s = AS - 3600 - int(r[2] * (dur - 3 * 3600))
            else:
                s = T2015 + int((r[2] ** 0.55) * span15)
            s = max(s, M + 60 * DAY)
            seq.append([s, dur, st])
            for j in range(L - 1):
                u = r[3 + j]
                st2 = ST_SOLD if u < 0.55 else ST_RNM if u < 0.93 else ST_WD
                gap = (20 + int(r[7 + j] * 100)) * DAY if st2 != ST_SOLD else int((1 + r[7 + j] * 5) * YEAR)
                dur2 = 7 * DAY if r[11 + j] < 0.85 else 10 * DAY
                s2 = seq[0][0] - gap - dur2
                if s2 < T2015 or s2 < M + 60 * DAY:
                    break
                seq.insert(0, [s2, dur2, st2])
        ends = []
        for s, dur, st in seq:
            if st == ST_LIVE:
                ends.append(-1)
            elif st == ST_WD:
                ends.append(s + int(DAY + (dur - 1.5 * DAY) * r[15]))
            else:
                ends.append(s + dur)
        # ownership transfers
        first_l = seq[0][0] if seq else AS
        lim = first_l - 90 * DAY
        if lim <= M:
            d0 = M
        else:
            f = r[16] ** 2 if year[v] >= 1990 else r[16]
            d0 = M + int(f * (lim - M))
        transfers = []  # (time, via, role, listing_j)  role: 0 normal, 1 dealer, 2 winner
        kpre = 0 if r[17] < 0.75 else 1 if r[17] < 0.95 else 2 if r[17] < 0.99 else 3
        room = (first_l - 30 * DAY) - d0
        if room > 2 * 365 * DAY:
            pts = sorted(int(d0 + room * x) for x in (r[18], r[19], r[20])[:kpre])
            for t in pts:
                via = V_INH if RI[v, 0] % 10 == 0 else (V_PRIV if RI[v, 0] % 3 else V_DEAL)
                transfers.append((t, via, 0, -1))
        dealer_flags = []
        for j, (s, _dur, st) in enumerate(seq):
            last_t = transfers[-1][0] if transfers else d0
            want_dealer = r[21 - (j % 3)] < 0.30
            is_dealer = False
            if want_dealer:
                prev_dealer = bool(dealer_flags) and dealer_flags[-1] and seq[j - 1][2] != ST_SOLD
                if prev_dealer:
                    is_dealer = True
                else:
                    t = s - int((20 + 220 * r[13]) * DAY)
                    if t > last_t + 30 * DAY:
                        transfers.append((t, V_DEAL if RI[v, 1] % 2 else V_PRIV, 1, -1))
                        is_dealer = True
            dealer_flags.append(is_dealer)
            if st == ST_SOLD:
                transfers.append((ends[j], V_BAT, 2, j))
        # segments
        times = [d0] + [t for t, _via, _r, _j in transfers]
        vias = [V_UNK if RI[v, 2] % 3 == 0 else (V_DEAL if year[v] >= as_year - 3 else V_PRIV)]
        vias += [via for _t, via, _r, _j in transfers]
        roles = [0] + [ro for _t, _v, ro, _j in transfers]
        nseg = len(times)
        seg_ids = []
        prev_owner = -1
        mil = 0.0
        if kind[v] != KIND_NV:
            base_rate = (4000.0 if year[v] >= 1990 else 2500.0) * math.exp(0.6 * (r[22] - 0.5) * 2)
            if kind[v] == KIND_MOTO:
                base_rate *= 0.3
            mil = max(0.0, (d0 - M) / YEAR) * base_rate
        # listing starts per segment (for "joined before" restriction)
        l_seg = []
        for j in range(len(seq)):
            k = 0
            while k + 1 < nseg and times[k + 1] <= seq[j][0]:
                k += 1
            l_seg.append(k)
        for k in range(nseg):
            a_t = times[k]
            b_t = times[k + 1] if k + 1 < nseg else OPEN
            dur_y = ((b_t if b_t != OPEN else AS) - a_t) / YEAR
            u = float(RI[v, 3] % 1000003) / 1000003.0
            u = (u + 0.618034 * k) % 1.0
            if roles[k] == 1:
                key = "dealer"
            else:
                ua = (r[23] + 0.381966 * k) % 1.0
                if dur_y < 1:
                    key = A_FLIP if ua < 0.5 else A_DRIVE
                elif dur_y < 10:
                    key = A_DRIVE if ua < 0.5 else A_BUILD if ua < 0.75 else A_COL
                else:
                    key = A_COL if ua < 0.6 else A_DRIVE if ua < 0.85 else A_BUILD
            before = None
            js = [j for j in range(len(seq)) if l_seg[j] == k]
            if js:
                before = seq[js[0]][0]
            elif roles[k] == 2:
                before = a_t
            owner = pools.pick(key, u, before)
            if owner == prev_owner:
                owner = pools.pick(key, (u + 0.5) % 1.0, before)
                if owner == prev_owner:
                    owner = (owner + 1) % users.n
            prev_owner = owner
            arch = int(users.arch[owner])
            rate = 0.0
            if kind[v] != KIND_NV:
                rate = arch_rate[arch] * math.exp(0.5 * (((u * 7.31) % 1.0) - 0.5) * 2)
                if kind[v] == KIND_MOTO:
                    rate *= 0.3
            O_veh.append(v)
            O_owner.append(owner)
            O_arch.append(arch)
            O_acq.append(a_t)
            O_disp.append(b_t)
            O_via.append(vias[k])
            O_rate.append(rate)
            O_m0.append(mil)
            seg_ids.append(len(O_veh) - 1)
            mil += rate * dur_y if b_t != OPEN else 0.0
        v_owner[v] = prev_owner
        for j, (s, _dur, st) in enumerate(seq):
            L_veh.append(v)
            L_start.append(s)
            L_end.append(ends[j])
            L_status.append(st)
            L_dealer.append(dealer_flags[j])
            L_ord.append(j)
            L_seller_seg.append(seg_ids[l_seg[j]])
            if st == ST_SOLD:
                # the segment that starts at this listing's end
                win = next((seg_ids[k] for k in range(nseg) if roles[k] == 2 and times[k] == ends[j]), -1)
                L_win_seg.append(win)
            else:
                L_win_seg.append(-1)
        # created / updated
        if seq:
            created = seq[0][0] - int((3 + 27 * r[5]) * DAY)
            last_evt = max(max(e for e in ends), seq[-1][0])
        else:
            created = T2015 - 180 * DAY + int(r[5] * (AS - DAY - (T2015 - 180 * DAY)))
            last_evt = created
        v_created[v] = created
        v_updated[v] = min(AS - 60, max(created, last_evt) + int(r[6] * 2 * DAY))
    # --- arrays -----------------------------------------------------------------------------------
    own = NS(
        veh=np.array(O_veh, dtype=np.int64),
        owner=np.array(O_owner, dtype=np.int64),
        arch=np.array(O_arch, dtype=np.int64),
        acq=np.array(O_acq, dtype=np.int64),
        disp=np.array(O_disp, dtype=np.int64),
        via=np.array(O_via, dtype=np.int64),
        rate=np.array(O_rate),
        m0=np.array(O_m0),
    )
    own.n = len(own.veh)
    lst = NS(
        veh=np.array(L_veh, dtype=np.int64),
        start=np.array(L_start, dtype=np.int64),
        end=np.array(L_end, dtype=np.int64),
        status=np.array(L_status, dtype=np.int64),
        dealer=np.array(L_dealer, dtype=bool),
        ord=np.array(L_ord, dtype=np.int64),
        seller_seg=np.array(L_seller_seg, dtype=np.int64),
        win_seg=np.array(L_win_seg, dtype=np.int64),
    )
    # listing ids in start order
    order = np.argsort(lst.start, kind="stable")
    for k in list(lst.__dict__):
        setattr(lst, k, getattr(lst, k)[order])
    lst.n = len(lst.veh)
    lst.seller = own.owner[lst.seller_seg] if lst.n else np.zeros(0, dtype=np.int64)
    lst.winner = (
        np.where(lst.win_seg >= 0, own.owner[np.maximum(lst.win_seg, 0)], -1) if lst.n else lst.win_seg
    )
    # mileage at listing start and at report time
    if lst.n:
        s = lst.seller_seg
        lst.mileage = (own.m0[s] + own.rate[s] * np.maximum(0, lst.start - own.acq[s]) / YEAR).astype(
            np.int64
        )
    else:
        lst.mileage = np.zeros(0, dtype=np.int64)
    open_seg = np.nonzero(own.disp == OPEN)[0]
    cur_m = np.full(n, -1.0)
    cur_m[own.veh[open_seg]] = own.m0[open_seg] + own.rate[open_seg] * (AS - own.acq[open_seg]) / YEAR
    last_list_m = np.full(n, -1.0)
    if lst.n:
        last_list_m[lst.veh] = lst.mileage  # start order: later listings overwrite
    rep = np.where(last_list_m >= 0, last_list_m, cur_m)
    v_mileage = np.where(rep >= 0, np.minimum(rep, 999_999), -1).astype(np.int64)
    v_mileage[kind == KIND_NV] = -1
    tmu = rng.random(n) < 0.07
    v_mileage[tmu] = -1

    # --- text attributes -------------------------------------------------------------------------
    makes, models, trims, colors, icolors, trans, engines, bodies, drives, vins = ([] for _ in range(10))
    canon_make, short_name, manual = [], [], np.zeros(n, dtype=bool)
    for v in range(n):
        r = R[v]
        ri = int(RI[v, 0])
        if kind[v] == KIND_NV:
            mk_, md = C.NON_VEHICLE[nv[v]][0], C.NON_VEHICLE[nv[v]][1]
            makes.append(mk_)
            canon_make.append(mk_)
            models.append(md)
            short_name.append(md.split()[-1].lower())
            trims.append(None)
            colors.append(None)
            icolors.append(None)
            trans.append(None)
            engines.append(None)
            bodies.append(None)
            drives.append(None)
            vins.append(None)
            continue
        if kind[v] == KIND_MOTO:
            mk_, md = C.MOTORCYCLES[moto[v]][0], C.MOTORCYCLES[moto[v]][1]
            body = "Motorcycle"
        else:
            mk_, md, _a, _b, _p, body = C.MODELS[model[v]]
        canon_make.append(mk_)
        makes.append(_spell(mk_, r[8]))
        models.append(md)
        short_name.append(md)
        tl = C.TRIMS.get(md)
        trims.append(tl[ri % len(tl)] if tl and r[9] < 0.6 else None)
        colors.append(C.COLORS[(ri >> 3) % len(C.COLORS)])
        icolors.append(C.INTERIOR_COLORS[(ri >> 9) % len(C.INTERIOR_COLORS)] if r[10] > 0.15 else None)
        y = int(year[v])
        p_manual = 0.75 if y < 1980 else 0.55 if y < 2000 else 0.4
        if kind[v] == KIND_MOTO or r[11] < p_manual:
            manual[v] = True
            t = C.TRANSMISSIONS_MANUAL[(ri >> 13) % len(C.TRANSMISSIONS_MANUAL)]
            if y < 1960 and t.startswith(("5", "6")):
                t = "3-Speed Manual" if ri % 2 else "4-Speed Manual"
        else:
            t = C.TRANSMISSIONS_AUTO[(ri >> 13) % len(C.TRANSMISSIONS_AUTO)]
            if t in ("PDK", "7-Speed PDK", "Tiptronic") and mk_ != "Porsche":
                t = "Automatic"
        trans.append(t)
        eng = C.MAKE_ENGINES.get(mk_) or C.ENGINES["old" if y < 1980 else "mid" if y < 2005 else "new"]
        if kind[v] == KIND_MOTO:
            eng = [
                "883cc V-Twin",
                "1340cc V-Twin",
                "916cc L-Twin",
                "904cc L-Twin",
                "649cc Parallel-Twin",
                "898cc Flat-Twin",
            ]
        engines.append(eng[(ri >> 17) % len(eng)] if r[12] > 0.1 else None)
        bodies.append(body if r[14] > 0.05 else None)
        dt = "4WD" if body in ("SUV", "Pickup") else ("RWD" if ri % 5 else "rear-wheel drive")
        if kind[v] == KIND_MOTO:
            dt = None
        drives.append(dt if r[15] > 0.2 else None)
        vnull = r[16] < (0.15 if y < 1981 else 0.04)
        vins.append(None if vnull else _vin(int(RI[v, 1]), y, int(RI[v, 2])))
    veh = NS(
        n=n,
        ids=np.arange(1, n + 1, dtype=np.int64),
        kind=kind,
        model=model,
        year=year,
        moto=moto,
        nv=nv,
        base_price=base_price,
        quality=quality,
        rated=rated,
        rating=rating,
        manuf=manuf_t,
        nlist=nlist,
        bare=bare,
        owner=v_owner,
        mileage=v_mileage,
        created=v_created,
        updated=v_updated,
        makes=makes,
        models=models,
        trims=trims,
        colors=colors,
        icolors=icolors,
        trans=trans,
        engines=engines,
        bodies=bodies,
        drives=drives,
        vins=vins,
        canon_make=canon_make,
        short_name=short_name,
        manual=manual,
    )
    return veh, lst, own


# ------------------------------------------------------------------------------------------------
# service records
# --------------------------------------------------------------------------------------------------
def make_service(cfg, veh: NS, own: NS, tech: NS) -> NS:
    rng = rng_for(cfg.seed, S_SVC)
    AS = cfg.as_of
    a = np.maximum(np.maximum(own.acq, T1990), veh.manuf[own.veh])
    b = np.where(own.disp != OPEN, own.disp, AS - DAY)
    yrs = np.maximum(0, b - a) / YEAR
    per_year = np.array([0.9, 1.2, 2.6, 1.0])[own.arch]
    lam = per_year * yrs
    lam[veh.kind[own.veh] == KIND_NV] = 0
    target = cfg.n_svc_target
    if lam.sum() > 0:
        lam *= target / lam.sum()
    cnt = rng.poisson(lam)
    seg = np.repeat(np.arange(own.n), cnt)
    n = len(seg)
    t = a[seg] + (rng.random(n) * np.maximum(0, b[seg] - a[seg])).astype(np.int64)
    order = np.argsort(t, kind="stable")
    seg, t = seg[order], t[order]
    day = t // DAY
    vid = own.veh[seg]
    arch = own.arch[seg]
    cat_p = np.array(
        [
            [0.55, 0.15, 0.08, 0.04, 0.18],  # collector
            [0.25, 0.25, 0.05, 0.05, 0.40],  # flipper
            [0.25, 0.20, 0.25, 0.27, 0.03],  # builder
            [0.55, 0.33, 0.01, 0.05, 0.06],  # driver
        ]
    )
    cum = np.cumsum(cat_p, axis=1)[arch]
    cat = (rng.random(n)[:, None] > cum).sum(axis=1)
    cat = np.minimum(cat, 4)
    own_work = rng.random(n) < np.array([0.08, 0.05, 0.45, 0.12])[arch]
    tsel = np.searchsorted(tech.cumw, rng.random(n) * tech.cumw[-1], side="right")
    tsel = np.minimum(tsel, tech.n - 1)
    tech_idx = np.where(own_work, -1, tsel)
    habit = np.where(tech_idx >= 0, tech.habit[np.maximum(tech_idx, 0)], 0)
    skill = np.where(tech_idx >= 0, tech.skill[np.maximum(tech_idx, 0)], 0)
    mileage = own.m0[seg] + own.rate[seg] * (t - own.acq[seg]) / YEAR
    rec_p = np.where(tech_idx >= 0, np.array([0.4, 0.85, 0.99])[habit], 0.5)
    mil_null = (rng.random(n) > rec_p) | (veh.kind[vid] == KIND_NV)
    hours_med = np.array([1.5, 4.0, 60.0, 8.0, 1.5])[cat]
    hours = np.round(hours_med * rng.lognormal(0, 0.6, n) * np.array([1.3, 1.0, 0.85])[skill], 2)
    hours = np.minimum(hours, 2000)
    parts_med = np.array([120.0, 650.0, 9000.0, 2200.0, 0.0])[cat]
    parts = np.round(parts_med * rng.lognormal(0, 0.8, n) * 100).astype(np.int64)
    rate = np.where(tech_idx >= 0, tech.rate[np.maximum(tech_idx, 0)], 0.0)
    total = np.round(hours * rate * 100).astype(np.int64) + parts
    hours_null = own_work & (rng.random(n) < 0.6)
    parts_null = rng.random(n) < np.where(habit == 0, 0.3, 0.05)
    total_null = (own_work & hours_null & (rng.random(n) < 0.5)) | (rng.random(n) < 0.03)
    # work photos per record: technician documentation habit (before/after for meticulous)
    photo_lam = np.where(tech_idx >= 0, np.array([0.3, 2.0, 8.0])[habit], 0.8)
    return NS(
        n=n,
        ids=np.arange(1, n + 1, dtype=np.int64),
        seg=seg,
        veh=vid,
        t=t,
        day=day,
        cat=cat,
        tech=tech_idx,
        habit=habit,
        skill=skill,
        mileage=mileage.astype(np.int64),
        mil_null=mil_null,
        hours=hours,
        hours_null=hours_null,
        parts=parts,
        parts_null=parts_null,
        total=total,
        total_null=total_null,
        photo_lam=photo_lam,
        rng_desc=rng.integers(0, 1 << 30, size=(n, 3)),
    )


def service_descriptions(svc: NS) -> list[str]:
    out = []
    words = [C.SERVICE_WORDS[c] for c in SVC_CATS]
    for i in range(svc.n):
        a, b, c = svc.rng_desc[i]
        w = words[svc.cat[i]]
        first = w[a % len(w)]
        h = svc.habit[i]
        if svc.tech[i] < 0:
            out.append(first if b % 3 else f"DIY {first}")
        elif h == 0:
            out.append(first if b % 4 else first.upper())
        elif h == 1:
            second = w[b % len(w)]
            out.append(f"{first.capitalize()}. {second.capitalize()} as needed.")
        else:
            second = w[b % len(w)]
            mil = "" if svc.mil_null[i] else f" at {svc.mileage[i]:,} miles"
            out.append(
                f"Customer request: {first}{mil}. Performed {first} and {second}; torqued to spec and "
                f"road tested. Parts: OEM part numbers {a % 900 + 100}-{b % 9000 + 1000}. Before and after "
                f"photos attached. Recommend follow-up in {c % 12 + 6} months."
            )
    return out
