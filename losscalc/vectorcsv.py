"""Plain CSV chunks of decimal numbers parsed with NumPy array operations, correctly rounded.

Without losscalc[fast], ``np.loadtxt`` parses a table at about 40-60 MB/s per core: it turns
each field into a number one at a time. Most large tables are plain, though (numbers such as
``-0.12345678901234567`` or ``1.5e-05``, lines ending in LF or CRLF; no quotes, comments,
spaces or blank lines), and those
are parsed here with whole-array operations over all the fields of a chunk at once:

1. The delimiters and line ends are found in one pass; every line must have every column.
2. The first 32 bytes of each selected field become a row of a matrix, and its digits one
   32-bit mask per field. The other characters are few: a sign is the first byte or follows
   the ``e``, an ``e`` is looked up in the chunk's bytes (rare, or else a mask too), and what
   remains must be one ``.`` before the ``e``. So ``[+-]digits[.digits][(e|E)[+-]digits]``
   is checked with integer operations on the masks.
3. The integer part, the fraction and the exponent are each read as up to 24 digits at once,
   eight to a 64-bit word (three multiplications per word, the "SWAR" digit trick), giving
   the decimal significand M < 2**64 and the power of ten E.
4. M * 10**E (or M / 10**-E) is computed in x87 extended precision (64-bit significand).
   M and 10**|E| for |E| <= 27 are exact there, so the product or quotient is rounded once,
   and rounding that to float64 gives the correctly rounded value unless the first rounding
   landed exactly halfway between two float64 numbers (that field is then read by
   ``float``): rounding to nearest is monotonic and the extended grid holds every float64
   halfway point, so no value rounds differently twice than once.

A field longer than 31 bytes, with more than 19 significant digits or |E| > 27 is read by
Python's ``float`` (correctly rounded too); a chunk with anything outside the grammar goes
to ``np.loadtxt`` and the exact reader, which say what is wrong. The bits are those
``np.loadtxt`` gives (tests/test_vectorcsv.py compares them with ``float`` on hard cases).
Without extended precision (not x86, or long double is double) :func:`parse` returns None
and ``np.loadtxt`` parses everything.
"""

from __future__ import annotations

import os
import re
import sys

import numpy as np

WIDTH = 32  # bytes of a field looked at as a row; a longer field is read on its own
RUN = 24  # digits of an integer part or fraction read at once (three words of eight)
MAX_POWER = 27  # 10**27 = 5**27 * 2**27 and 5**27 < 2**64: exact in a 64-bit significand
PIECE = 1 << 14  # fields parsed at once: their temporaries stay in the processor's cache
NOT_PLAIN = (b'"', b"#")  # quotes and comments: np.loadtxt's rules apply
PLAIN = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
STEP = 1 << 20  # bytes looked through at once for delimiters (bounded temporaries)
SPARSE = 64  # fewer e's than one field in SPARSE: found with bytes.find, not a mask


def _extended() -> bool:
    """x87 extended precision, little-endian, the significand in a long double's first word."""
    return (sys.byteorder == "little" and np.finfo(np.longdouble).nmant == 63
            and np.dtype(np.longdouble).itemsize == 16)


# LOSSCALC_CSV_PARSER=loadtxt leaves every chunk to np.loadtxt (for benchmarks).
AVAILABLE = _extended() and os.environ.get("LOSSCALC_CSV_PARSER", "").lower() != "loadtxt"
_LD_POW10 = np.array([10 ** k for k in range(MAX_POWER + 1)],
                     dtype=np.longdouble) if _extended() else None
_INSIDE = np.array([(1 << k) - 1 for k in range(WIDTH)], dtype=np.uint32)  # k bytes long
_POW10 = np.array([10 ** k for k in range(20)], dtype=np.uint64)


def _keep_masks(words: int) -> np.ndarray:
    """For each count of digits 0..8*words: the last ``count`` bytes of ``words`` words,
    as bits of those words (little-endian: the run's first byte is the lowest)."""
    width = 8 * words
    whole = [((1 << (8 * count)) - 1) << (8 * (width - count)) for count in range(width + 1)]
    return np.array([[(mask >> (64 * k)) & (2 ** 64 - 1) for k in range(words)]
                     for mask in whole], dtype=np.uint64)


