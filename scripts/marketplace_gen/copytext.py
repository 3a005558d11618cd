"""Vectorised builders for PostgreSQL COPY data, text and binary format.

A chunk of rows is assembled column by column as byte matrices (rows x width) plus keep-masks of the same
shape; ``Rows.tobytes`` concatenates them and drops the masked bytes, giving the COPY data without a
Python loop per row. Variable-width values (integers, vocabulary entries) are right- or left-aligned in
their matrix and masked down to their real length; NULL is a masked-out value plus an ``\\N`` piece (text)
or a length of -1 (binary).
"""

from __future__ import annotations

import numpy as np

_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_TEXT_NULL = np.frombuffer(b"\\N", dtype=np.uint8)
_MINUS = np.frombuffer(b"-", dtype=np.uint8)
PG_EPOCH = 946684800  # 2000-01-01 in Unix seconds: binary timestamps count microseconds from it
BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, header extension length
BINARY_TRAILER = b"\xff\xff"
_DASH, _SPACE, _COLON = 45, 32, 58


def escape_copy(text: str) -> str:
    """Escape one text value for COPY text format."""
    if "\\" in text:
        text = text.replace("\\", "\\\\")
    if "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


def civil_from_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days since 1970-01-01 -> (year, month, day) arrays, proleptic Gregorian.

    Howard Hinnant's algorithm: count in 400-year eras of 146097 days, with years starting on March 1 so
    the leap day is the last day of a year.
    """
    shifted = days.astype(np.int64) + 719468  # days since 0000-03-01
    era = np.floor_divide(shifted, 146097)
    day_of_era = shifted - era * 146097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096) // 365
    year = year_of_era + era * 400
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_from_march = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_from_march + 2) // 5 + 1
    month = np.where(month_from_march < 10, month_from_march + 3, month_from_march - 9)
    year = year + (month <= 2)
    return year, month, day


def days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (the inverse of ``civil_from_days``)."""
    year -= month <= 2
    era = (year if year >= 0 else year - 399) // 400
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def ndigits(values: np.ndarray) -> np.ndarray:
    """Decimal digits of non-negative ints (at least 1)."""
    as_int = np.asarray(values, dtype=np.int64)
    digits = np.ones(len(as_int), dtype=np.int64)
    for power in range(1, 19):
        longer = as_int >= 10**power
        if not longer.any():
            break
        digits += longer
    return digits


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Fixed-width zero-padded decimal digits (rows x width) of non-negative ints, as ASCII."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers) % 10 + 48).astype(np.uint8)


class Vocab:
    """A list of byte strings as a padded matrix, for vectorised lookup."""

    def __init__(self, items: list[bytes]):
        self.items = items
        width = max(2, max((len(b) for b in items), default=2))
        self.lens = np.array([len(b) for b in items], dtype=np.int64)
        padded = np.array(items, dtype=f"S{width}")
        self.mat = padded.view(np.uint8).reshape(len(items), width)
        self.width = width

    @classmethod
    def raw(cls, items: list[str]) -> Vocab:
        """Unescaped UTF-8 (for binary COPY)."""
        return cls([s.encode() for s in items])


