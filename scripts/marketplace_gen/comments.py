"""Comments, streamed in chunks of listings as binary COPY.

A comment body is assembled from vocabulary pieces without Python string work per row:
``prefix + template start + slot + template end + suffix``, where the slot is the vehicle's short name or
colour for templates that mention it, the prefix carries injected control or zero-width characters, and
the suffix is a style flourish, a rant, or injected contact details.

Chunk c draws from STREAM_COMMENTS (c,), in order: trailing comments after the end, posting times,
comment kinds, replies, end-of-auction remarks, template picks, shouting, suffixes, commenters, likes,
then the load times (late rows) and the re-sends' load times.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from . import catalog, catalog_extra
from .chunks import (
    ChildRows,
    CopyChunk,
    active_users_joined_before,
    chunk_load_times,
    deliver_chunk,
    listing_children_load_span,
    rows_per_parent,
    running_max_within,
)
from .common import DAY, STATUS_LIVE, STATUS_SOLD, STREAM_COMMENTS, stream_rng
from .copytext import Rows, Vocab
from .defects import ORPHAN_BASE, TABLE_KINDS, Ledger, StreamedDefectPlan, shift_to_eligible
from .delivery import Extract

if TYPE_CHECKING:  # world.py imports this module for CommentVocabulary
    from .world import World

TABLE = "comments"
LISTINGS_PER_CHUNK = 1000
TRAILING_DAYS = 3  # how long after its end a listing still draws comments
# Comment kinds and their shares; an answer needs an earlier question of the listing (else it is neutral).
QUESTION, ANSWER, POSITIVE, NEGATIVE, NEUTRAL, COLOR = range(6)
KIND_GROUPS = ["Q", "A", "POS", "NEG", "NEU", "COLOR"]
KIND_SHARES = np.array([0.16, 0.10, 0.30, 0.14, 0.22, 0.08])
# Defects that make a comment unusable: moved off comments that have replies, so no reply is orphaned.
BLOCKING_DEFECTS = {"orphan_reference", "missing_required_value", "future_timestamp", "comment_before_start"}


class CommentVocabulary:
    """Comment templates split at their ``{x}`` slot, slot fillers, prefixes and suffixes, as Vocabs.

    ``vehicle_short_name`` and ``vehicle_color`` map each vehicle to its slot filler.
    """

    def __init__(self, vehicle_short_names: list[str], vehicle_colors: list[str | None]):
        groups = [
            ("Q", catalog.COMMENTS_QUESTION),
            ("A", catalog.COMMENTS_ANSWER),
            ("POS", catalog.COMMENTS_POSITIVE),
            ("NEG", catalog.COMMENTS_NEGATIVE),
            ("NEU", catalog.COMMENTS_NEUTRAL),
            ("COLOR", catalog.COMMENTS_COLOR),
            ("END", catalog.COMMENTS_END),
            ("ENDU", catalog_extra.COMMENTS_END_UNSOLD),
        ]
        before_slot: list[str] = []
        after_slot: list[str] = []
        has_slot: list[int] = []
        self.range: dict[str, tuple[int, int]] = {}  # group -> template numbers [first, last + 1)
        for name, templates in groups:
            first = len(before_slot)
            for template in templates:
                head, slot, tail = template.partition("{x}")
                before_slot.append(head)
                after_slot.append(tail)
                has_slot.append(1 if slot else 0)
            self.range[name] = (first, len(before_slot))
        # templates n_templates .. 2 * n_templates - 1 are the same in capitals
        self.n_templates = len(before_slot)
        self.before_slot = Vocab.raw(before_slot + [p.upper() for p in before_slot])
        self.after_slot = Vocab.raw(after_slot + [q.upper() for q in after_slot])
        self.has_slot = np.array(has_slot + has_slot, dtype=bool)
        short_names = sorted(set(vehicle_short_names))
        number = {name: i for i, name in enumerate(short_names)}
        self.vehicle_short_name = np.array([number[s] for s in vehicle_short_names], dtype=np.int64)
        color_number = {color: i for i, color in enumerate(catalog.COLORS)}
        self.vehicle_color = np.array([color_number.get(c, 0) if c else 0 for c in vehicle_colors], dtype=np.int64)
        self.slot = Vocab.raw(short_names + catalog.COLORS + [""])
        self.color_base = len(short_names)
        self.empty_slot = len(short_names) + len(catalog.COLORS)
        self.prefix = Vocab.raw([""] + catalog_extra.CONTROL_SNIPPETS + catalog_extra.ZERO_WIDTH_SNIPPETS)
        self.n_control = len(catalog_extra.CONTROL_SNIPPETS)
        self.suffix = Vocab.raw(
            catalog_extra.CLEAN_SUFFIXES
            + [catalog_extra.RANT]
            + catalog_extra.PHONE_SNIPPETS
            + catalog_extra.EMAIL_SNIPPETS
        )
        self.n_clean = len(catalog_extra.CLEAN_SUFFIXES)
        self.rant = len(catalog_extra.CLEAN_SUFFIXES)
        self.first_phone = self.rant + 1
        self.first_email = self.first_phone + len(catalog_extra.PHONE_SNIPPETS)


def comment_chunks(world: World, ledger: Ledger, extract: Extract) -> Iterator[CopyChunk]:
    listings = world.listings
    comments_per_listing = world.delivered_rows_per_listing(world.market.n_comments)
    plan = ledger.plan_streamed(TABLE, int(comments_per_listing.sum()))
    earliest, latest = listing_children_load_span(world, TRAILING_DAYS * DAY)
    first_row = 0
    for chunk, lo in enumerate(range(0, listings.n, LISTINGS_PER_CHUNK)):
        hi = min(listings.n, lo + LISTINGS_PER_CHUNK)
        if extract.may_hold(earliest[lo:hi].min(), latest[lo:hi].max()):
            yield comments_chunk(world, ledger, extract, plan, comments_per_listing[lo:hi], chunk, lo, first_row)
        first_row += int(comments_per_listing[lo:hi].sum())


def comments_chunk(
    world: World,
    ledger: Ledger,
    extract: Extract,
    plan: StreamedDefectPlan,
    comments_per_listing: np.ndarray,
    chunk: int,
    lo: int,
    first_row: int,
) -> CopyChunk:
    """The comments of listings lo, lo + 1, ... (``comments_per_listing`` each), whose first is global row
    ``first_row``; the ones ``extract`` writes."""
    listings, users, vocabulary = world.listings, world.users, world.comment_vocabulary
    world_end = world.cfg.world_end
    rng = stream_rng(world.cfg.seed, STREAM_COMMENTS, chunk)
    chunk_listings = np.arange(lo, lo + len(comments_per_listing))
    children = rows_per_parent(comments_per_listing)
    n = len(children.parent)
    listing = chunk_listings[children.parent]
    start = listings.start[listing]
    live = listings.status[listing] == STATUS_LIVE
    window_end = np.where(live, world_end - 60, listings.end[listing])
    posted_at = _posting_times(rng, start, window_end, live, children.parent, world_end)
    ids = first_row + 1 + np.arange(n, dtype=np.int64)
    kind, is_answer, reply_to = _kinds_and_threads(rng, children)
    late = (posted_at > window_end) | ((~live) & (posted_at > window_end - (window_end - start) // 60))
    end_of_auction = late & (rng.random(n) < 0.8)
    sold = listings.status[listing] == STATUS_SOLD
    template = _templates(rng, vocabulary, kind, end_of_auction, sold, live)
    vehicle = listings.vehicle[listing]
    slot = np.where(
        kind == COLOR, vocabulary.color_base + vocabulary.vehicle_color[vehicle], vocabulary.vehicle_short_name[vehicle]
    )
    slot = np.where(vocabulary.has_slot[template], slot, vocabulary.empty_slot)
    suffix_pick = rng.random(n)
    suffix = np.where(suffix_pick < 0.01, vocabulary.rant, (rng.random(n) * vocabulary.n_clean).astype(np.int64))
    prefix = np.zeros(n, dtype=np.int64)
    seller = listings.seller[listing]
    user = active_users_joined_before(rng, users, posted_at)
    # the seller answers the questions; a commenter drawn as the seller becomes the next user
    user = np.where(is_answer, seller, np.where(user == seller, (user + 1) % users.n, user))
    likes = np.maximum(0, np.floor(np.exp(rng.normal(0.2, 1.1, n)) - 1)).astype(np.int64)
    likes = np.where(is_answer, likes // 2, likes)
    columns = dict(
        ids=ids,
        listing_id=listings.ids[listing].copy(),
        user=user,
        parent=np.where(reply_to >= 0, first_row + 1 + reply_to, -1),
        template=template,
        slot=slot,
        prefix=prefix,
        suffix=suffix,
        body_null=np.zeros(n, dtype=bool),
        posted=posted_at,
        likes=likes,
    )
    loaded = chunk_load_times(rng, posted_at, world.arrivals.listing_first[listing])
    resent = _apply_defects(columns, loaded, plan, first_row, reply_to, start, vocabulary, ledger)
    columns, loaded = deliver_chunk(TABLE, columns, loaded, resent, ids, rng, ledger, extract)
    return CopyChunk(_encode(columns, loaded, vocabulary), len(loaded))


def _posting_times(
    rng: np.random.Generator,
    start: np.ndarray,
    window_end: np.ndarray,
    live: np.ndarray,
    parent: np.ndarray,
    world_end: int,
) -> np.ndarray:
    """Comments lean towards the end of the window; 5% of an ended listing's come in the hours after (at
    most TRAILING_DAYS)."""
    n = len(start)
    trailing = (~live) & (rng.random(n) < 0.05)
    progress = rng.random(n)
    inside = start + 60 + ((progress**0.7) * np.maximum(window_end - start - 120, 1)).astype(np.int64)
    delay = np.minimum(rng.exponential(6 * 3600, n), TRAILING_DAYS * DAY).astype(np.int64)
    after = np.minimum(window_end + 60 + delay, world_end - 1)
    posted_at = np.where(trailing & (after > window_end), after, inside)
    return posted_at[np.lexsort((posted_at, parent))]


def _kinds_and_threads(rng: np.random.Generator, children: ChildRows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(kind, is_answer, reply_to chunk row or -1): answers reply to the listing's latest question; 8% of
    opinions reply to it too. An answer with no question before it becomes a neutral remark."""
    n = len(children.parent)
    kind = np.minimum((rng.random(n)[:, None] > np.cumsum(KIND_SHARES)).sum(axis=1), 5)
    question_row = np.where(kind == QUESTION, np.arange(n), -1)
    latest_question = running_max_within(question_row, children.parent)
    has_question = latest_question >= children.first_of_parent[children.parent]
    is_answer = (kind == ANSWER) & has_question
    kind = np.where((kind == ANSWER) & ~is_answer, NEUTRAL, kind)
    replies_to_question = (kind >= POSITIVE) & has_question & (rng.random(n) < 0.08)
    reply_to = np.where(is_answer | replies_to_question, latest_question, -1)
    return kind, is_answer, reply_to


