"""Several losses on the same prediction and target (`losscalc compare`): each computed by
core.compute, and the per-element layout that puts them side by side.

Only NumPy and the core are imported; the command module adds Typer and the output.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .core import Result, compute, spec_for
from .errors import InvalidData, UsageError, ref
from .registry import FROM_PROBS, LossSpec


def resolve_names(text: str) -> list[LossSpec]:
    """`l1,mse,huber` → their specs (aliases allowed; each loss once)."""
    from .names import listed

    def one(name: str):
        spec = spec_for(name)
        if not spec.single_prediction:
            raise UsageError(f"{spec.name} takes {', '.join(t.option for t in spec.tensors)}, "
                             "not one prediction and a target: compare cannot set it beside "
                             "others", f"run it on its own: {spec.example}")
        return spec.name, spec

    specs = listed(text, one)
    if not specs:
        raise UsageError("compare needs losses separated by commas, such as l1,mse,huber")
    return specs


def check_prediction_option(specs: list[LossSpec], alias: str | None) -> None:
    """A prediction given as --logits, --probs or --log-probs fits only the losses that take
    that (e.g. --probs does not fit ce, which applies softmax itself); --pred fits every loss."""
    if alias is None:
        return
    for spec in specs:
        if spec.pred_alias != alias and not (alias == "probs" and spec.takes_probs):
            takes = f"--{spec.pred_alias}" if spec.pred_alias else "--pred"
            raise UsageError(f"{spec.name} does not fit --{alias}: its prediction is {takes}",
                             "give the tensor as --pred to compare losses whose predictions "
                             "have different names")


def prediction_params(specs: list[LossSpec], alias: str | None) -> dict:
    """What the prediction's name sets: --probs sets FROM_PROBS for the losses that take it
    (nll takes their log itself, as its command's --probs does)."""
    takes = alias == "probs" and any(spec.takes_probs for spec in specs)
    return {FROM_PROBS: True} if takes else {}


def params_for(spec: LossSpec, given: dict) -> dict:
    """The given parameters that ``spec`` takes."""
    names = {p.name for p in spec.params}
    return {k: v for k, v in given.items() if k in names}


def unused_params(specs: list[LossSpec], given: dict) -> None:
    """A parameter none of the listed losses takes is a usage error."""
    for name in given:
        if not any(name in {p.name for p in s.params} for s in specs):
            raise UsageError(f"{ref(name)} is a parameter of none of "
                             f"{', '.join(s.name for s in specs)}", subjects=(name,))


def compute_all(specs: list[LossSpec], pred, target, params: dict, reduction: str,
                dtype: str) -> list[Result]:
    """Each loss on the same tensors; the first that does not fit them is named."""
    results = []
    for spec in specs:
        try:
            results.append(compute(spec, pred, target, params_for(spec, params), reduction,
                                   dtype))
        except InvalidData as err:
            message = err.template.removeprefix(f"{spec.name}: ")
            raise InvalidData(f"{spec.name} does not fit these tensors: {message}", err.hint,
                              loss=err.loss, subjects=err.subjects) from None
    return results


class Layout(NamedTuple):
    """Per-element columns side by side: index names, then named columns of numbers.

    ``rows`` hold (index tuple, [numbers]); ``per_element`` says whether the losses' own
    per-element values are there (False: only the gradients, over the prediction's shape,
    because the losses' per-element shapes differ).
    """

    index_names: list[str]
    columns: list[str]
    rows: list
    per_element: bool


def _index_names(ndim: int) -> list[str]:
    from .report import index_names

    return index_names(ndim) if ndim else []


def layout(results: list[Result], pred, target) -> Layout:
    """One row per per-element loss (the same for every loss): pred and target when they
    have its shape, then each loss and its gradient (a row of the class axis for ce-like
    losses); when the losses' per-element shapes differ, one row per prediction element
    with each loss's gradient."""
    from .report import grad_rows, grad_width

    pred, target = np.asarray(pred), np.asarray(target)
    shapes = {np.shape(r.elementwise) for r in results}
    widths = {grad_width(r) for r in results}
    if len(shapes) == 1 and len(widths) == 1:
        (shape,), (width,) = shapes, widths
        columns = []
        aligned = pred.shape == shape
        if aligned:
            columns.append("pred")
        if target.shape == shape:
            columns.append("target")
        grads = ["grad"] if width == 1 else [f"grad{c}" for c in range(width)]
        for r in results:
            columns += [r.loss] + [f"{r.loss}.{g}" for g in grads]
        per_loss = [list(grad_rows(r)) for r in results]
        rows = []
        for k, index in enumerate(np.ndindex(*shape)):
            values = ([pred[index]] if aligned else []) + (
                [target[index]] if target.shape == shape else [])
            for r, entries in zip(results, per_loss):
                values += [np.asarray(r.elementwise)[index], *entries[k][1]]
            rows.append((index, values))
        return Layout(_index_names(len(shape)), columns, rows, True)
    columns = ["pred"] + (["target"] if target.shape == pred.shape else []) + [
        f"{r.loss}.grad" for r in results]
    rows = []
    for index in np.ndindex(*pred.shape):
        values = [pred[index]] + ([target[index]] if target.shape == pred.shape else [])
        rows.append((index, values + [np.asarray(r.grad["pred"])[index] for r in results]))
    return Layout(_index_names(pred.ndim), columns, rows, False)
