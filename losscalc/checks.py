"""Shape, domain and parameter checks shared by every loss, with one message style.

Messages name the option, the position (0-based index, as NumPy and PyTorch print it) and what
was expected, so the user can fix the input without reading code.
"""

from __future__ import annotations

import numpy as np

from .errors import InvalidData, ref
from .i18n import N_


def fmt_shape(shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def fmt_index(index) -> str:
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def fmt_number(v) -> str:
    return f"{float(v):g}"


def first_bad(mask: np.ndarray):
    """The index of the first True in ``mask`` (row-major)."""
    return np.unravel_index(int(np.argmax(mask)), mask.shape) if mask.ndim else ()


def broadcast_pair(t, x, y, loss: str, names=("pred", "target"), hint=None):
    """x and y must have one shape or broadcast to one (PyTorch broadcasts, with a warning).

    ``names`` are the registry's names of the two tensors (as everywhere below: a door
    spells them in its own words, LosscalcError.render)."""
    if x.shape == y.shape:
        return
    try:
        shape = np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        raise InvalidData(
            f"{loss}: {ref(names[0])} has shape {fmt_shape(x.shape)} but {ref(names[1])} has "
            f"shape {fmt_shape(y.shape)}; they must be the same (or broadcast)", hint,
            loss=loss, subjects=names) from None
    t.note(
        f"the {names[1]} shape {fmt_shape(y.shape)} differs from the {names[0]} shape "
        f"{fmt_shape(x.shape)}: both are broadcast to {fmt_shape(shape)}, as PyTorch does "
        "(with a warning) — this is rarely what you want"
    )


def same_shape(x, y, loss: str, names=("pred", "target")) -> None:
    if x.shape != y.shape:
        raise InvalidData(
            f"{loss}: {ref(names[1])} has shape {fmt_shape(y.shape)} but {ref(names[0])} has "
            f"shape {fmt_shape(x.shape)}; they must be the same", loss=loss, subjects=names)


def broadcasts_to(w: np.ndarray, shape, loss: str, name: str, what: str) -> None:
    """A parameter tensor such as weight must broadcast to ``shape`` without growing it."""
    try:
        ok = np.broadcast_shapes(w.shape, shape) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise InvalidData(
            f"{loss}: {ref(name)} has shape {fmt_shape(w.shape)}, which does not broadcast to "
            f"{what} {fmt_shape(shape)}", loss=loss, subjects=(name,))


def in_unit_interval(values: np.ndarray, loss: str, name: str, hint: str | None = None):
    bad = (values < 0) | (values > 1)
    if bad.any():
        at = first_bad(bad)
        raise InvalidData(
            f"{loss}: {ref(name)} must lie in [0, 1]; got {fmt_number(values[at])} at index "
            f"{fmt_index(at)}", hint, loss=loss, subjects=(name,))


def non_negative(values: np.ndarray, loss: str, name: str, what: str,
                 hint: str | None = None):
    """Values such as rates or distances must be >= 0."""
    bad = values < 0
    if bad.any():
        at = first_bad(bad)
        raise InvalidData(
            f"{loss}: {ref(name)} holds {what}, which must be >= 0; got "
            f"{fmt_number(values[at])}" + (f" at index {fmt_index(at)}" if values.ndim else ""),
            hint, loss=loss, subjects=(name,))


def class_indices(
    target: np.ndarray, n_classes: int, ignore_index: int | None, loss: str, name="target"
) -> np.ndarray:
    """Integer class indices in [0, C) (or the ignore index), as int64."""
    frac = target != np.round(target)
    if frac.any():
        at = first_bad(frac)
        raise InvalidData(
            f"{loss}: {ref(name)} holds class indices, which must be integers; got "
            f"{fmt_number(target[at])}" + (f" at index {fmt_index(at)}" if target.ndim else ""),
            loss=loss, subjects=(name,))
    bad = (target < 0) | (target >= n_classes)
    if ignore_index is not None:
        bad &= target != ignore_index
    if bad.any():
        at = first_bad(bad)
        ignored = N_(f" (or the ignore index {ignore_index})") if ignore_index is not None else ""
        where = N_(f"{ref(name)} index {fmt_index(at)}") if target.ndim else ref(name)
        raise InvalidData(
            f"{loss}: class index {fmt_number(target[at])} at {where} "
            f"is out of range for {n_classes} classes: expected 0 to {n_classes - 1}{ignored}",
            loss=loss, subjects=(name,))
    return target.astype(np.int64)
