"""Output for scripts: plain numbers, JSON and CSV (SPEC §2). Full precision, no rich.

Plain prints the shortest string that round-trips the double, ``repr(float(v))``, so a float32
result prints exactly like PyTorch's ``loss.item()``.
"""

from __future__ import annotations

import math

import numpy as np


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


def plain(result) -> str:
    return plain_values(result.value)


def plain_values(values) -> str:
    """Every number on a line of its own, row-major, as repr(float): round-trips the double."""
    return "\n".join(repr(float(v)) for v in np.asarray(values).reshape(-1)) + "\n"


def csv_text(header: list[str], rows) -> str:
    """A header line, then one line per row; numbers as repr(float), other cells as given."""
    def cell(v):
        return v if isinstance(v, str) else repr(float(v))

    return "\n".join([",".join(header), *(",".join(cell(v) for v in row) for row in rows)]) + "\n"


def to_json(result, steps=None) -> str:
    import json  # plain output, the common case, does not need it

    return json.dumps(json_object(result, steps), ensure_ascii=False) + "\n"


def json_object(result, steps=None) -> dict:
    """SPEC §2's JSON object, keys in its order (batch and compare add theirs around it)."""
    obj = {
        "loss": result.loss,
        "reduction": result.reduction,
        "dtype": result.dtype,
        "value": nested(result.value),
        "elementwise": nested(result.elementwise),
        "grad": {k: nested(v) for k, v in result.grad.items()},
        "shape": result.shape,
        "params": result.params,
    }
    if steps is not None:
        obj["steps"] = steps
    return obj


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
    elem, grad = np.asarray(result.elementwise), np.asarray(result.grad[name])
    if grad.shape == elem.shape:
        return 1
    if result.class_axis is not None and grad.ndim == elem.ndim + 1:
        return grad.shape[result.class_axis]
    return 0


def index_names(ndim: int) -> list[str]:
    return ["index"] if ndim == 1 else [f"index{i}" for i in range(ndim)]


def grad_columns(result) -> dict[str, list[str]]:
    """The gradient columns of a row, per tensor: grad (grad0, grad1 … for a class row), or
    grad_x1, grad_x2 … for a loss of several tensors. Broadcast gradients get none."""
    out = {}
    for name in result.grad:
        width = grad_width(result, name)
        stem = "grad" if list(result.grad) == ["pred"] else f"grad_{name}"
        out[name] = [stem] if width == 1 else [f"{stem}{c}" for c in range(width)]
    return out


def csv_header(result) -> str:
    elem = np.asarray(result.elementwise)
    grads = [c for columns in grad_columns(result).values() for c in columns]
    return ",".join((index_names(elem.ndim) if elem.ndim else []) + ["loss"] + grads) + "\n"


def csv_rows(result, offset: int = 0) -> str:
    """One line per element: its index (the first shifted by ``offset``), loss, gradient."""
    elem = np.asarray(result.elementwise)
    per_tensor = [grad_rows(result, name) for name in result.grad]
    lines = []
    for rows in zip(*per_tensor):
        index = rows[0][0]
        shifted = (index[0] + offset, *index[1:]) if index else index
        fields = [str(i) for i in shifted] + [repr(float(elem[index]))]
        fields += [repr(float(g)) for _, grad in rows for g in grad]
        lines.append(",".join(fields))
    return "\n".join(lines) + "\n" if lines else ""


def to_csv(result) -> str:
    return csv_header(result) + csv_rows(result)
