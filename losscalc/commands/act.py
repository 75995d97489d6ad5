"""`losscalc act NAME --x …`: an activation's values and derivative (or Jacobian), as
PyTorch's autograd gives them, in every output form, with --explain."""

from __future__ import annotations

from typing import Optional

import numpy as np
import typer

from .. import activations
from ..errors import UsageError
from ..inputs import parse_range
from .common import OUTPUT_OPTIONS, Report, command, emit, json_steps, one_stdin, tensor
from .options import TENSOR_HELP, encoding_option, param_options, read_params

_PARAMS = {p.name: p for spec in activations.ACTIVATIONS.values() for p in spec.params}
POINTS = 100  # --range's inputs when --points is not given


def _param_options() -> dict:
    """One option per activation parameter of the registry (None: not given)."""
    return param_options(activations.ACTIVATIONS.values(), own=True)


OPTIONS = {
    "name": (str, ..., typer.Argument(metavar="NAME", help="The activation (see the list "
                                                           "above).", show_default=False,
                                      autocompletion=activations.complete)),
    "x": (Optional[str], None, typer.Option("--x", "-x", metavar="TENSOR",
                                            help=f"The inputs. {TENSOR_HELP}")),
    "range": (Optional[str], None, typer.Option(
        "--range", metavar="A:B", help="Inputs linspace(A, B, --points), as torch.linspace "
                                       "(A > B counts down).")),
    "points": (Optional[int], None, typer.Option(
        "--points", min=1, metavar="N", help=f"How many inputs --range makes [default: "
                                             f"{POINTS}].")),
    "num": (Optional[int], None, typer.Option("--num", min=1, hidden=True,
                                              help="Same as --points (its former name).")),
    "upstream": (Optional[str], None, typer.Option(
        "--upstream", "-u", metavar="TENSOR",
        help="The upstream gradient u (x's shape): x.grad is then the vector-Jacobian "
             "product, the gradient of (y·u).sum() (default u = 1, of y.sum()).")),
    **_param_options(),
    **encoding_option(),
    **OUTPUT_OPTIONS,
}


def _help() -> str:
    rows = "\n".join(f"  {s.name:<12}{s.formula}" for s in activations.ACTIVATIONS.values())
    aliases = "; ".join(f"{s.name}: {', '.join(s.aliases)}"
                        for s in activations.ACTIVATIONS.values()
                        if s.aliases)
    return f"""An activation's values and its derivative, as PyTorch computes them.

\b
{rows}

Elementwise functions give f′(x) per element; softmax, log-softmax and hardmax act on each
row along --dim and give the Jacobian ∂y_i/∂x_j of each row. x.grad is what autograd returns
after (y·u).sum().backward(): with the default u = 1 it is the gradient of y.sum() (f′(x), or
exactly 0 for softmax, whose rows always sum to 1). Conventions at kinks are PyTorch's
(relu′(0) = 0, leaky_relu′(0) = slope, elu′(0) = α).

\b
Output: plain prints the values, one per line; csv one row per
element: index, x, value, derivative (u and x.grad with --upstream;
along --dim: x, value, u, x.grad); json {{"act", "dtype", "value",
"grad": {{"x"}}, "derivative" (elementwise) or "jacobian" (rows…, C, C;
null beyond {activations.JACOBIAN_MAX} classes), "shape": {{"x"}}, "params"}}.

\b
Examples:
  losscalc act sigmoid --x -2,0,2 --explain
  losscalc act tanh --range -10:10 --points 100 --json
  losscalc act softmax --x '-1,2,-3,4; -2,3,-3,9' --upstream '1,0,0,0; 0,1,0,0'

Aliases: {aliases}."""


def _points(opts: dict) -> int | None:
    """--points, or its hidden former name --num."""
    if opts["points"] is not None and opts["num"] is not None:
        raise UsageError("give --points once (--num is its former name)")
    return opts["num"] if opts["points"] is None else opts["points"]


def _inputs(opts: dict) -> np.ndarray:
    if opts["x"] is not None and opts["range"] is not None:
        raise UsageError("give --x or --range, not both")
    points = _points(opts)
    if opts["range"] is None:
        if points is not None:
            raise UsageError("--points goes with --range A:B")
        if opts["x"] is None:
            raise UsageError("act needs --x (or --range A:B)",
                             f"for example: {activations.resolve(opts['name']).example}")
        return tensor(opts["x"], "--x")
    start, end = parse_range(opts["range"])
    return activations.linspace(start, end, POINTS if points is None else points, opts["dtype"])


def apply_activation(opts: dict) -> None:
    spec = activations.resolve(opts["name"])
    one_stdin(opts, ["x", "upstream"])
    x = _inputs(opts)
    upstream = tensor(opts["upstream"], "--upstream")
    params = read_params(_PARAMS.values(), opts)
    result = activations.compute_act(spec, x, params, opts["dtype"], upstream)
    emit(report(result, spec), opts)


app = command(apply_activation, OPTIONS, "act", _help())


# ---------------------------------------------------------------------------------------------
# The result in every form


def _settings(result: activations.ActResult, spec: activations.Activation) -> str:
    params = ", ".join(f"{k}={v}" for k, v in result.params.items())
    return f"{spec.reference.split(' (')[0]}" + (f" ({params})" if params else "")


def _index_columns(ndim: int) -> list[str]:
    from ..report import index_names

    return index_names(ndim) if ndim else []


def _per_element(result: activations.ActResult):
    """Column names and, per element, its values: x, value, f′ (elementwise), u, x.grad."""
    columns = {"x": result.x, "value": result.value}
    if result.derivative is not None:
        columns["derivative"] = result.derivative
    if result.upstream is not None:
        columns["u"] = result.upstream
    if result.upstream is not None or result.derivative is None:
        columns["x.grad"] = result.grad
    rows = [(index, [a[index] for a in columns.values()]) for index in np.ndindex(*result.x.shape)]
    return list(columns), rows


