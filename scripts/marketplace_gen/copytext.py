"""Vectorised builders for PostgreSQL COPY text format.

A chunk of rows is assembled column by column as byte matrices (rows x width) plus a keep-mask;
``Rows.tobytes`` concatenates them and drops the masked bytes, giving the COPY text without a Python loop.
"""

from __future__ import annotations

import numpy as np

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_NULL = np.frombuffer(b"\\N", dtype=np.uint8)
PG_EPOCH = 946684800  # 2000-01-01 in Unix seconds
BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
BINARY_TRAILER = b"\xff\xff"


def escape_copy(text: str) -> str:
    """Escape one text value for COPY text format."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def civil_from_days(days: np.ndarray):
    """Days since 1970-01-01 -> (year, month, day) arrays (proleptic Gregorian, vectorised)."""
    z = days.astype(np.int64) + 719468
    era = np.floor_divide(z, 146097)
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = np.where(mp < 10, mp + 3, mp - 9)
    y = y + (m <= 2)
    return y, m, d


def days_from_civil(y: int, m: int, d: int) -> int:
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def ndigits(v: np.ndarray) -> np.ndarray:
    """Decimal digits of non-negative ints (at least 1)."""
    a = np.asarray(v, dtype=np.int64)
    nd = np.ones(len(a), dtype=np.int64)
    for k in range(1, 19):
        m = a >= 10**k
        if not m.any():
            break
        nd += m
    return nd


def _digits(v: np.ndarray, width: int) -> np.ndarray:
    """Fixed-width zero-padded decimal digits (rows x width) of non-negative ints."""
    pw = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((v[:, None] // pw) % 10 + 48).astype(np.uint8)


class Vocab:
    """A list of byte strings as a padded matrix, for vectorised lookup."""

    def __init__(self, items: list[bytes]):
        self.items = items
        width = max(2, max((len(b) for b in items), default=2))
        self.lens = np.array([len(b) for b in items], dtype=np.int64)
        arr = np.array(items, dtype=f"S{width}")
        self.mat = arr.view(np.uint8).reshape(len(items), width)
        self.width = width

    @classmethod
    def raw(cls, items: list[str]) -> Vocab:
        """Unescaped UTF-8 (for binary COPY)."""
        return cls([s.encode() for s in items])

    @classmethod
    def of_text(cls, items: list[str]) -> Vocab:
        return cls([escape_copy(s).encode() for s in items])


class Rows:
    """Column-wise builder of COPY text for ``n`` rows."""

    def __init__(self, n: int):
        self.n = n
        self.mats: list[np.ndarray] = []
        self.masks: list[np.ndarray] = []
        self._started = False

    # -- primitives -------------------------------------------------------------------------------
    def _piece(self, mat: np.ndarray, mask: np.ndarray | None = None) -> None:
        self.mats.append(mat)
        if mask is None:
            mask = np.broadcast_to(np.ones(mat.shape[1], dtype=bool), mat.shape)
        self.masks.append(mask)

    def lit(self, b: bytes) -> None:
        a = np.frombuffer(b, dtype=np.uint8)
        self._piece(np.broadcast_to(a, (self.n, len(a))))

    def col(self) -> int:
        """Start a new column (tab separator unless first); returns the piece index for ``null``."""
        if self._started:
            self.lit(b"\t")
        self._started = True
        return len(self.mats)

    def null(self, start: int, rows: np.ndarray | None) -> None:
        """Replace the pieces since ``start`` by \\N on the rows where ``rows`` is true."""
        if rows is None or not rows.any():
            return
        for k in range(start, len(self.masks)):
            m = self.masks[k]
            if not m.flags.writeable:
                m = np.array(m)
                self.masks[k] = m
            m[rows] = False
        mm = np.zeros((self.n, 2), dtype=bool)
        mm[rows] = True
        self._piece(np.broadcast_to(_NULL, (self.n, 2)), mm)

    def override(self, start: int, rows: np.ndarray, voc: Vocab, idx: np.ndarray) -> None:
        """Replace the pieces since ``start`` by vocabulary entries ``idx`` where ``rows`` is true."""
        if rows is None or not rows.any():
            return
        for k in range(start, len(self.masks)):
            m = self.masks[k]
            if not m.flags.writeable:
                m = np.array(m)
                self.masks[k] = m
            m[rows] = False
        idx = np.asarray(idx, dtype=np.int64)
        mask = np.arange(voc.width) < voc.lens[idx][:, None]
        mask[~rows] = False
        self._piece(voc.mat[idx], mask)

    def end(self) -> None:
        self.lit(b"\n")

    # -- value pieces (no separators) -------------------------------------------------------------
    def ints(self, v: np.ndarray) -> None:
        v = np.asarray(v, dtype=np.int64)
        a = np.abs(v)
        top = int(a.max()) if self.n else 0
        width = max(1, len(str(top)))
        nd = np.ones(self.n, dtype=np.int64)
        for k in range(1, width):
            nd += a >= 10**k
        neg = v < 0
        if neg.any():
            self._piece(np.broadcast_to(np.frombuffer(b"-", np.uint8), (self.n, 1)), neg[:, None].copy())
        self._piece(_digits(a, width), np.arange(width) >= (width - nd)[:, None])

    def money(self, cents: np.ndarray) -> None:
        c = np.asarray(cents, dtype=np.int64)
        neg = c < 0
        a = np.abs(c)
        if neg.any():
            self._piece(np.broadcast_to(np.frombuffer(b"-", np.uint8), (self.n, 1)), neg[:, None].copy())
        self.ints(a // 100)
        self.lit(b".")
        self._piece(_digits(a % 100, 2))

    def date(self, days: np.ndarray) -> None:
        y, m, d = civil_from_days(np.asarray(days, dtype=np.int64))
        out = np.empty((self.n, 10), dtype=np.uint8)
        out[:, 0:4] = _digits(y, 4)
        out[:, 4] = 45
        out[:, 5:7] = _digits(m, 2)
        out[:, 7] = 45
        out[:, 8:10] = _digits(d, 2)
        self._piece(out)

    def ts(self, secs: np.ndarray) -> None:
        s = np.asarray(secs, dtype=np.int64)
        days = np.floor_divide(s, 86400)
        rem = s - days * 86400
        y, m, d = civil_from_days(days)
        out = np.empty((self.n, 22), dtype=np.uint8)
        out[:, 0:4] = _digits(y, 4)
        out[:, 4] = 45
        out[:, 5:7] = _digits(m, 2)
        out[:, 7] = 45
        out[:, 8:10] = _digits(d, 2)
        out[:, 10] = 32
        out[:, 11:13] = _digits(rem // 3600, 2)
        out[:, 13] = 58
        out[:, 14:16] = _digits((rem // 60) % 60, 2)
        out[:, 16] = 58
        out[:, 17:19] = _digits(rem % 60, 2)
        out[:, 19:22] = np.frombuffer(b"+00", np.uint8)
        self._piece(out)

    def fixed(self, mat: np.ndarray) -> None:
        self._piece(mat)

    def vocab(self, voc: Vocab, idx: np.ndarray) -> None:
        idx = np.asarray(idx, dtype=np.int64)
        self._piece(voc.mat[idx], np.arange(voc.width) < voc.lens[idx][:, None])

    # -- binary COPY fields ----------------------------------------------------------------------------
    def b_row(self, nfields: int) -> None:
        self.lit(int(nfields).to_bytes(2, "big"))

    def b_len(self, lengths: np.ndarray) -> int:
        """A field's int32 length (per row); returns its piece index for ``b_null``."""
        mat = np.ascontiguousarray(np.asarray(lengths, dtype=">i4")).view(np.uint8).reshape(self.n, 4)
        self._piece(mat.copy())
        return len(self.mats) - 1

    def b_null(self, start: int, rows: np.ndarray | None) -> None:
        """NULL (length -1, no data) where ``rows`` is true, for the field starting at ``start``."""
        if rows is None or not rows.any():
            return
        self.mats[start][rows] = 0xFF
        for k in range(start + 1, len(self.masks)):
            m = self.masks[k]
            if not m.flags.writeable:
                m = np.array(m)
                self.masks[k] = m
            m[rows] = False

    def b_fixed(self, values: np.ndarray, dtype: str) -> int:
        arr = np.ascontiguousarray(np.asarray(values).astype(dtype))
        width = arr.dtype.itemsize
        start = len(self.mats)
        self.lit(int(width).to_bytes(4, "big"))
        self._piece(arr.view(np.uint8).reshape(self.n, width))
        return start

    def b_bytes(self, mat: np.ndarray) -> int:
        """A fixed-width binary field from a (rows x width) uint8 matrix (e.g. uuid)."""
        start = len(self.mats)
        self.lit(int(mat.shape[1]).to_bytes(4, "big"))
        self._piece(mat)
        return start

    def b_int8(self, v: np.ndarray) -> int:
        return self.b_fixed(v, ">i8")

    def b_int4(self, v: np.ndarray) -> int:
        return self.b_fixed(v, ">i4")

    def b_ts(self, secs: np.ndarray) -> int:
        return self.b_fixed((np.asarray(secs, dtype=np.int64) - PG_EPOCH) * 1_000_000, ">i8")

    def b_null_fixed(self, start: int, rows: np.ndarray | None) -> None:
        """NULL for a fixed-width field added by ``b_fixed`` (its length piece is a broadcast literal)."""
        if rows is None or not rows.any():
            return
        mat = np.array(self.mats[start])
        self.mats[start] = mat
        self.b_null(start, rows)

    def tobytes(self) -> bytes:
        if self.n == 0:
            return b""
        mat = np.concatenate(self.mats, axis=1)
        mask = np.concatenate(self.masks, axis=1)
        return mat[mask].tobytes()


