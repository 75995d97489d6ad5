"""`--expect`: is a computed value the expected one, within a tolerance? One test for every
door (the command line's --expect, a batch line's "expect", a check file's answers).

Exactly (docs/contract.md, section 5): the expectation has the value's shape (axes of length
1 aside), else it is a usage error — never a comparison of nothing, which would pass. Element
by element, a finite expected number matches a finite value within the tolerance (absolute,
or relative to the expected number); ±inf matches only the same infinity; nan only nan.
"""

from __future__ import annotations

import re

import numpy as np

from .errors import CheckFailed, InvalidData, UsageError, ref
from .inputs import parse_literal

# nan, NaN, -nan … as Python and JSON spell it, a word on its own ("nano" is not one).
_NAN = re.compile(r"(?<![\w.])[+-]?nan(?![\w.])", re.IGNORECASE)


def parse_expected(expect: str, where: str = "--expect") -> np.ndarray:
    """The expected numbers of ``expect`` (text, as a tensor option), nan allowed.

    The tensor reader refuses NaN (never a valid input), but an expected value may be nan. So
    the text is read twice, each nan spelled once as 0 and once as 1: the entries that
    differ between the two readings are the nans, and every error is the reader's own."""
    try:
        if not _NAN.search(expect):
            return parse_literal(expect, where)
        zeros = parse_literal(_NAN.sub("0", expect), where)
        ones = parse_literal(_NAN.sub("1", expect), where)
    except InvalidData as err:  # a malformed option value: usage, not data
        raise UsageError(err.message) from None
    return np.where(zeros != ones, np.nan, zeros)


def matches(value, expected: np.ndarray, tol: float) -> np.ndarray:
    """Element by element: does the value match the expectation (shapes already agree)?"""
    value = np.asarray(value, dtype=float)
    finite = np.isfinite(value) & np.isfinite(expected)
    with np.errstate(over="ignore", invalid="ignore"):
        diff = np.where(finite, np.abs(value - expected), np.inf)
        near = (diff <= tol) | (diff <= tol * np.abs(expected))
    return (finite & near) | (value == expected) | (np.isnan(value) & np.isnan(expected))


def difference(value, expected: np.ndarray) -> np.ndarray:
    """value − expected per element, 0 where they are the same (also both inf, both nan)."""
    value = np.asarray(value, dtype=float)
    same = (value == expected) | (np.isnan(value) & np.isnan(expected))
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(same, 0.0, value - expected)


def same_shape(value, expected: np.ndarray) -> bool:
    """Shapes that agree once axes of length 1 are dropped (`1,2` for a (1, 2) value)."""
    return np.squeeze(np.asarray(value)).shape == np.squeeze(expected).shape


def check_expectation(value, expect: str, tol: float, where: str = "--expect") -> None:
    """Raise CheckFailed unless ``value`` is within ``tol`` (absolute or relative) of
    ``expect``, a number or numbers as text; ``where`` names it in the door's words."""
    if not np.isfinite(tol) or tol < 0:
        raise UsageError(f"{ref('tol')} must be a finite number >= 0, got {tol}",
                         subjects=("tol",))
    expected = parse_expected(expect, where)
    value = np.asarray(value, dtype=float)
    if not same_shape(value, expected):
        raise UsageError(f"{where} has shape {expected.shape} but the value has shape "
                         f"{value.shape}")
    value, expected = np.squeeze(value), np.squeeze(expected)
    same = matches(value, expected, tol)
    if not np.all(same):
        worst = abs(largest(np.where(same, 0.0, difference(value, expected))))
        worst = np.inf if np.isnan(worst) else worst  # nan is unboundedly far from a number
        shown = repr(float(value)) if value.ndim == 0 else "the value"
        raise CheckFailed(f"expectation failed: {shown} differs from {expect.strip()} by "
                          f"{worst:.3g} (tolerance {tol:g}, absolute or relative)")


def largest(diff) -> float:
    """The entry of ``diff`` largest in size, nan before any (it matches nothing but nan);
    0 for none: the difference a check reports."""
    diff = np.asarray(diff, dtype=float).reshape(-1)
    if not diff.size:
        return 0.0
    return float(diff[int(np.argmax(np.where(np.isnan(diff), np.inf, np.abs(diff))))])


def holds(value, expect: str, tol: float, where: str = "--expect") -> bool:
    """True when ``value`` is within ``tol`` of ``expect`` (a failed check, not an error)."""
    try:
        check_expectation(value, expect, tol, where)
    except CheckFailed:
        return False
    return True
