"""Reports of a loss: computed in memory, streamed from a table, or several side by side.

A loss's Report is built here once, from core.compute's Result (or a streamed total), so the
loss command, the streamed table and `compare` print the same tables and documents.
"""

from __future__ import annotations

import numpy as np

from ..errors import printable
from ..losses import field_spelling
from ..report import (
    Grid,
    Report,
    csv_header,
    csv_rows,
    grad_columns,
    grad_rows,
    grad_width,
    loss_json,
    nested,
    number,
)
from .numbers import fmt_value


def _explain():
    """The explanation module, loaded only when an explanation is asked for."""
    from . import explain

    return explain


def _index(index) -> str:
    return ", ".join(str(i) for i in index) if index else "·"


def _value_line(value, digits: int) -> str:
    value = np.asarray(value)
    return fmt_value(value, digits) if value.ndim == 0 else f"{value.size} values (below)"


def loss_grids(result, digits: int) -> list[Grid]:
    """A row per element — the inputs of its shape, its loss, its gradient where that is one
    number per element — then a table per gradient that is a row per element (a class axis)."""
    elem = np.asarray(result.elementwise)
    aligned = {name: np.asarray(v) for name, v in result.inputs.items()
               if np.shape(v) == elem.shape}
    grads = {name: columns[0] for name, columns in grad_columns(result).items()
             if grad_width(result, name) == 1}
    rows = []
    for index, *grad in zip(np.ndindex(*elem.shape), *(grad_rows(result, n) for n in grads)):
        cells = [_index(index), *(fmt_value(v[index], digits) for v in aligned.values()),
                 fmt_value(elem[index], digits)]
        rows.append(cells + [fmt_value(values[0], digits) for _, values in grad])
    grids = [Grid("Per-element losses", ["index", *aligned, "loss", *grads.values()], rows)]
    for name in result.grad:
        if grad_width(result, name) != 1:
            grids.append(_gradient_grid(result, name, digits))
    return grids


def _gradient_grid(result, name: str, digits: int) -> Grid:
    grad = np.asarray(result.grad[name])
    title = f"Gradient ∂value/∂{name}"
    if grad.ndim == 2:
        return Grid(title, ["row"] + [str(c) for c in range(grad.shape[1])],
                    [[str(r)] + [fmt_value(v, digits) for v in row]
                     for r, row in enumerate(grad)])
    return Grid(title, ["index", "grad"], [[_index(index), fmt_value(grad[index], digits)]
                                            for index in np.ndindex(*grad.shape)])


def loss_report(result, spec, notes=()) -> Report:
    """The Report of one computed loss; ``notes`` are the door's own (rows skipped, the
    gradient check) after the loss's diagnoses."""
    return Report(
        name=result.loss,
        detail=f"reduction {result.reduction} · {result.dtype}",
        value=result.value,
        json=loss_json(result),
        csv_header=csv_header(result),
        csv_rows=csv_rows(result),
        grids=lambda digits, full: loss_grids(result, digits),
        notes=[*result.notes, *notes],
        explanation=lambda digits, full: _explain().build(result, spec, digits, full),
        steps=lambda: _explain().steps_json(result, spec),
        shown_value=lambda digits: _value_line(result.value, digits),
    )


def streamed_report(streamed, notes=()) -> Report:
    """The Report of a table too large to hold: its value only (the per-element losses and
    the gradient were not kept), in the document a loss's JSON has."""
    document = {"loss": streamed.loss, "reduction": streamed.reduction,
                "dtype": streamed.dtype, "value": nested(streamed.value), "elementwise": None,
                "grad": None, "shape": streamed.shape, "params": streamed.params}
    return Report(
        name=streamed.loss,
        detail=f"reduction {streamed.reduction} · {streamed.dtype} · {streamed.rows:,} rows "
               "streamed",
        value=np.asarray(streamed.value),
        json=document,
        csv_header=["loss"],
        csv_rows=[[streamed.value]],
        grids=lambda digits, full: [],
        notes=[*streamed.notes, *notes],
        shown_value=lambda digits: fmt_value(streamed.value, digits),
    )


# ---------------------------------------------------------------------------------------------
# compare: several losses side by side


def compare_report(results, pred, target) -> Report:
    """Several losses on the same tensors: a value each, then per element each one's loss
    and gradient (the layout of losscalc.comparison)."""
    from ..comparison import layout

    lay = layout(results, pred, target)
    r0 = results[0]
    return Report(
        name="compare",
        detail=f"reduction {r0.reduction} · {r0.dtype}",
        value=np.concatenate([np.asarray(r.value, dtype=float).reshape(-1) for r in results]),
        json=[loss_json(r) for r in results],
        csv_header=lay.index_names + lay.columns,
        csv_rows=[[str(i) for i in index] + values for index, values in lay.rows],
        grids=lambda digits, full: _compare_grids(results, lay, digits),
        notes=[f"{r.loss}: {note}" for r in results for note in r.notes],
        plain=["\t".join([r.loss, *(repr(float(v)) for v in np.asarray(r.value).reshape(-1))])
               for r in results],
    )


