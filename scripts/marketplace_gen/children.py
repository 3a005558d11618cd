"""Streamed big tables: bids, comments, vehicle_images — generated chunk-wise as COPY text."""

from __future__ import annotations

import numpy as np

from . import catalog as C
from . import catalog_extra as X
from .copytext import Rows, Vocab, ndigits, uuid_bytes, uuid_text
from .defects import ORPHAN_BASE, shift_to_eligible
from .world import DAY, KIND_NV, NS, S_BID, S_COM, S_IMG, ST_LIVE, ST_SOLD, rng_for

BIG = np.int64(1) << np.int64(42)
OFF = np.int64(1) << np.int64(31)


def _seg_local(counts: np.ndarray):
    """For rows repeated by counts: segment number and position inside the segment."""
    seg = np.repeat(np.arange(len(counts)), counts)
    starts = np.cumsum(counts) - counts
    pos = np.arange(len(seg)) - starts[seg]
    return seg, pos, starts


def _seg_cummax(vals: np.ndarray, seg: np.ndarray) -> np.ndarray:
    key = seg.astype(np.int64) * BIG + (vals.astype(np.int64) + OFF)
    return np.maximum.accumulate(key) - seg.astype(np.int64) * BIG - OFF


def _pick_users(rng, users: NS, before: np.ndarray) -> np.ndarray:
    """Activity-weighted users who joined before each time (0-based indices)."""
    k = np.searchsorted(users.joined, before, side="right")
    k = np.maximum(k, 1)
    cw = users.cum_act
    j = np.searchsorted(cw, rng.random(len(before)) * cw[k - 1], side="right")
    return np.minimum(j, k - 1)


def _defects_in(didx, dkind, g0, n):
    a, b = np.searchsorted(didx, g0), np.searchsorted(didx, g0 + n)
    return didx[a:b] - g0, dkind[a:b]


def _with_dups(arrays: dict, dup_rows: np.ndarray):
    idx = np.concatenate([np.arange(len(next(iter(arrays.values())))), dup_rows])
    return {k: v[idx] for k, v in arrays.items()}, idx


