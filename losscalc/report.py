"""The report: what one question produced, in the shape every output form is written from.

Every door — a loss command, the streamed table, `act`, `info`, `backprop`, `compare`, `check`
— builds a Report and hands it to the one emitter (losscalc.render.emit). This module holds
the Report itself and the machine-readable shapes of a loss's result: its JSON document
(docs/contract.md, "JSON") and its CSV rows, which the emitter, `batch` and the streamed path
all take from here. Only NumPy is imported.
"""

from __future__ import annotations

import math
from typing import Any, Callable, NamedTuple

import numpy as np


class Grid(NamedTuple):
    """A table of cells already formatted as text: a title, column names, rows."""

    title: str
    columns: list[str]
    rows: list[list[str]]


class Report(NamedTuple):
    """What a command computed, ready for every output form.

    The parts that depend on --digits/--all (``grids``, ``explanation``) are functions of
    ``(digits, full)``, so nothing is formatted that is not printed.
    """

    name: str  # the bold first word of the table output
    detail: str  # the settings after it (reference, reduction, dtype)
    value: Any  # what plain prints (one number a line) and --expect checks
    json: Any  # the JSON document, without "steps"
    csv_header: list[str]
    csv_rows: list  # rows of cells: text as given, numbers as repr(float)
    grids: Callable  # (digits, full) → [Grid]
    notes: list[str]  # diagnoses and facts for stderr (the explanation shows its own)
    explanation: Callable | None = None  # (digits, full) → explain.Explanation
    steps: Callable | None = None  # () → [{"text", "value"}] for JSON with --explain
    shown_value: Callable | None = None  # (digits) → the "value …" line of the table
    plain: list[str] | None = None  # plain lines, when not the values one per line
    footer: list[str] = []  # lines after the table (check's problems that failed), in red


# ---------------------------------------------------------------------------------------------
# JSON


def number(v) -> float | str:
    """A JSON-ready number: non-finite values become "inf", "-inf", "nan"."""
    v = float(v)
    if math.isfinite(v):
        return v
    return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")


def nested(array) -> object:
    """An array as nested lists of JSON-ready numbers (a 0-d array as one number)."""
    array = np.asarray(array)
    if array.ndim == 0:
        return number(array)
    return [nested(row) for row in array] if array.ndim > 1 else [number(v) for v in array]


def strict(value):
    """A JSON-ready value with every non-finite number a string ("inf", "-inf", "nan"), at
    any depth: in values, params and the ids and fields a door echoes."""
    if isinstance(value, dict):
        return {str(k) if not isinstance(k, str) else k: strict(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    if isinstance(value, np.ndarray):
        return nested(value)
    if isinstance(value, (float, np.floating)):
        return number(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def dumps(document) -> str:
    """The one JSON writer: strict JSON (no bare Infinity or NaN), UTF-8 text as it is but for
    the characters that could drive a terminal."""
    import json
    import re

    text = json.dumps(strict(document), ensure_ascii=False, allow_nan=False)
    # json escapes C0 controls itself; DEL, C1 controls (\x9b is a terminal's CSI), the line
    # separators and lone surrogates (bytes that were not UTF-8) only occur inside strings.
    return re.sub("[\x7f-\x9f\u2028\u2029\ud800-\udfff]",
                  lambda m: f"\\u{ord(m.group()):04x}", text)


def json_params(values: dict) -> dict:
    """Parameter values as JSON: tensors as nested lists, non-finite numbers as strings."""
    out = {}
    for key, value in values.items():
        if isinstance(value, np.ndarray):
            value = nested(value)
        elif isinstance(value, float):
            value = number(value)
        out[key] = value
    return out


def loss_json(result) -> dict:
    """A loss's JSON document, keys in the contract's order (batch and compare add theirs
    around it)."""
    return {
        "loss": result.loss,
        "reduction": result.reduction,
        "dtype": result.dtype,
        "value": nested(result.value),
        "elementwise": nested(result.elementwise),
        "grad": {k: nested(v) for k, v in result.grad.items()},
        "shape": result.shape,
        "params": result.params,  # core.compute wrote them with json_params
    }


# ---------------------------------------------------------------------------------------------
# Per-element rows (CSV, tables, compare)


def index_names(ndim: int) -> list[str]:
    """The index columns of an array of ``ndim`` axes (none for a scalar)."""
    if ndim == 0:
        return []
    return ["index"] if ndim == 1 else [f"index{i}" for i in range(ndim)]


def grad_rows(result, name: str = "pred"):
    """For each per-element loss, its index and the gradient entries that belong to it.

    Same shape: one gradient entry per loss. A loss over a class axis (ce, multilabel): that
    sample's gradient row along the class axis. Otherwise (broadcast shapes) no gradient.
    """
    elem = np.asarray(result.elementwise)
    grad = np.asarray(result.grad[name])
    axis = result.class_axis
    for index in np.ndindex(*elem.shape):
        if grad.shape == elem.shape:
            yield index, [grad[index]]
        elif axis is not None and grad.ndim == elem.ndim + 1:
            yield index, list(grad[index[:axis] + (slice(None),) + index[axis:]])
        else:
            yield index, []


def grad_width(result, name: str = "pred") -> int:
    """How many gradient entries belong to one per-element loss (0: none, broadcast)."""
    elem, grad = np.asarray(result.elementwise), np.asarray(result.grad[name])
    if grad.shape == elem.shape:
        return 1
    if result.class_axis is not None and grad.ndim == elem.ndim + 1:
        return grad.shape[result.class_axis]
    return 0


def grad_columns(result) -> dict[str, list[str]]:
    """The gradient columns of a row, per tensor: grad (grad0, grad1 … for a class row), or
    grad_x1, grad_x2 … for a loss of several tensors. Broadcast gradients get none."""
    out = {}
    for name in result.grad:
        width = grad_width(result, name)
        stem = "grad" if list(result.grad) == ["pred"] else f"grad_{name}"
        out[name] = [stem] if width == 1 else [f"{stem}{c}" for c in range(width)]
    return out


def csv_header(result) -> list[str]:
    """The columns of a loss's CSV: index, loss, then the gradient columns."""
    grads = [c for columns in grad_columns(result).values() for c in columns]
    return index_names(np.ndim(result.elementwise)) + ["loss"] + grads


def csv_rows(result, offset: int = 0) -> list[list]:
    """One row per element: its index (the first shifted by ``offset``), loss, gradient."""
    elem = np.asarray(result.elementwise)
    per_tensor = [grad_rows(result, name) for name in result.grad]
    rows = []
    for entries in zip(*per_tensor):
        index = entries[0][0]
        shifted = (index[0] + offset, *index[1:]) if index else index
        row = [str(i) for i in shifted] + [elem[index]]
        rows.append(row + [g for _, grad in entries for g in grad])
    return rows


def csv_lines(header: list[str] | None, rows) -> str:
    """CSV text: the header line (if any), then one line per row; numbers as repr(float), the
    shortest text that reads back as the same double."""
    def cell(v):
        return v if isinstance(v, str) else repr(float(v))

    lines = ([",".join(header)] if header is not None else []) + [
        ",".join(cell(v) for v in row) for row in rows]
    return "".join(line + "\n" for line in lines)


def plain_values(values) -> str:
    """Every number on a line of its own, row-major, as repr(float): round-trips the double."""
    return "".join(f"{float(v)!r}\n" for v in np.asarray(values).reshape(-1))