class Rows:
    """Column-wise builder of COPY data for ``n`` rows.

    Text format: ``col`` starts a column, value methods (``ints``, ``money``, ``ts``, ``vocab``, ...) add
    its pieces, ``null`` blanks it, ``end`` ends the row. Binary format: ``b_row`` starts a row, ``b_*``
    add whole fields (length + data) and return the piece index that ``b_null``/``b_null_fixed`` take.
    """

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

    def _drop_pieces_since(self, start: int, rows: np.ndarray) -> None:
        """Mask out every piece from ``start`` on for ``rows`` (copying broadcast masks before writing)."""
        for k in range(start, len(self.masks)):
            mask = self.masks[k]
            if not mask.flags.writeable:
                mask = np.array(mask)
                self.masks[k] = mask
            mask[rows] = False

    def lit(self, literal: bytes) -> None:
        """The same bytes on every row."""
        as_array = np.frombuffer(literal, dtype=np.uint8)
        self._piece(np.broadcast_to(as_array, (self.n, len(as_array))))

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
        self._drop_pieces_since(start, rows)
        null_mask = np.zeros((self.n, 2), dtype=bool)
        null_mask[rows] = True
        self._piece(np.broadcast_to(_TEXT_NULL, (self.n, 2)), null_mask)

    def override(self, start: int, rows: np.ndarray, vocab: Vocab, index: np.ndarray) -> None:
        """Replace the pieces since ``start`` by vocabulary entries ``index`` where ``rows`` is true."""
        if rows is None or not rows.any():
            return
        self._drop_pieces_since(start, rows)
        index = np.asarray(index, dtype=np.int64)
        mask = np.arange(vocab.width) < vocab.lens[index][:, None]
        mask[~rows] = False
        self._piece(vocab.mat[index], mask)

    def end(self) -> None:
        self.lit(b"\n")

    # -- value pieces (no separators) -------------------------------------------------------------
    def ints(self, values: np.ndarray) -> None:
        values = np.asarray(values, dtype=np.int64)
        magnitude = np.abs(values)
        largest = int(magnitude.max()) if self.n else 0
        width = max(1, len(str(largest)))
        digits = np.ones(self.n, dtype=np.int64)
        for power in range(1, width):
            digits += magnitude >= 10**power
        negative = values < 0
        if negative.any():
            self._piece(np.broadcast_to(_MINUS, (self.n, 1)), negative[:, None].copy())
        self._piece(_digits(magnitude, width), np.arange(width) >= (width - digits)[:, None])

    def money(self, cents: np.ndarray) -> None:
        cents = np.asarray(cents, dtype=np.int64)
        negative = cents < 0
        magnitude = np.abs(cents)
        if negative.any():
            self._piece(np.broadcast_to(_MINUS, (self.n, 1)), negative[:, None].copy())
        self.ints(magnitude // 100)
        self.lit(b".")
        self._piece(_digits(magnitude % 100, 2))

    def date(self, days: np.ndarray) -> None:
        year, month, day = civil_from_days(np.asarray(days, dtype=np.int64))
        out = np.empty((self.n, 10), dtype=np.uint8)
        out[:, 0:4] = _digits(year, 4)
        out[:, 4] = _DASH
        out[:, 5:7] = _digits(month, 2)
        out[:, 7] = _DASH
        out[:, 8:10] = _digits(day, 2)
        self._piece(out)

    def ts(self, seconds: np.ndarray) -> None:
        """A UTC timestamp, 'YYYY-MM-DD HH:MM:SS+00'."""
        seconds = np.asarray(seconds, dtype=np.int64)
        days = np.floor_divide(seconds, 86400)
        of_day = seconds - days * 86400
        year, month, day = civil_from_days(days)
        out = np.empty((self.n, 22), dtype=np.uint8)
        out[:, 0:4] = _digits(year, 4)
        out[:, 4] = _DASH
        out[:, 5:7] = _digits(month, 2)
        out[:, 7] = _DASH
        out[:, 8:10] = _digits(day, 2)
        out[:, 10] = _SPACE
        out[:, 11:13] = _digits(of_day // 3600, 2)
        out[:, 13] = _COLON
        out[:, 14:16] = _digits((of_day // 60) % 60, 2)
        out[:, 16] = _COLON
        out[:, 17:19] = _digits(of_day % 60, 2)
        out[:, 19:22] = np.frombuffer(b"+00", np.uint8)
        self._piece(out)

    def fixed(self, mat: np.ndarray) -> None:
        """A (rows x width) byte matrix as it is."""
        self._piece(mat)

    def vocab(self, vocab: Vocab, index: np.ndarray) -> None:
        index = np.asarray(index, dtype=np.int64)
        self._piece(vocab.mat[index], np.arange(vocab.width) < vocab.lens[index][:, None])

    # -- binary COPY fields ----------------------------------------------------------------------------
    def b_row(self, n_fields: int) -> None:
        self.lit(int(n_fields).to_bytes(2, "big"))

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
        self._drop_pieces_since(start + 1, rows)

    def b_fixed(self, values: np.ndarray, dtype: str) -> int:
        """A fixed-width field: its constant length, then ``values`` in big-endian ``dtype``."""
        as_bytes = np.ascontiguousarray(np.asarray(values).astype(dtype))
        width = as_bytes.dtype.itemsize
        start = len(self.mats)
        self.lit(int(width).to_bytes(4, "big"))
        self._piece(as_bytes.view(np.uint8).reshape(self.n, width))
        return start

    def b_bytes(self, mat: np.ndarray) -> int:
        """A fixed-width binary field from a (rows x width) uint8 matrix (e.g. uuid)."""
        start = len(self.mats)
        self.lit(int(mat.shape[1]).to_bytes(4, "big"))
        self._piece(mat)
        return start

    def b_int8(self, values: np.ndarray) -> int:
        return self.b_fixed(values, ">i8")

    def b_int4(self, values: np.ndarray) -> int:
        return self.b_fixed(values, ">i4")

    def b_ts(self, seconds: np.ndarray) -> int:
        return self.b_fixed((np.asarray(seconds, dtype=np.int64) - PG_EPOCH) * 1_000_000, ">i8")

    def b_null_fixed(self, start: int, rows: np.ndarray | None) -> None:
        """NULL for a fixed-width field added by ``b_fixed`` (its length piece is a broadcast literal)."""
        if rows is None or not rows.any():
            return
        self.mats[start] = np.array(self.mats[start])
        self.b_null(start, rows)

    def tobytes(self) -> bytes:
        if self.n == 0:
            return b""
        mat = np.concatenate(self.mats, axis=1)
        mask = np.concatenate(self.masks, axis=1)
        return mat[mask].tobytes()


def uuid_bytes(rng: np.random.Generator, n: int) -> np.ndarray:
    """n random version-4 UUIDs, a (n x 16) uint8 matrix."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    return raw


def uuid_text(raw: np.ndarray) -> np.ndarray:
    """UUID bytes (n x 16) as text, a (n x 36) uint8 matrix."""
    n = len(raw)
    hex_digits = np.empty((n, 32), dtype=np.uint8)
    hex_digits[:, 0::2] = _HEX_DIGITS[raw >> 4]
    hex_digits[:, 1::2] = _HEX_DIGITS[raw & 0x0F]
    out = np.empty((n, 36), dtype=np.uint8)
    out[:, 0:8] = hex_digits[:, 0:8]
    out[:, 9:13] = hex_digits[:, 8:12]
    out[:, 14:18] = hex_digits[:, 12:16]
    out[:, 19:23] = hex_digits[:, 16:20]
    out[:, 24:36] = hex_digits[:, 20:32]
    out[:, [8, 13, 18, 23]] = _DASH
    return out


def py_table(columns: list[list]) -> bytes:
    """COPY text from Python column lists of already-formatted str (None -> \\N)."""
    cells = [["\\N" if value is None else value for value in column] for column in columns]
    body = "\n".join("\t".join(row) for row in zip(*cells, strict=True))
    return (body + ("\n" if cells and cells[0] else "")).encode()


def fmt_money(cents: int | None) -> str | None:
    if cents is None:
        return None
    cents = int(cents)
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def fmt_ts(seconds: int) -> str:
    """A UTC timestamp as COPY text."""
    days, of_day = divmod(int(seconds), 86400)
    year, month, day = (int(x[0]) for x in civil_from_days(np.array([days])))
    return f"{year:04d}-{month:02d}-{day:02d} {of_day // 3600:02d}:{of_day // 60 % 60:02d}:{of_day % 60:02d}+00"


def fmt_ts_list(seconds: np.ndarray, null: np.ndarray | None = None) -> list[str | None]:
    """Vectorised formatting of many timestamps to Python str (None where ``null``)."""
    rows = Rows(len(seconds))
    rows.ts(seconds)
    rows.end()
    return _lines(rows, null)


def fmt_date_list(days: np.ndarray, null: np.ndarray | None = None) -> list[str | None]:
    rows = Rows(len(days))
    rows.date(days)
    rows.end()
    return _lines(rows, null)


def _lines(rows: Rows, null: np.ndarray | None) -> list[str | None]:
    out: list[str | None] = list(rows.tobytes().decode().split("\n")[:-1])
    if null is not None:
        out = [None if unknown else text for text, unknown in zip(out, null.tolist(), strict=True)]
    return out