def uuid_bytes(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random version-4 UUIDs, a (n x 16) uint8 matrix."""
    b = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    b[:, 6] = (b[:, 6] & 0x0F) | 0x40
    b[:, 8] = (b[:, 8] & 0x3F) | 0x80
    return b


def uuid_text(b: np.ndarray) -> np.ndarray:
    """UUID bytes (n x 16) as text, a (n x 36) uint8 matrix."""
    n = len(b)
    hx = np.empty((n, 32), dtype=np.uint8)
    hx[:, 0::2] = _HEX[b >> 4]
    hx[:, 1::2] = _HEX[b & 0x0F]
    out = np.empty((n, 36), dtype=np.uint8)
    out[:, 0:8] = hx[:, 0:8]
    out[:, 9:13] = hx[:, 8:12]
    out[:, 14:18] = hx[:, 12:16]
    out[:, 19:23] = hx[:, 16:20]
    out[:, 24:36] = hx[:, 20:32]
    out[:, [8, 13, 18, 23]] = 45
    return out


def uuid_matrix(rng: np.random.Generator, n: int) -> np.ndarray:
    return uuid_text(uuid_bytes(rng, n))


def py_table(columns: list[list]) -> bytes:
    """COPY text from Python column lists of already-formatted str (None -> \\N)."""
    cols = [["\\N" if v is None else v for v in c] for c in columns]
    return (
        "\n".join("\t".join(r) for r in zip(*cols, strict=False)) + ("\n" if cols and cols[0] else "")
    ).encode()


def fmt_money(c) -> str | None:
    if c is None:
        return None
    c = int(c)
    sign = "-" if c < 0 else ""
    c = abs(c)
    return f"{sign}{c // 100}.{c % 100:02d}"


def fmt_ts(sec) -> str | None:
    if sec is None:
        return None
    days, rem = divmod(int(sec), 86400)
    y, m, d = (int(x[0]) for x in civil_from_days(np.array([days])))
    return f"{y:04d}-{m:02d}-{d:02d} {rem // 3600:02d}:{rem // 60 % 60:02d}:{rem % 60:02d}+00"


def fmt_ts_list(secs: np.ndarray, null: np.ndarray | None = None) -> list:
    """Vectorised formatting of many timestamps to Python str."""
    r = Rows(len(secs))
    r.ts(secs)
    r.end()
    out = r.tobytes().decode().split("\n")[:-1]
    if null is not None:
        out = [None if z else s for s, z in zip(out, null.tolist(), strict=False)]
    return out


def fmt_date_list(days: np.ndarray, null: np.ndarray | None = None) -> list:
    r = Rows(len(days))
    r.date(days)
    r.end()
    out = r.tobytes().decode().split("\n")[:-1]
    if null is not None:
        out = [None if z else s for s, z in zip(out, null.tolist(), strict=False)]
    return out