def _templates(
    rng: np.random.Generator,
    vocabulary: CommentVocabulary,
    kind: np.ndarray,
    end_of_auction: np.ndarray,
    sold: np.ndarray,
    live: np.ndarray,
) -> np.ndarray:
    """A template of the comment's kind (end-of-auction remarks replace it late in the auction); 3% of
    opinions are shouted (the capitalised copy of the template)."""
    n = len(kind)
    pick = rng.random(n)
    template = np.zeros(n, dtype=np.int64)
    for k, group in enumerate(KIND_GROUPS):
        chosen = kind == k
        first, end = vocabulary.range[group]
        template[chosen] = first + (pick[chosen] * (end - first)).astype(np.int64)
    for group, chosen in (("END", end_of_auction & sold), ("ENDU", end_of_auction & ~sold & ~live)):
        first, end = vocabulary.range[group]
        template[chosen] = first + (pick[chosen] * (end - first)).astype(np.int64)
    shouted = (rng.random(n) < 0.03) & ((kind == POSITIVE) | (kind == NEGATIVE))
    return np.where(shouted, template + vocabulary.n_templates, template)


def _apply_defects(
    columns: dict[str, np.ndarray],
    loaded: np.ndarray,
    plan: StreamedDefectPlan,
    first_row: int,
    reply_to: np.ndarray,
    start: np.ndarray,
    vocabulary: CommentVocabulary,
    ledger: Ledger,
) -> np.ndarray:
    """Write the chunk's planned defects into ``columns`` (recorded with the row's load time); returns the
    rows to re-send."""
    n = len(reply_to)
    names = TABLE_KINDS[TABLE]
    rows, kinds = plan.in_chunk(first_row, n)
    taken = np.zeros(n, dtype=bool)
    taken[rows] = True
    has_reply = np.zeros(n, dtype=bool)
    has_reply[reply_to[reply_to >= 0]] = True
    placed = []
    for row, kind in zip(rows.tolist(), kinds.tolist(), strict=True):
        name = names[kind]
        if name in BLOCKING_DEFECTS and has_reply[row]:
            taken[row] = False
            (moved,) = shift_to_eligible(np.array([row]), ~has_reply, taken) or (None,)
            if moved is None:
                continue
            row = moved
        placed.append((row, name))
    resent = []
    for row, name in placed:
        detail = ""
        if name == "duplicate_delivery":
            resent.append(row)
            continue
        if name == "orphan_reference":
            columns["listing_id"][row] = ORPHAN_BASE + first_row + row
            detail = f"listing_id set to {columns['listing_id'][row]}"
        elif name == "missing_required_value":
            columns["body_null"][row] = True
            detail = "body is null"
        elif name == "future_timestamp":
            columns["posted"][row] = loaded[row] + (5 + row % 300) * DAY
            detail = "posted_at after _loaded_at"
        elif name == "comment_before_start":
            columns["posted"][row] = start[row] - 3600 - (row % 48) * 3600
            detail = "posted_at before the listing started"
        elif name == "control_characters":
            columns["prefix"][row] = 1 + row % vocabulary.n_control
        elif name == "zero_width_characters":
            columns["prefix"][row] = 1 + vocabulary.n_control + row % len(catalog_extra.ZERO_WIDTH_SNIPPETS)
        elif name == "contains_email":
            columns["suffix"][row] = vocabulary.first_email + row % len(catalog_extra.EMAIL_SNIPPETS)
        elif name == "contains_phone":
            columns["suffix"][row] = vocabulary.first_phone + row % len(catalog_extra.PHONE_SNIPPETS)
        ledger.add(TABLE, columns["ids"][row], name, detail, loaded[row])
    return np.array(resent, dtype=np.int64)


