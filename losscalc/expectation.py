"""`--expect`: is a computed value the expected one, within a tolerance? One test for every
door (the command line's --expect, a batch line's "expect", a check file's answers)."""

from __future__ import annotations

import numpy as np

from .errors import CheckFailed, InvalidData, UsageError, ref
from .inputs import parse_literal


def check_expectation(value, expect: str, tol: float, where: str = "--expect") -> None:
    """Raise CheckFailed unless ``value`` is within ``tol`` (absolute or relative) of
    ``expect``, a number or numbers as text; ``where`` names it in the door's words."""
    if not np.isfinite(tol):
        raise UsageError(f"{ref('tol')} must be a finite number >= 0, got {tol}",
                         subjects=("tol",))
    try:
        expected = parse_literal(expect, where)
    except InvalidData as err:  # a malformed option value: usage, not data
        raise UsageError(err.message) from None
    value = np.asarray(value, dtype=float)
    try:
        diff = np.abs(value - expected)
    except ValueError:
        raise UsageError(f"{where} has shape {expected.shape} but the value has shape "
                         f"{value.shape}") from None
    scale = np.abs(expected)
    same = (value == expected) | (diff <= tol) | (diff <= tol * scale)
    if not np.all(same):
        worst = float(np.max(np.where(same, 0, diff)))
        shown = repr(float(value)) if value.ndim == 0 else "the value"
        raise CheckFailed(f"expectation failed: {shown} differs from {expect.strip()} by "
                          f"{worst:.3g} (tolerance {tol:g}, absolute or relative)")


def holds(value, expect: str, tol: float, where: str = "--expect") -> bool:
    """True when ``value`` is within ``tol`` of ``expect`` (a failed check, not an error)."""
    try:
        check_expectation(value, expect, tol, where)
    except CheckFailed:
        return False
    return True
