"""Heuristics that spot the mistakes the tutorials this tool grew out of actually make
(probabilities fed to a logits loss, logits to a probability loss, swapped arguments, class
labels given to a regression loss). Each returns the note to show, or None. NumPy only."""

from __future__ import annotations

import numpy as np

from .checks import fmt_index, fmt_number


def _rows(v: np.ndarray, axis: int) -> np.ndarray:
    """The values with the class axis last, as (rows, C)."""
    return np.moveaxis(v, axis, -1).reshape(-1, v.shape[axis])


def _first_row_off(sums: np.ndarray, tol: float):
    off = np.abs(sums - 1) > tol
    return (int(np.argmax(off)), float(sums[np.argmax(off)])) if off.any() else None


def looks_like_probabilities(v: np.ndarray, axis: int) -> bool:
    """All in [0, 1] with every row summing to about 1 (rounded tutorial data included)."""
    if v.ndim == 0 or v.shape[axis] < 2 or v.min() < 0 or v.max() > 1:
        return False
    return _first_row_off(_rows(v, axis).sum(-1), 0.15) is None


def probabilities_as_logits(z: np.ndarray, axis: int) -> str | None:
    if looks_like_probabilities(z, axis):
        return ("--logits look like probabilities (in [0, 1], rows summing to 1): ce applies "
                "softmax to them again; pass raw scores, or use nll on their log")
    return None


def not_log_probabilities(x: np.ndarray, axis: int, option: str, fix: str) -> str | None:
    """Log-probabilities are <= 0 and exp of each row sums to 1."""
    if x.size == 0:
        return None
    if x.max() > 0:
        return f"{option} has positive values, so they are not log-probabilities: {fix}"
    if x.ndim == 0:
        return None
    with np.errstate(over="ignore"):
        off = _first_row_off(np.exp(_rows(x, axis)).sum(-1), 0.05)  # rounded input is fine
    if off:
        return (f"{option} are not log-probabilities: exp of row {off[0]} sums to "
                f"{off[1]:.4g}, not 1; {fix}")
    return None


def not_probabilities(q: np.ndarray, axis: int, option: str) -> str | None:
    """Probabilities are in [0, 1]; a row that does not sum to 1 is used as given."""
    if q.size == 0:
        return None
    if q.min() < 0 or q.max() > 1:
        return (f"{option} has values outside [0, 1], so they are not probabilities (ln of a "
                "negative value is nan): for log-probabilities use --log-probs, for raw scores "
                "ce")
    off = None if q.ndim == 0 else _first_row_off(_rows(q, axis).sum(-1), 1e-6)
    if off:
        return (f"row {off[0]} of {option} sums to {off[1]:.6g}, not 1; nll takes ln q as "
                "given (nothing is normalised)")
    return None


def target_rows(y: np.ndarray, axis: int, log_target: bool = False) -> str | None:
    """Probability targets whose rows do not sum to 1 (PyTorch uses them as given).

    ``axis`` is the prediction's class axis; a target of fewer dimensions, broadcast to the
    prediction (kl: --log-probs '0;' against --target 0,0), may not have it: no note then.
    """
    if y.ndim == 0 or axis >= y.ndim or y.shape[axis] < 2:
        return None
    with np.errstate(over="ignore"):
        rows = _rows(np.exp(y) if log_target else y, axis)
    off = _first_row_off(rows.sum(-1), 1e-3)
    if off:
        return (f"--target row {off[0]} sums to {off[1]:.4g}, not 1: it is used as given "
                "(as PyTorch does), so the loss is not a cross entropy of distributions")
    return None


def one_hot_targets(y: np.ndarray, axis: int) -> str | None:
    rows = _rows(y, axis)
    if np.isin(rows, (0, 1)).all() and (rows.sum(-1) == 1).all():
        return ("--target has the logits' shape, so it is read as class probabilities "
                "(one-hot rows: the same loss as class indices, without --ignore-index)")
    return None


def logits_as_probabilities(x: np.ndarray) -> str | None:
    if x.size > 1 and x.min() >= 0 and x.max() <= 1:
        return ("--logits are all in [0, 1]: if they are probabilities, use bce; bce-logits "
                "applies the sigmoid itself")
    return None


def targets_outside_unit(y: np.ndarray) -> str | None:
    bad = (y < 0) | (y > 1)
    if bad.any():
        at = np.unravel_index(int(np.argmax(bad)), y.shape) if y.ndim else ()
        return (f"--target holds {fmt_number(y[at])}"
                + (f" at index {fmt_index(at)}" if y.ndim else "")
                + ", outside [0, 1]: binary targets are probabilities — are --logits and "
                  "--target swapped?")
    return None


def class_labels_for_regression(x: np.ndarray, y: np.ndarray, loss: str) -> str | None:
    """A (N, C) prediction with N integer labels in [0, C): a classification problem."""
    if x.ndim != 2 or y.shape != x.shape[:1] or x.shape[1] < 2:
        return None
    if np.all(y == np.round(y)) and y.min() >= 0 and y.max() < x.shape[1]:
        return (f"--target looks like class indices for a {x.shape[0]}×{x.shape[1]} "
                f"prediction: {loss} broadcasts them against every column — did you mean ce "
                "(or nll)?")
    return None