_KEEP = [None] + [_keep_masks(words) for words in range(1, RUN // 8 + 1)]


def parse(block, delimiter: str | None, columns: int,
          usecols: list[int] | None = None) -> np.ndarray | None:
    """The numbers of a chunk of whole lines, shape (rows, len(usecols) or columns), columns
    contiguous (Fortran order); None when the chunk is not plain (then np.loadtxt's turn)."""
    data, size = _bytes(block)
    separator = _separator(delimiter, columns)
    if (not AVAILABLE or separator is None or size < 2 * WIDTH
            or any(data.find(mark, 0, size) >= 0 for mark in NOT_PLAIN)):
        return None  # (a chunk this small is no work for np.loadtxt)
    crlf = data.find(b"\r", 0, size) >= 0  # Windows line ends: each CR must end a line
    if crlf and data.count(b"\r", 0, size) != data.count(b"\r\n", 0, size):
        return None
    raw = np.frombuffer(data, dtype=np.uint8, count=size)
    ends = _field_ends(raw, separator, columns)
    if ends is None:
        return None
    rows = len(ends) // columns
    wanted = range(columns) if usecols is None else usecols
    exps = _sparse_exponents(data, size, ends)
    line_starts = np.concatenate(([0], ends[columns - 1:-1:columns] + 1))
    values = np.empty((rows, len(wanted)), order="F")
    for k, column in enumerate(wanted):
        stops = ends[column::columns]
        if crlf and column == columns - 1:  # the CR before each line end ends the field
            stops = stops - (raw[stops - 1] == 13)
        starts = ends[column - 1::columns] + 1 if column else line_starts
        for first in range(0, rows, PIECE):
            piece = slice(first, first + PIECE)
            exp = None if exps is None else exps[column::columns][piece]
            if not _fields(raw, starts[piece], stops[piece], exp, data, values[piece, k]):
                return None
    return values


def _bytes(block) -> tuple[bytes, int]:
    """A block's bytes and length: without a copy for a view of the start of a bytes object
    (csvsource reads a byte range with some slack and cuts it at a line end as such a view)."""
    if isinstance(block, memoryview) and isinstance(block.obj, bytes) and block.c_contiguous \
            and block.nbytes:
        start = np.frombuffer(block.obj, dtype=np.uint8, count=1).ctypes.data
        if np.frombuffer(block, dtype=np.uint8).ctypes.data == start:
            return block.obj, block.nbytes
    data = bytes(block)
    return data, len(data)


def _separator(delimiter: str | None, columns: int) -> int | None:
    """The delimiter's byte (-1 for one column without one); None if not one plain byte.
    Without a delimiter, fields are split at runs of whitespace: read here as split at one
    space (np.savetxt's files), since a line with any other run has too many fields, or an
    empty one, and is refused."""
    if delimiter is None:
        return -1 if columns == 1 else ord(" ")
    if len(delimiter) != 1 or not delimiter.isascii() or delimiter in '0123456789.eE+- \n\r"#':
        return None
    return ord(delimiter)


def _field_ends(raw: np.ndarray, separator: int, columns: int) -> np.ndarray | None:
    """The index just past each field (its delimiter or line end), or None unless every line
    has exactly ``columns`` fields."""
    ends = np.concatenate([_marks(raw[first:first + STEP], separator) + first
                           for first in range(0, len(raw), STEP)])
    unended = raw[-1] != 10  # the last line of a file without a final line end
    if unended:
        ends = np.append(ends, len(raw))
    if len(ends) % columns:
        return None
    line_ends = ends[columns - 1::columns][:len(ends) // columns - unended]
    newlines = np.count_nonzero(raw[ends[:len(ends) - unended]] == 10)
    # Each line's last field ends with a line end, and there are no others.
    if newlines != len(line_ends) or not (raw[line_ends] == 10).all():
        return None
    return ends


def _marks(part: np.ndarray, separator: int) -> np.ndarray:
    """Where the line ends and delimiters of ``part`` are."""
    marks = part == 10
    if separator >= 0:
        marks |= part == separator
    return np.flatnonzero(marks)


def _sparse_exponents(data: bytes, size: int, ends: np.ndarray) -> np.ndarray | None:
    """Each field's e (or E) as a bit (bit i: byte i of the field; 0 without one), found
    with bytes.find while there are few; None when there are many (then a mask finds them,
    as it finds the digits). A field with two e's gets two bits, which the grammar refuses."""
    where = []
    for letter in (b"e", b"E"):
        at = data.find(letter, 0, size)
        while at >= 0:
            if len(where) * SPARSE > len(ends):
                return None
            where.append(at)
            at = data.find(letter, at + 1, size)
    exp = np.zeros(len(ends), dtype=np.uint32)
    if where:
        where = np.array(where)
        field = np.searchsorted(ends, where)  # the field each e is in
        offset = where - np.where(field > 0, ends[field - 1] + 1, 0)
        # (an e 31 bytes or more into its field: the field is read by float)
        bit = np.where(offset < WIDTH - 1, np.left_shift(1, np.minimum(offset, 30)), 0)
        np.bitwise_or.at(exp, field, bit.astype(np.uint32))
    return exp


def _rows(raw: np.ndarray, at: np.ndarray, width: int) -> np.ndarray:
    """The ``width`` bytes of ``raw`` from each of ``at`` (moved inside ``raw`` where they
    would cross an end: those fields are read by float), one row each, gathered as items of
    a ``width``-byte type over overlapping windows (a third of the time of indexing a 2-D
    sliding window, which copies byte by byte)."""
    windows = np.ndarray((len(raw) - width + 1,), dtype=f"V{width}", buffer=raw,
                         strides=(1,))
    inward = np.minimum(np.maximum(at, 0), len(raw) - width)  # (np.clip is slower)
    return windows[inward].view(np.uint8).reshape(len(at), width)


def _bits(matrix: np.ndarray) -> np.ndarray:
    """A boolean matrix of rows of 32 as one 32-bit mask per row (bit i: column i)."""
    return np.packbits(matrix.ravel(), bitorder="little").view("<u4")


def _popcount(x: np.ndarray) -> np.ndarray:
    """The set bits of each 32-bit mask."""
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x).astype(np.int64)
    return _counted_bits(x)


def _counted_bits(x: np.ndarray) -> np.ndarray:
    """The set bits of each 32-bit mask, for NumPy < 2.0 (no bitwise_count): the classic
    count by pairs, fours and bytes, the bytes summed by one multiplication."""
    x = x.astype(np.uint32)
    x = x - ((x >> np.uint32(1)) & np.uint32(0x55555555))
    x = (x & np.uint32(0x33333333)) + ((x >> np.uint32(2)) & np.uint32(0x33333333))
    x = (x + (x >> np.uint32(4))) & np.uint32(0x0F0F0F0F)
    return ((x * np.uint32(0x01010101)) >> np.uint32(24)).astype(np.int64)


def _fields(raw: np.ndarray, starts: np.ndarray, stops: np.ndarray,
            exp: np.ndarray | None, data: bytes, out: np.ndarray) -> bool:
    """The fields [starts, stops) of ``raw`` as float64 into ``out``; False if one is not a
    plain decimal number. Fields longer than 31 bytes, and those whose windows would cross
    an end of the chunk (its first and last few), are read by float."""
    lengths = stops - starts
    long = (lengths >= WIDTH) | (starts < RUN) | (starts > len(raw) - WIDTH)
    at = starts
    inside = np.take(_INSIDE, np.minimum(lengths, WIDTH - 1))
    fields = _rows(raw, at, WIDTH)
    digit = _bits((fields - 48) < 10) & inside
    if exp is None:
        exp = _bits((fields | 32) == 101)
    exp = exp & inside
    negative = fields[:, 0] == 45
    sign = (negative | (fields[:, 0] == 43)).astype(np.uint32)  # bit 0: a leading sign
    e_rows = np.flatnonzero(exp)  # few, as a rule
    e_sign, e_negative = _exponent_signs(fields[e_rows], exp[e_rows])
    sign[e_rows] |= e_sign
    mantissa = (exp - 1) & inside  # the bytes before the e (all of them without one)
    dot = inside & ~(digit | sign | exp)  # what is left must be one '.' before the e
    digits = digit & mantissa
    plain = ((dot & (dot - 1)) == 0) & ((exp & (exp - 1)) == 0) \
        & (digits != 0) & ((exp == 0) | ((digit & ~mantissa) != 0))
    mantissa_end = _popcount(mantissa)
    dot_at = _popcount(mantissa & (dot - 1))  # where the dot is, else the mantissa's end
    # ... and there must be a '.' (a dot past the e is looked for at the e, and refused)
    plain &= (dot == 0) | (raw[np.minimum(at + dot_at, len(raw) - 1)] == 46)
    if not (plain | long).all():
        return False
    integer_digits = dot_at - (sign & 1)
    fraction_digits = _popcount(digits) - integer_digits
    integer, slow = _digits(raw, at + dot_at, integer_digits)
    fraction, fraction_over = _digits(raw, at + mantissa_end, fraction_digits)
    slow |= long | fraction_over | ((integer != 0) & (integer_digits + fraction_digits > 19))
    significand = integer * _POW10[np.minimum(fraction_digits, 19)] + fraction
    exponent = -fraction_digits
    if len(e_rows):
        count = (lengths - mantissa_end - 1)[e_rows] - (e_sign != 0)
        written, _ = _digits(raw, stops[e_rows], np.minimum(count, 8))
        exponent[e_rows] += np.where(e_negative, -1, 1) * written.astype(np.int64)
        slow[e_rows] |= count > 8
    slow |= np.abs(exponent) > MAX_POWER
    out[:] = _scaled(significand, np.minimum(np.maximum(exponent, -MAX_POWER), MAX_POWER),
                     slow)
    out.view(np.uint64)[:] |= negative.astype(np.uint64) << np.uint64(63)
    for i in np.flatnonzero(slow):
        text = data[starts[i]:stops[i]]
        if not PLAIN.fullmatch(text):
            return False
        out[i] = float(text)
    return True


def _exponent_signs(fields: np.ndarray, exp: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For fields with an e: the bit of the byte after it if that is a sign (else 0), and
    whether it is a minus."""
    after = fields[np.arange(len(fields)), np.minimum(_popcount(exp - 1) + 1, WIDTH - 1)]
    negative = after == 45
    return (negative | (after == 43)) * (exp << 1), negative


def _digits(raw: np.ndarray, stops: np.ndarray,
            counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The numbers written by the ``counts`` digits before each of ``stops`` (up to RUN of
    them), and where they do not fit (more than RUN digits, or 2**64 or more)."""
    most = int(counts.max(initial=0))
    if most <= 1:  # as a rule the integer part: one digit (or none), one byte to read
        digit = raw[np.maximum(stops - 1, 0)] & np.uint8(15)
        return digit * (counts == 1).astype(np.uint64), np.zeros(len(stops), dtype=bool)
    words = -(-min(most, RUN) // 8)  # 8 digits to a word
    width = 8 * words
    digits = _rows(raw, stops - width, width).view("<u8")
    digits &= np.take(_KEEP[words], np.minimum(counts, width), axis=0)  # the others: 0
    parts = _eight_digits(digits)
    value = parts[:, 0]
    for k in range(1, words):
        value = value * np.uint64(10 ** 8) + parts[:, k]
    over = counts > RUN
    if words == 3:
        over |= parts[:, 0] > 1843  # 1844 * 10**16 > 2**64
    return value, over


def _eight_digits(word: np.ndarray) -> np.ndarray:
    """Eight digits, the first in the lowest byte, as their number: ASCII digits or zero
    bytes (read as 0), combined in pairs, fours and all eight by multiplications inside the
    word (SWAR)."""
    word = ((word & np.uint64(0x0F0F0F0F0F0F0F0F)) * np.uint64(10 * 256 + 1)) >> np.uint64(8)
    word = ((word & np.uint64(0x00FF00FF00FF00FF)) * np.uint64(100 * 65536 + 1)) >> np.uint64(16)
    return ((word & np.uint64(0x0000FFFF0000FFFF)) * np.uint64(10000 * 2 ** 32 + 1)) \
        >> np.uint64(32)


def _scaled(significand: np.ndarray, exponent: np.ndarray, slow: np.ndarray) -> np.ndarray:
    """significand * 10**exponent rounded to float64 through one rounding to extended
    precision; a value that rounding left exactly halfway between two float64 is marked slow."""
    extended = significand.astype(np.longdouble)
    power = np.take(_LD_POW10, np.abs(exponent))
    up = exponent >= 0
    np.multiply(extended, power, out=extended, where=up)
    np.divide(extended, power, out=extended, where=~up)
    low_word = extended.view(np.uint64)[::2]
    slow |= (low_word & np.uint64(0x7FF)) == np.uint64(0x400)
    return extended.astype(np.float64)