def report(result: activations.ActResult, spec: activations.Activation) -> Report:
    from ..report import nested

    obj = {"act": result.act, "dtype": result.dtype, "value": nested(result.value),
           "grad": {"x": nested(result.grad)}}
    if spec.along_axis:
        obj["jacobian"] = None if result.jacobian is None else nested(result.jacobian)
    else:
        obj["derivative"] = nested(result.derivative)
    obj["shape"] = {"x": list(result.x.shape)}
    if result.upstream is not None:
        obj["shape"]["upstream"] = list(result.upstream.shape)
    obj["params"] = result.params
    names, rows = _per_element(result)
    jac = [] if result.jacobian is None else [{"text": "J = ∂y_i/∂x_j (each row)",
                                               "value": nested(result.jacobian)}]
    return Report(
        name=result.act, detail=f"{_settings(result, spec)} · {result.dtype}",
        value=result.value, json=obj,
        csv_header=_index_columns(result.x.ndim) + names,
        csv_rows=[[str(i) for i in index] + values for index, values in rows],
        grids=lambda digits, full: _grids(result, digits, full),
        explanation=lambda digits, full: explain(result, spec, digits, full),
        steps=lambda: json_steps(result.steps) + jac,
        notes=list(result.notes),
    )


JACOBIAN_TABLE_MAX = 10  # classes beyond which the table leaves the Jacobian to --json
SHOWN_ROWS = 3


def _grids(result: activations.ActResult, digits: int, full: bool):
    from ..render.explain import fmt_value
    from ..render.table import Grid

    names, rows = _per_element(result)
    columns = (["index"] if result.x.ndim else []) + names
    grids = [Grid("Values" + (" and derivative" if result.derivative is not None else
                              " and gradient"), columns,
                  [([", ".join(map(str, i))] if result.x.ndim else []) +
                   [fmt_value(v, digits) for v in values] for i, values in rows])]
    jac = result.jacobian
    if jac is not None and jac.shape[-1] <= JACOBIAN_TABLE_MAX:
        batch = list(np.ndindex(*jac.shape[:-2]))
        for index in batch if full else batch[:SHOWN_ROWS]:
            where = f", row {', '.join(map(str, index))}" if index else ""
            grids.append(Grid(f"Jacobian ∂y_i/∂x_j{where}",
                              ["i \\ j"] + [str(j) for j in range(jac.shape[-1])],
                              [[str(i)] + [fmt_value(v, digits) for v in row]
                               for i, row in enumerate(jac[index])]))
        if len(batch) > SHOWN_ROWS and not full:
            grids.append(Grid(f"… {len(batch) - SHOWN_ROWS} more rows' Jacobians (--all)",
                              [""], []))
    return grids


def explain(result: activations.ActResult, spec: activations.Activation, digits: int = 6,
            full: bool = False):
    """The computation as a teacher writes it: formulas, then each element (or row) with its
    numbers, then the derivative; every number is one the computation produced."""
    from ..render.explain import (
        Explanation,
        Prose,
        Section,
        branch_lines,
        constants_section,
        fmt_array,
        sample_sections,
        step_line,
    )

    steps = [s for s in result.steps if s.stage == "sample"]
    grad_steps = [s for s in result.steps if s.stage == "grad"]
    x, upstream = result.x, result.upstream
    batched = x.ndim >= 1 and (result.axis is None or result.axis != 0)
    count = x.shape[0] if batched else None
    label = "element" if x.ndim == 1 and result.axis is None else "row"

    formulas = [f"{s.name} = {s.formula}" for s in steps]
    if spec.along_axis:
        formulas.append(Prose(f"derivative: {spec.derivative}"))
    formulas += [f"{s.name} = {s.formula}" for s in grad_steps if s.name == "x.grad"]
    if any("exp" in f or "ln" in f for f in formulas if not isinstance(f, Prose)):
        formulas.append(Prose("exp and ln are base e, as in PyTorch"))
    sections = [Section("formulas", formulas), *constants_section(result.steps, digits, full)]

    def sample(view, n):
        def pick(a):
            return fmt_array(a if n is None else a[n], digits, full)

        lines = [f"x = {pick(x)}"]
        if result.upstream is not None or spec.vjp is not None:
            lines.append(f"u = {pick(np.ones_like(x) if upstream is None else upstream)}")
        for s in steps:  # each with the branch its piecewise parts took (relu's x > 0)
            lines += [step_line(s, view), *branch_lines(s.node, view, {"x": pick(x)})]
        if result.jacobian is not None:
            lines.append(f"J = {pick(result.jacobian)}")
        return lines + [step_line(s, view) for s in grad_steps]

    sections += sample_sections(count, label, digits, full, sample)

    gradient = []
    if spec.along_axis and result.jacobian is not None:
        gradient.append(Prose("J is read off autograd: one backward pass per output y_i; row "
                              "i holds ∂y_i/∂x_j"))
    if result.upstream is None and not spec.along_axis:
        gradient.append(Prose(f"x.grad of y.sum() (u = 1) is the derivative itself: x.grad = "
                              f"{spec.symbol}′"))
    else:
        gradient.append(Prose("x.grad = uᵀJ: what autograd gives for (y·u).sum().backward()"))
    gradient.append(f"x.grad = {fmt_array(result.grad, digits, full)}")
    gradient += [Prose(r) for r in result.remarks]
    sections.append(Section("gradient", gradient))
    title = f"{result.act}: {_settings(result, spec)} · {result.dtype}"
    return Explanation(title, sections, list(result.notes))
