"""Exact sums of float64 numbers: the streamed reductions' accumulator.

A streamed table (and each shard of one, with --partial) adds its per-element losses here
without any rounding: every finite double is an integer multiple of 2⁻¹⁰⁷⁴, so the sum is
kept as one Python integer counting units of 2⁻¹¹²⁷ (a margin that keeps every shift below
non-negative). Because nothing is rounded until ``value``, the result does not depend on how
the rows were cut into chunks, files or machines, nor on their order: shards merged give, bit
for bit, what one stream over the whole gives — the correctly rounded sum of the elements.

Adding an array is vectorised: each double is split exactly into two halves of at most 26
significant bits (Veltkamp's split), its sign and exponent field (its top 12 bits) picks a
bin, and the halves are added per bin with ``np.bincount``. Within a bin every half lies on
the grid of its top bits' unit and is below 2²⁶ such units, so up to 2²⁶ of them add up
exactly in float64. Only the few occupied bins are combined in Python integers.
"""

from __future__ import annotations

import math
import threading

import numpy as np

SCALE = 1127  # the sum counts units of 2**-SCALE: 1074 (the smallest subnormal) + 53
_BATCH = 1 << 26  # values per bincount pass: keeps every bin's sum exact (see _add_bins)
_SPLITTER = float((1 << 27) + 1)
_REUSED = 1 << 20  # values whose scratch arrays a thread keeps (24 MiB at most)
_LARGE = 2.0 ** 995  # beyond this, value·_SPLITTER could overflow
_SCRATCH = threading.local()  # each thread's scratch arrays (see _buffers)


def to_units(value: float) -> int:
    """A finite double as an exact count of 2**-SCALE."""
    numerator, denominator = value.as_integer_ratio()
    return numerator * ((1 << SCALE) // denominator)


def from_units(units: int) -> float:
    """The double nearest to units·2**-SCALE (ties to even: Python's int division is
    correctly rounded); ±inf beyond the largest double."""
    try:
        return units / (1 << SCALE)
    except OverflowError:
        return float("inf") if units > 0 else float("-inf")


FEW = 64  # up to this many values, math.fsum gives the same sum faster (see total)


def total(values) -> float:
    """The correctly rounded sum of ``values`` (non-finite ones added as NumPy adds them): a
    loss's reduction. For a few values math.fsum computes the same number in a microsecond,
    where an ExactSum takes tens (batch solves many small problems)."""
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    if flat.size <= FEW and np.isfinite(flat).all():  # (fsum's inf and NaN rules are its own)
        try:
            return math.fsum(flat.tolist())
        except OverflowError:  # a finite sum beyond the largest double: ±inf, as below
            pass
    exact = ExactSum()
    exact.add_array(flat)
    return exact.value


class ExactSum:
    """A sum of doubles without rounding; non-finite values are added apart (inf − inf is
    NaN, as in any float sum) and dominate the value."""

    def __init__(self, units: int = 0, nonfinite: float = 0.0) -> None:
        self.units = units  # (all there is to it: a worker sends its chunk's sum back as is)
        self.nonfinite = nonfinite

    def add(self, value: float) -> None:
        value = float(value)
        if value - value == 0.0:  # finite
            self.units += to_units(value)
        else:
            self.nonfinite += value

    def add_array(self, values) -> None:
        values = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
        for start in range(0, values.size, _BATCH):
            self._add_bins(values[start:start + _BATCH])

    def _add_bins(self, values: np.ndarray) -> None:
        largest = float(np.max(np.abs(values))) if values.size else 0.0
        # Rare: an inf or NaN (np.max propagates NaN), or a value whose split could overflow
        if not largest < _LARGE:
            finite = np.isfinite(values)
            with np.errstate(invalid="ignore"):  # inf − inf is NaN, said by the value
                self.nonfinite += float(np.sum(values[~finite]))
            large = finite & (np.abs(values) >= _LARGE)
            for value in values[large].tolist():
                self.units += to_units(value)
            values = values[finite & ~large]
        # Veltkamp's split: high + low == value exactly, each with at most 26 significant bits
        high, low, bins = _buffers(values.size)
        np.multiply(values, _SPLITTER, out=high)  # scaled
        np.subtract(high, values, out=low)  # scaled − value
        np.subtract(high, low, out=high)  # high = scaled − (scaled − value)
        np.subtract(values, high, out=low)  # low = value − high
        np.right_shift(values.view(np.uint64), np.uint64(52), out=bins.view(np.uint64))
        for part in (high, low):
            sums = np.bincount(bins, part, 4096)
            for b in np.flatnonzero(sums):
                self.units += to_units(float(sums[b]))

    def merge(self, other: ExactSum) -> None:
        self.units += other.units
        self.nonfinite += other.nonfinite

    @property
    def value(self) -> float:
        if self.nonfinite != 0.0 or self.nonfinite != self.nonfinite:
            return self.nonfinite + from_units(self.units)
        return from_units(self.units)

    def terms(self) -> list[str]:
        """The sum as doubles (float hex) whose exact sum it is, largest first: the finite
        part's non-overlapping expansion, then the non-finite part if any."""
        out, rest = [], self.units
        while rest:
            term = from_units(rest)
            if term - term != 0.0:  # beyond the largest double: kept as it rounds
                out.append(term.hex())
                break
            out.append(term.hex())
            rest -= to_units(term)
        if self.nonfinite != 0.0 or self.nonfinite != self.nonfinite:
            out.append(repr(self.nonfinite))
        return out

    @classmethod
    def from_terms(cls, terms) -> ExactSum:
        total = cls()
        for text in terms:
            total.add(float.fromhex(text) if text.startswith(("0x", "-0x")) else float(text))
        return total


def _buffers(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The split's halves and the bins (sign and exponent): reused from chunk to chunk, by
    every sum of the thread, up to _REUSED values, as fresh arrays of a chunk's size cost
    their page faults anew each time (the split took twice as long)."""
    if size > _REUSED:
        return np.empty(size), np.empty(size), np.empty(size, dtype=np.int64)
    held = getattr(_SCRATCH, "buffers", None)
    if held is None or held[0].size < size:
        held = _SCRATCH.buffers = (np.empty(size), np.empty(size), np.empty(size, dtype=np.int64))
    return tuple(buffer[:size] for buffer in held)