def _compare_grids(results, lay, digits: int) -> list[Grid]:
    values = []
    for r in results:
        value = np.asarray(r.value)
        params = ", ".join(f"{k}={_short(v)}" for k, v in r.params.items() if v is not None)
        values.append([r.loss, fmt_value(value, digits) if value.ndim == 0 else
                       f"{value.size} values (json)", params])
    grids = [Grid("Values", ["loss", "value", "parameters"], values)]
    width = grad_width(results[0])
    if not (lay.per_element and width > 1):
        title = ("Per-element losses and gradients (∂ = ∂value/∂pred)" if lay.per_element else
                 "Gradients ∂value/∂pred (the losses' per-element shapes differ)")
        return grids + [_layout_grid(title, lay, lay.columns, digits)]
    # A class axis: the losses per sample, then each loss's gradient rows.
    grids.append(_layout_grid("Per-sample losses", lay,
                              [c for c in lay.columns if "." not in c], digits))
    for r in results:
        title = f"{r.loss}: gradient ∂value/∂pred"
        grad = np.asarray(r.grad["pred"])
        if r.class_axis != grad.ndim - 1:  # the class axis is not the last: layout's columns
            columns = [c for c in lay.columns if c.startswith(f"{r.loss}.grad")]
            grids.append(_layout_grid(title, lay, columns, digits))
            continue
        grids.append(Grid(title, ["row"] + [str(c) for c in range(width)],
                          [[str(i)] + [fmt_value(v, digits) for v in row]
                           for i, row in enumerate(grad.reshape(-1, width))]))
    return grids


def _layout_grid(title: str, lay, columns: list[str], digits: int) -> Grid:
    """The layout's rows, with only ``columns`` (and the index)."""
    picks = [lay.columns.index(c) for c in columns]
    head = ["index"] if lay.index_names else []
    rows = [([", ".join(map(str, index))] if lay.index_names else []) +
            [fmt_value(values[i], digits) for i in picks] for index, values in lay.rows]
    return Grid(title, head + [_heading(c) for c in columns], rows)


def _heading(column: str) -> str:
    """A table heading: `huber.grad` → `∂huber`, `ce.grad2` → `∂ce[2]` (narrower than csv's)."""
    name, _, grad = column.partition(".grad")
    if not _:
        return column
    return f"∂{name}" + (f"[{grad}]" if grad else "")


def _short(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return f"{value:g}" if isinstance(value, float) else str(value)


# ---------------------------------------------------------------------------------------------
# check: graded answers


def _grade_json(g) -> dict:
    document = {"line": g.line, "id": g.id, "loss": g.loss, "expect": g.expect}
    if g.error is not None:
        return {**document, "error": g.error.render(field_spelling), "hint": g.error.translated_hint,
                "exit_code": g.error.exit_code}
    return {**document, "value": nested(g.value), "difference": number(g.difference),
            "ok": bool(g.ok)}


def _verdict(g) -> str:
    return "error" if g.error is not None else ("right" if g.ok else "wrong")


def check_report(grades, tally) -> Report:
    """Graded answers: per problem the expected answer, the computed value, their difference
    and the verdict; problems that could not be computed with their line and error."""
    right = sum(bool(g.ok) for g in grades)
    with_id = any(g.id is not None for g in grades)
    document = {"count": tally.count, "right": right, "wrong": tally.failed,
                "errors": tally.errors, "answers": [_grade_json(g) for g in grades]}
    return Report(
        name="check",
        detail=f"{right} of {len(grades)} right",
        value=np.asarray([np.nan if g.value is None or g.value.ndim else float(g.value)
                          for g in grades]),
        json=document,
        csv_header=["line", "id", "loss", "expected", "value", "difference", "verdict",
                    "error"],
        csv_rows=[[str(g.line), "" if g.id is None else printable(str(g.id)), g.loss or "",
                   printable(g.expect or ""), _csv_value(g),
                   "" if g.difference is None else repr(float(g.difference)), _verdict(g),
                   "" if g.error is None else g.error.one_line(field_spelling)] for g in grades],
        grids=lambda digits, full: [_answers_grid(grades, with_id, digits)],
        notes=[],
        plain=[f"{g.line}\t{_verdict(g)}\t" + (_csv_value(g) if g.error is None else
                                                 g.error.one_line(field_spelling))
               for g in grades],
        footer=[f"line {g.line}: {g.error.one_line(field_spelling)}" for g in grades
                if g.error is not None],
    )


def _csv_value(g) -> str:
    if g.value is None:
        return ""
    return " ".join(repr(float(v)) for v in np.asarray(g.value).reshape(-1))


def _answers_grid(grades, with_id: bool, digits: int) -> Grid:
    rows = []
    for g in grades:
        cells = [str(g.line)] + ([str("" if g.id is None else g.id)] if with_id else [])
        cells += [g.loss or "?", g.expect or "—"]
        if g.error is not None:
            cells += ["error", "", "✗"]
        else:
            value = (fmt_value(g.value, digits) if g.value.ndim == 0 else
                     f"{g.value.size} values")
            cells += [value, fmt_value(g.difference, digits), "✓" if g.ok else "✗"]
        rows.append(cells)
    columns = ["line"] + (["id"] if with_id else []) + ["loss", "expected", "value",
                                                         "difference", ""]
    return Grid("Answers", columns, rows)