# ------------------------------------------------------------------------------------------------
# bids
# --------------------------------------------------------------------------------------------------
def bids_chunk(cfg, ctx, ci: int, l0: int, l1: int, g0: int, ledger, plan) -> bytes:
    lst, users = ctx.lst, ctx.users
    AS = cfg.as_of
    rng = rng_for(cfg.seed, S_BID, ci)
    L = np.arange(l0, l1)
    nb = lst.n_bids[L] * lst.children[L]
    seg, pos, starts = _seg_local(nb)
    n = len(seg)
    li = L[seg]
    s = lst.start[li]
    live = lst.status[li] == ST_LIVE
    e = np.where(live, AS - 60, lst.end[li])
    u = rng.random(n) ** 0.45
    order = np.lexsort((u, seg))
    u = u[order]
    placed = s + 60 + (u * np.maximum(e - s - 120, 1)).astype(np.int64)
    hi = lst.high_bid[L] // 100
    lo = np.maximum(1.0, hi * rng.uniform(0.03, 0.3, len(L)))
    w = rng.exponential(1.0, n)
    cs = np.cumsum(w)
    seg_tot = np.add.reduceat(w, starts[nb > 0]) if n else np.zeros(0)
    tot = np.zeros(len(L))
    tot[nb > 0] = seg_tot
    base = np.concatenate([[0.0], cs])[starts][seg] if n else np.zeros(0)
    frac = (cs - base) / np.maximum(tot[seg], 1e-9)
    a = lo[seg] * (hi[seg] / lo[seg]) ** frac
    step = np.where(a >= 20000, 250, np.where(a >= 5000, 100, 25))
    a = (np.round(a / step) * step).astype(np.int64)
    last = pos == nb[seg] - 1
    a[last] = hi[seg][last]
    # minimum raise per listing: a bid-increment-like step that still fits below the high bid
    inc = np.clip(hi // np.maximum(4 * nb, 1), 1, 250)
    inc = np.where(inc >= 25, inc // 25 * 25, inc)[seg]
    a = _seg_cummax(a - pos * inc, seg) + pos * inc
    amount = np.minimum(a, hi[seg] - (nb[seg] - 1 - pos) * inc) * 100
    bidder = _pick_users(rng, users, placed)
    seller = lst.seller[li]
    bidder = np.where(bidder == seller, (bidder + 1) % users.n, bidder)
    win = last & (lst.winner[li] >= 0)
    bidder[win] = lst.winner[li][win]
    ids = g0 + 1 + np.arange(n, dtype=np.int64)
    listing_id = lst.ids[li].copy()
    amount_null = np.zeros(n, dtype=bool)
    # defects
    drows, dkinds = _defects_in(*plan, g0, n)
    kinds = ctx.kinds["bids"]
    taken = np.zeros(n, dtype=bool)
    taken[drows] = True
    dups = []
    T = "bids"
    for r, k in zip(drows.tolist(), dkinds.tolist(), strict=False):
        kind = kinds[k]
        if kind == "bid_outside_window":
            continue
        if kind == "duplicate_delivery":
            dups.append(r)
        elif kind == "orphan_reference":
            listing_id[r] = ORPHAN_BASE + g0 + r
            ledger.add(T, ids[r], kind, f"listing_id set to {listing_id[r]}")
            continue
        elif kind == "missing_required_value":
            amount_null[r] = True
        elif kind == "price_not_positive":
            amount[r] = 0 if r % 2 else -amount[r]
        ledger.add(T, ids[r], kind, "" if kind != "price_not_positive" else f"amount {amount[r] / 100:.2f}")
    out_rows = drows[np.array([kinds[k] == "bid_outside_window" for k in dkinds.tolist()], dtype=bool)]
    if len(out_rows):
        eligible = ~live
        taken_o = taken.copy()
        taken_o[out_rows] = False
        for r in shift_to_eligible(out_rows, eligible, taken_o):
            after = lst.end[li[r]] + 60 + int(rng.integers(0, 2 * DAY))
            if after < AS - 1:
                placed[r] = after
            else:
                placed[r] = s[r] - 60 - int(rng.integers(0, DAY))
            ledger.add(T, ids[r], "bid_outside_window", "placed_at outside the listing window")
    dup_rows = np.array(dups, dtype=np.int64)
    cols, _ = _with_dups(
        dict(
            ids=ids,
            listing_id=listing_id,
            bidder=bidder,
            amount=amount,
            amount_null=amount_null,
            placed=placed,
        ),
        dup_rows,
    )
    m = len(cols["ids"])
    loaded = np.full(m, AS, dtype=np.int64)
    loaded[n:] = ledger.dup_loaded(rng, len(dup_rows))
    r = Rows(m)
    r.col()
    r.ints(cols["ids"])
    r.col()
    r.ints(cols["listing_id"])
    r.col()
    r.ints(cols["bidder"] + 1)
    c = r.col()
    r.money(cols["amount"])
    r.null(c, cols["amount_null"])
    r.col()
    r.ts(cols["placed"])
    r.col()
    r.ts(loaded)
    r.end()
    return r.tobytes()


# ------------------------------------------------------------------------------------------------
# comments
# --------------------------------------------------------------------------------------------------
class CommentVocab:
    def __init__(self, short_names: list[str]):
        groups = [
            ("Q", C.COMMENTS_QUESTION),
            ("A", C.COMMENTS_ANSWER),
            ("POS", C.COMMENTS_POSITIVE),
            ("NEG", C.COMMENTS_NEGATIVE),
            ("NEU", C.COMMENTS_NEUTRAL),
            ("COLOR", C.COMMENTS_COLOR),
            ("END", C.COMMENTS_END),
            ("ENDU", X.COMMENTS_END_UNSOLD),
        ]
        pre, post, slot = [], [], []
        self.range = {}
        for name, items in groups:
            a = len(pre)
            for t in items:
                if "{x}" in t:
                    p, q = t.split("{x}", 1)
                    pre.append(p)
                    post.append(q)
                    slot.append(1)
                else:
                    pre.append(t)
                    post.append("")
                    slot.append(0)
            self.range[name] = (a, len(pre))
        self.n_templates = len(pre)
        upper_pre = [p.upper() for p in pre]
        upper_post = [q.upper() for q in post]
        self.pre = Vocab.raw(pre + upper_pre)
        self.post = Vocab.raw(post + upper_post)
        self.has_slot = np.array(slot + slot, dtype=bool)
        self.short = short_names
        self.slot = Vocab.raw(short_names + C.COLORS + [""])
        self.color_base = len(short_names)
        self.empty_slot = len(short_names) + len(C.COLORS)
        self.prefix = Vocab.raw([""] + X.CONTROL_SNIPPETS + X.ZERO_WIDTH_SNIPPETS)
        self.n_ctrl = len(X.CONTROL_SNIPPETS)
        suf = X.CLEAN_SUFFIXES + [X.RANT] + X.PHONE_SNIPPETS + X.EMAIL_SNIPPETS
        self.suffix = Vocab.raw(suf)
        self.n_clean = len(X.CLEAN_SUFFIXES)
        self.rant = len(X.CLEAN_SUFFIXES)
        self.phone0 = self.rant + 1
        self.email0 = self.phone0 + len(X.PHONE_SNIPPETS)


KIND_P = np.array([0.16, 0.10, 0.30, 0.14, 0.22, 0.08])  # Q A POS NEG NEU COLOR


def comments_chunk(cfg, ctx, ci: int, l0: int, l1: int, g0: int, ledger, plan) -> bytes:
    lst, users, veh, cv = ctx.lst, ctx.users, ctx.veh, ctx.cvocab
    AS = cfg.as_of
    rng = rng_for(cfg.seed, S_COM, ci)
    L = np.arange(l0, l1)
    nc = lst.n_comments[L] * lst.children[L]
    seg, pos, starts = _seg_local(nc)
    n = len(seg)
    li = L[seg]
    s = lst.start[li]
    live = lst.status[li] == ST_LIVE
    e = np.where(live, AS - 60, lst.end[li])
    trail = (~live) & (rng.random(n) < 0.05)
    u = rng.random(n)
    inside = s + 60 + ((u**0.7) * np.maximum(e - s - 120, 1)).astype(np.int64)
    after = np.minimum(e + 60 + (rng.exponential(6 * 3600, n)).astype(np.int64), AS - 1)
    posted = np.where(trail & (after > e), after, inside)
    order = np.lexsort((posted, seg))
    posted = posted[order]
    ids = g0 + 1 + np.arange(n, dtype=np.int64)
    kind = (rng.random(n)[:, None] > np.cumsum(KIND_P)).sum(axis=1)
    kind = np.minimum(kind, 5)
    # answers reply to the latest question of the listing
    qpos = np.where(kind == 0, np.arange(n), -1)
    lastq = _seg_cummax(qpos, seg)
    lstart = starts[seg]
    is_a = (kind == 1) & (lastq >= lstart)
    kind = np.where((kind == 1) & ~is_a, 4, kind)
    reply_other = (kind >= 2) & (lastq >= lstart) & (rng.random(n) < 0.08)
    parent = np.where(is_a | reply_other, lastq, -1)
    # end-of-auction comments
    late = (posted > e) | ((~live) & (posted > e - (e - s) // 60))
    endk = late & (rng.random(n) < 0.8)
    # template choice
    tu = rng.random(n)
    names = np.array(["Q", "A", "POS", "NEG", "NEU", "COLOR"])
    tmpl = np.zeros(n, dtype=np.int64)
    for k in range(6):
        m = kind == k
        a, b = cv.range[names[k]]
        tmpl[m] = a + (tu[m] * (b - a)).astype(np.int64)
    sold = lst.status[li] == ST_SOLD
    for nm, m in (("END", endk & sold), ("ENDU", endk & ~sold & ~live)):
        a, b = cv.range[nm]
        tmpl[m] = a + (tu[m] * (b - a)).astype(np.int64)
    caps = (rng.random(n) < 0.03) & ((kind == 2) | (kind == 3))
    tmpl = np.where(caps, tmpl + cv.n_templates, tmpl)
    v = lst.veh[li]
    slot = np.where(kind == 5, cv.color_base + veh.color_idx[v], veh.short_idx[v])
    slot = np.where(cv.has_slot[tmpl], slot, cv.empty_slot)
    su = rng.random(n)
    suffix = np.where(su < 0.01, cv.rant, (rng.random(n) * cv.n_clean).astype(np.int64))
    prefix = np.zeros(n, dtype=np.int64)
    seller = lst.seller[li]
    user = _pick_users(rng, users, posted)
    user = np.where(is_a, seller, np.where(user == seller, (user + 1) % users.n, user))
    likes = np.maximum(0, np.floor(np.exp(rng.normal(0.2, 1.1, n)) - 1)).astype(np.int64)
    likes = np.where(is_a, likes // 2, likes)
    listing_id = lst.ids[li].copy()
    body_null = np.zeros(n, dtype=bool)
    # defects
    kinds = ctx.kinds["comments"]
    drows, dkinds = _defects_in(*plan, g0, n)
    taken = np.zeros(n, dtype=bool)
    taken[drows] = True
    has_reply = np.zeros(n, dtype=bool)
    has_reply[parent[parent >= 0]] = True
    blocking = {"orphan_reference", "missing_required_value", "future_timestamp", "comment_before_start"}
    dups = []
    T = "comments"
    todo = []
    for r, k in zip(drows.tolist(), dkinds.tolist(), strict=False):
        kind_name = kinds[k]
        if kind_name in blocking and has_reply[r]:
            taken[r] = False
            (j,) = shift_to_eligible(np.array([r]), ~has_reply, taken) or (None,)
            if j is None:
                continue
            r = j
        todo.append((r, kind_name))
    for r, kind_name in todo:
        detail = ""
        if kind_name == "duplicate_delivery":
            dups.append(r)
        elif kind_name == "orphan_reference":
            listing_id[r] = ORPHAN_BASE + g0 + r
            detail = f"listing_id set to {listing_id[r]}"
        elif kind_name == "missing_required_value":
            body_null[r] = True
            detail = "body is null"
        elif kind_name == "future_timestamp":
            posted[r] = AS + (5 + r % 300) * DAY
            detail = "posted_at after _loaded_at"
        elif kind_name == "comment_before_start":
            posted[r] = s[r] - 3600 - (r % 48) * 3600
            detail = "posted_at before the listing started"
        elif kind_name == "control_characters":
            prefix[r] = 1 + r % cv.n_ctrl
        elif kind_name == "zero_width_characters":
            prefix[r] = 1 + cv.n_ctrl + r % len(X.ZERO_WIDTH_SNIPPETS)
        elif kind_name == "contains_email":
            suffix[r] = cv.email0 + r % len(X.EMAIL_SNIPPETS)
        elif kind_name == "contains_phone":
            suffix[r] = cv.phone0 + r % len(X.PHONE_SNIPPETS)
        ledger.add(T, ids[r], kind_name, detail)
    dup_rows = np.array(dups, dtype=np.int64)
    parent_id = np.where(parent >= 0, g0 + 1 + parent, -1)
    cols, _ = _with_dups(
        dict(
            ids=ids,
            listing_id=listing_id,
            user=user,
            parent=parent_id,
            tmpl=tmpl,
            slot=slot,
            prefix=prefix,
            suffix=suffix,
            body_null=body_null,
            posted=posted,
            likes=likes,
        ),
        dup_rows,
    )
    m = len(cols["ids"])
    loaded = np.full(m, AS, dtype=np.int64)
    loaded[n:] = ledger.dup_loaded(rng, len(dup_rows))
    cols["likes"][n:] += 1  # the re-delivery carries a fresher like counter
    r = Rows(m)
    r.b_row(8)
    r.b_int8(cols["ids"])
    r.b_int8(cols["listing_id"])
    r.b_int8(cols["user"] + 1)
    c = r.b_int8(np.maximum(cols["parent"], 0))
    r.b_null_fixed(c, cols["parent"] < 0)
    p_, t_, s_, x_ = cols["prefix"], cols["tmpl"], cols["slot"], cols["suffix"]
    blen = cv.prefix.lens[p_] + cv.pre.lens[t_] + cv.slot.lens[s_] + cv.post.lens[t_] + cv.suffix.lens[x_]
    c = r.b_len(blen)
    r.vocab(cv.prefix, p_)
    r.vocab(cv.pre, t_)
    r.vocab(cv.slot, s_)
    r.vocab(cv.post, t_)
    r.vocab(cv.suffix, x_)
    r.b_null(c, cols["body_null"])
    r.b_ts(cols["posted"])
    r.b_int4(cols["likes"])
    r.b_ts(loaded)
    return r.tobytes(), m


# ------------------------------------------------------------------------------------------------
# vehicle images
# --------------------------------------------------------------------------------------------------
CATS = [b"exterior", b"interior", b"engine", b"undercarriage", b"detail", b"documents", b"garage", b"work"]
CAT_VOCAB = Vocab(CATS)
DIMS = np.array([[2048, 1365], [1600, 1067], [3000, 2000], [1920, 1280], [2048, 1536], [1200, 800]])
PHONE_DIMS = np.array([[4032, 3024], [3024, 4032], [1600, 1200], [4000, 3000]])
URL_PREFIX = b"https://cdn.example-marketplace.com/images/"
MALFORMED = Vocab([s.encode() for s in X.MALFORMED_URLS])


def plan_image_counts(cfg, ctx) -> None:
    """Decide photo counts per work order and garage photos per vehicle (images ~ 89 per vehicle)."""
    lst, svc, veh, own = ctx.lst, ctx.svc, ctx.veh, ctx.own
    rng = rng_for(cfg.seed, S_IMG, 0, 0)
    lst.gallery_n = lst.gallery * lst.children
    target = 89.0 * veh.n
    rest = max(0.0, target - float(lst.gallery_n.sum()))
    lam_w = svc.photo_lam * (~svc.orphan)
    has_owner = (veh.open_seg >= 0) & (veh.kind != KIND_NV)
    g_arch = np.array([1.5, 0.5, 2.0, 1.0])
    lam_g = np.where(has_owner, g_arch[own.arch[np.maximum(veh.open_seg, 0)]], 0.0)
    sw = 0.62 * rest / lam_w.sum() if lam_w.sum() > 0 else 0.0
    sg = 0.38 * rest / lam_g.sum() if lam_g.sum() > 0 else 0.0
    svc.n_photos = rng.poisson(lam_w * sw).astype(np.int64)
    veh.n_garage = rng.poisson(lam_g * sg).astype(np.int64)


def image_parts(ctx):
    """(part, lo, hi, rows) chunk list in output order: galleries, work photos, garage photos."""
    out = []
    for part, counts, per in (
        (0, ctx.lst.gallery_n, 600),
        (1, ctx.svc.n_photos, 25000),
        (2, ctx.veh.n_garage, 10000),
    ):
        for a in range(0, len(counts), per):
            b = min(len(counts), a + per)
            out.append((part, a, b, int(counts[a:b].sum())))
    return out


def images_chunk(cfg, ctx, ci: int, part: int, a: int, b: int, g0: int, ledger, plan) -> bytes:
    lst, svc, veh, own, users, tech = ctx.lst, ctx.svc, ctx.veh, ctx.own, ctx.users, ctx.tech
    AS = cfg.as_of
    rng = rng_for(cfg.seed, S_IMG, part + 1, ci)
    G = np.arange(a, b)
    if part == 0:
        cnt = lst.gallery_n[G]
    elif part == 1:
        cnt = svc.n_photos[G]
    else:
        cnt = veh.n_garage[G]
    seg, pos, starts = _seg_local(cnt)
    n = len(seg)
    gi = G[seg]
    ng = len(G)
    if part == 0:
        vid = lst.veh[gi]
        listing = lst.ids[gi]
        work = np.full(n, -1, dtype=np.int64)
        uploader = lst.seller[gi]
        nd = lst.n_docs[gi]
        nnd = cnt[seg] - nd
        shares = np.cumsum([0.45, 0.22, 0.10, 0.08])
        bounds = np.round(nnd[:, None] * shares[None, :]).astype(np.int64)
        cat = (pos[:, None] >= bounds).sum(axis=1)
        cat = np.where(pos >= nnd, 5, cat)
        base = lst.start[G] - (DAY + rng.random(ng) * 9 * DAY).astype(np.int64)
        uploaded = base[seg] + pos * 7 + rng.integers(0, 6, n)
        shoot = (3600 + rng.random(ng) * 60 * DAY).astype(np.int64)
        taken = base[seg] - shoot[seg] + pos * 5
        no_exif = (rng.random(ng) < 0.15)[seg] | (rng.random(n) < 0.03)
        dims = DIMS[rng.integers(0, len(DIMS), ng)][seg]
        dim_null = (rng.random(ng) < 0.04)[seg]
    elif part == 1:
        vid = svc.veh[gi]
        listing = np.full(n, -1, dtype=np.int64)
        work = svc.ids[gi]
        ti = svc.tech[gi]
        tuser = np.where(ti >= 0, tech.user_idx[np.maximum(ti, 0)], -1)
        uploader = np.where(tuser >= 0, tuser, own.owner[svc.seg[gi]])
        cat = np.full(n, 7)
        base = svc.day[G] * DAY + 9 * 3600 + (rng.random(ng) * 3 * DAY).astype(np.int64)
        base = np.minimum(base, AS - 2 * DAY)
        uploaded = base[seg] + pos * 13 + rng.integers(0, 10, n)
        span = np.where(svc.habit[G] == 2, 2 * DAY, 8 * 3600)
        taken = uploaded - (span[seg] * (1.0 - (pos + 1) / (cnt[seg] + 1))).astype(np.int64) - 60
        no_exif = (rng.random(ng) < 0.3)[seg]
        dims = PHONE_DIMS[rng.integers(0, len(PHONE_DIMS), ng)][seg]
        dim_null = (rng.random(ng) < 0.1)[seg]
    else:
        vid = gi
        listing = np.full(n, -1, dtype=np.int64)
        work = np.full(n, -1, dtype=np.int64)
        os_ = veh.open_seg[gi]
        uploader = own.owner[os_]
        cat = np.full(n, 6)
        lo = np.maximum(
            np.maximum(own.acq[veh.open_seg[G]], veh.created[G]), users.joined[own.owner[veh.open_seg[G]]]
        )
        lo = np.minimum(lo, AS - 3 * DAY)
        base = lo + (rng.random(ng) * np.maximum(AS - 2 * DAY - lo, 1)).astype(np.int64)
        uploaded = base[seg] + pos * 11 + rng.integers(0, 8, n)
        taken = uploaded - (rng.random(ng) * 30 * DAY).astype(np.int64)[seg] - 120
        no_exif = (rng.random(ng) < 0.2)[seg]
        dims = PHONE_DIMS[rng.integers(0, len(PHONE_DIMS), ng)][seg]
        dim_null = (rng.random(ng) < 0.06)[seg]
    uub = uuid_bytes(rng, n)
    uu = uuid_text(uub)
    url_uuid = uu.copy()
    vid_col = vid + 1
    url_vid = vid + 1
    taken = taken.copy()
    url_null = np.zeros(n, dtype=bool)
    malformed = np.full(n, -1, dtype=np.int64)
    # defects
    kinds = ctx.kinds["vehicle_images"]
    drows, dkinds = _defects_in(*plan, g0, n)
    is_def = np.zeros(n, dtype=bool)
    is_def[drows] = True
    dups = []
    T = "vehicle_images"
    dupurl = []
    for r, k in zip(drows.tolist(), dkinds.tolist(), strict=False):
        kind = kinds[k]
        if kind == "duplicate_image_url":
            dupurl.append(r)
            continue
        detail = ""
        if kind == "duplicate_delivery":
            dups.append(r)
        elif kind == "orphan_reference":
            vid_col[r] = ORPHAN_BASE + g0 + r
            detail = f"vehicle_id set to {vid_col[r]}"
        elif kind == "missing_required_value":
            url_null[r] = True
            detail = "image_url is null"
        elif kind == "future_timestamp":
            taken[r] = AS + (5 + r % 300) * DAY
            no_exif[r] = False
            detail = "taken_at after _loaded_at"
        elif kind == "epoch_timestamp":
            taken[r] = 0
            no_exif[r] = False
            detail = "taken_at = 1970-01-01"
        elif kind == "malformed_url":
            malformed[r] = r % len(X.MALFORMED_URLS)
            detail = X.MALFORMED_URLS[malformed[r]]
        ledger.add(T, uu[r].tobytes().decode(), kind, detail)
    if dupurl:
        eligible = (pos > 0) & ~is_def
        eligible[1:] &= ~is_def[:-1]
        taken_m = np.zeros(n, dtype=bool)
        for r in dupurl:
            (j,) = shift_to_eligible(np.array([r]), eligible, taken_m) or (None,)
            if j is None:
                continue
            eligible[max(0, j - 1) : j + 2] = False
            url_uuid[j] = uu[j - 1]
            ledger.add(
                T,
                uu[j].tobytes().decode(),
                "duplicate_image_url",
                f"reuses the url of {uu[j - 1].tobytes().decode()}",
            )
    dup_rows = np.array(dups, dtype=np.int64)
    idx = np.concatenate([np.arange(n), dup_rows])
    m = len(idx)
    loaded = np.full(m, AS, dtype=np.int64)
    loaded[n:] = ledger.dup_loaded(rng, len(dup_rows))
    r = Rows(m)
    r.b_row(13)
    r.b_bytes(uub[idx])
    r.b_int8(vid_col[idx])
    c = r.b_int8(np.maximum(listing[idx], 0))
    r.b_null_fixed(c, listing[idx] < 0)
    c = r.b_int8(np.maximum(work[idx], 0))
    r.b_null_fixed(c, work[idx] < 0)
    r.b_int8(uploader[idx] + 1)
    mal = malformed[idx]
    uv = url_vid[idx]
    ulen = np.where(mal >= 0, MALFORMED.lens[np.maximum(mal, 0)], len(URL_PREFIX) + ndigits(uv) + 41)
    c = r.b_len(ulen)
    r.lit(URL_PREFIX)
    r.ints(uv)
    r.lit(b"/")
    r.fixed(url_uuid[idx])
    r.lit(b".jpg")
    r.override(c + 1, mal >= 0, MALFORMED, np.maximum(mal, 0))
    r.b_null(c, url_null[idx])
    ci_ = cat[idx]
    r.b_len(CAT_VOCAB.lens[ci_])
    r.vocab(CAT_VOCAB, ci_)
    r.b_int4(pos[idx] + 1)
    dn = dim_null[idx]
    c = r.b_int4(dims[idx, 0])
    r.b_null_fixed(c, dn)
    c = r.b_int4(dims[idx, 1])
    r.b_null_fixed(c, dn)
    c = r.b_ts(taken[idx])
    r.b_null_fixed(c, no_exif[idx])
    r.b_ts(uploaded[idx])
    r.b_ts(loaded)
    return r.tobytes(), m