def _encode(columns: dict[str, np.ndarray], loaded: np.ndarray, vocabulary: CommentVocabulary) -> bytes:
    rows = Rows(len(loaded))
    rows.b_row(8)
    rows.b_int8(columns["ids"])
    rows.b_int8(columns["listing_id"])
    rows.b_int8(columns["user"] + 1)
    parent_field = rows.b_int8(np.maximum(columns["parent"], 0))
    rows.b_null_fixed(parent_field, columns["parent"] < 0)
    prefix, template, slot, suffix = columns["prefix"], columns["template"], columns["slot"], columns["suffix"]
    body_length = (
        vocabulary.prefix.lens[prefix]
        + vocabulary.before_slot.lens[template]
        + vocabulary.slot.lens[slot]
        + vocabulary.after_slot.lens[template]
        + vocabulary.suffix.lens[suffix]
    )
    body_field = rows.b_len(body_length)
    rows.vocab(vocabulary.prefix, prefix)
    rows.vocab(vocabulary.before_slot, template)
    rows.vocab(vocabulary.slot, slot)
    rows.vocab(vocabulary.after_slot, template)
    rows.vocab(vocabulary.suffix, suffix)
    rows.b_null(body_field, columns["body_null"])
    rows.b_ts(columns["posted"])
    rows.b_int4(columns["likes"])
    rows.b_ts(loaded)
    return rows.tobytes()
