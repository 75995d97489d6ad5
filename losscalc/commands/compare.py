"""`losscalc compare LOSS,LOSS,… --pred … --target …`: several losses on the same input, side
by side — value, and per element the loss and gradient of each."""

from __future__ import annotations

import os
import sys
from typing import Optional

import numpy as np
import typer

from .. import compare as C
from ..errors import UsageError
from ..registry import REDUCTIONS, all_losses
from ..run import output_format, write_notes
from ..tape import DTYPES
from .common import command, one_stdin, tensor
from .options import TENSOR_HELP, choice, param_option

FORMATS = ("table", "plain", "json", "csv")


def _specs():
    return list(all_losses().values())


def _aliases() -> list[str]:
    """The prediction's other names in the registry (logits, probs, log-probs, …)."""
    seen = []
    for spec in _specs():
        if spec.pred_alias and spec.pred_alias not in seen:
            seen.append(spec.pred_alias)
    return seen


def _key(option_name: str) -> str:
    return option_name.replace("-", "_")


def _fixed_options() -> dict:
    Format = choice("CompareFormat", FORMATS)
    Dtype = choice("Dtype", DTYPES)
    reductions = tuple(dict.fromkeys(r for s in _specs() for r in (*REDUCTIONS, *s.reductions)))
    Reduction = choice(f"CompareReduction_{len(reductions)}", reductions)
    options = {
        "losses": (str, ..., typer.Argument(metavar="LOSS,LOSS,…", show_default=False,
                                            help="The losses, separated by commas.")),
        "pred": (Optional[str], None, typer.Option("--pred", "-p", metavar="TENSOR",
                                                   help=f"The prediction. {TENSOR_HELP}")),
    }
    for alias in _aliases():
        users = ", ".join(s.name for s in _specs() if s.pred_alias == alias)
        options[_key(alias)] = (Optional[str], None, typer.Option(
            f"--{alias}", metavar="TENSOR",
            help=f"The prediction, named as {users} name it (only those fit it)."))
    options.update({
        "target": (Optional[str], None, typer.Option("--target", "-t", metavar="TENSOR",
                                                     help="The targets.")),
        "reduction": (Reduction, Reduction("mean"), typer.Option(
            "--reduction", "-r", help="How every loss reduces its per-element losses.")),
        "dtype": (Dtype, Dtype("float64"), typer.Option("--dtype",
                                                        help="Computation precision.")),
        "format": (Optional[Format], None, typer.Option(
            "--format", "-f", help="Output form [default: table on a terminal, plain "
                                   "otherwise].")),
        "json": (bool, False, typer.Option("--json", help="Same as --format json.")),
        "digits": (int, 6, typer.Option("--digits", min=1, max=17,
                                        help="Significant digits in tables (1 to 17).")),
        "all": (bool, False, typer.Option("--all", help="Do not truncate long tables.")),
        "no_color": (bool, False, typer.Option("--no-color",
                                               help="No colour (NO_COLOR does the same).")),
        "quiet": (bool, False, typer.Option("--quiet", "-q", help="No notes on stderr.")),
    })
    return options


def _param_options(taken: set[str]) -> dict:
    """One option per loss parameter in the registry; each goes to the listed losses that
    take it."""
    params: dict = {}
    for spec in _specs():
        for p in spec.params:
            if p.name in taken or p.name in params:
                continue
            users = ", ".join(s.name for s in _specs() if p.name in {q.name for q in s.params})
            params[p.name] = param_option(p, f"{p.help[:1].upper()}{p.help[1:]} ({users}).")
    return params


def _read_params(specs, given: dict) -> dict:
    """Each parameter given, read by the Param of the first listed loss that takes it (its
    kind: a number, an integer, a tensor …); the losses check their own constraints."""
    params = {p.name: p for s in reversed(specs) for p in s.params}
    return {name: params[name].read(text, params[name].option) for name, text in given.items()}


def options() -> dict:
    fixed = _fixed_options()
    return {**fixed, **_param_options(set(fixed))}


HELP = """Several losses on the same prediction and target, side by side.

The value of each, and per element each one's loss and gradient ∂value/∂pred: the
comparison the tutorials make between l1, mse and huber on the same residuals, or between
losses over the same logits. Every loss must fit the tensors: a loss whose checks reject
them (a shape, a class index, a probability outside [0, 1]) is named in the error (exit 3).
A prediction given as --logits, --probs or --log-probs fits only the losses that take it by
that name; --pred fits every loss. A parameter option goes to the listed losses that take it.

\b
Output: table (on a terminal) the values, then the per-element losses
and gradients side by side; plain one line per loss: its name, a tab,
its value (with --reduction none, its values separated by tabs); json
a list of the objects `losscalc LOSS --json` prints, in the order
given; csv one row per element: index, pred and target (when they have
the per-element shape), then for each loss LOSS and LOSS.grad (LOSS.grad0,
… along a class axis). When the losses' per-element shapes differ, the
table and csv show the gradients over the prediction's shape instead.

\b
Examples:
  losscalc compare l1,mse,huber --pred 0.5,2,4 --target 1,1,1
  losscalc compare ce,nll --pred '1,2,3; 0,0,1' --target 2,0 --json"""


def _prediction(opts: dict) -> tuple[str | None, str | None]:
    """The prediction's text and the alias that named it (None: --pred)."""
    given = [(None, opts["pred"])] + [(a, opts[_key(a)]) for a in _aliases()]
    given = [(a, v) for a, v in given if v is not None]
    if len(given) > 1:
        names = ", ".join(f"--{a or 'pred'}" for a, _ in given)
        raise UsageError(f"give the prediction once, not as {names}")
    return (given[0][1], given[0][0]) if given else (None, None)


def run(opts: dict) -> None:
    specs = C.resolve_names(opts["losses"])
    text, alias = _prediction(opts)
    C.check_prediction_option(specs, alias)
    if text is None or opts["target"] is None:
        raise UsageError("compare needs --pred and --target",
                         "for example: losscalc compare l1,mse,huber --pred 0.5,2,4 "
                         "--target 1,1,1")
    param_names = [k for k in _param_options(set(_fixed_options()))]
    given = {k: opts[k] for k in param_names if opts[k] is not None}
    C.unused_params(specs, given)
    tensor_params = {p.name for s in specs for p in s.params if p.kind == "tensor"}
    one_stdin({**opts, **given}, [_key(alias or "pred"), "target",
                                  *(given.keys() & tensor_params)])
    option = f"--{alias or 'pred'}"
    pred, target = tensor(text, option), tensor(opts["target"], "--target")
    given = _read_params(specs, given)
    results = C.compute_all(specs, pred, target, given, opts["reduction"], opts["dtype"])
    fmt = output_format(opts)
    out = sys.stdout
    if fmt == "json":
        import json

        from ..render.machine import json_object

        out.write(json.dumps([json_object(r) for r in results], ensure_ascii=False) + "\n")
    elif fmt == "plain":
        for r in results:
            values = "\t".join(repr(float(v)) for v in np.asarray(r.value).reshape(-1))
            out.write(f"{r.loss}\t{values}\n")
    elif fmt == "csv":
        from ..render.machine import csv_text

        lay = C.layout(results, pred, target)
        out.write(csv_text(lay.index_names + lay.columns,
                           [[str(i) for i in index] + values for index, values in lay.rows]))
    else:
        _table(results, pred, target, opts)
    out.flush()
    write_notes([f"{r.loss}: {note}" for r in results for note in r.notes], opts)


def _table(results, pred, target, opts) -> None:
    from ..render.explain import fmt_value
    from ..render.machine import grad_width
    from ..render.table import Grid, print_grids

    digits = opts["digits"]
    values = []
    for r in results:
        value = np.asarray(r.value)
        params = ", ".join(f"{k}={_short(v)}" for k, v in r.params.items() if v is not None)
        values.append([r.loss, fmt_value(value, digits) if value.ndim == 0 else
                       f"{value.size} values (json)", params])
    lay = C.layout(results, pred, target)
    width = grad_width(results[0])
    if lay.per_element and width > 1:  # a class axis: losses per sample, gradients per loss
        grids = [_grid("Per-sample losses", lay, [c for c in lay.columns if "." not in c],
                       digits)]
        for r in results:
            grad = np.asarray(r.grad["pred"]).reshape(-1, width) if r.class_axis == np.ndim(
                r.grad["pred"]) - 1 else None
            if grad is None:  # the class axis is not the last: the columns of layout
                columns = [c for c in lay.columns if c.startswith(f"{r.loss}.grad")]
                grids.append(_grid(f"{r.loss}: gradient ∂value/∂pred", lay, columns, digits))
                continue
            grids.append(Grid(f"{r.loss}: gradient ∂value/∂pred",
                              ["row"] + [str(c) for c in range(width)],
                              [[str(i)] + [fmt_value(v, digits) for v in row]
                               for i, row in enumerate(grad)]))
    else:
        title = ("Per-element losses and gradients (∂ = ∂value/∂pred)" if lay.per_element else
                 "Gradients ∂value/∂pred (the losses' per-element shapes differ)")
        grids = [_grid(title, lay, lay.columns, digits)]
    r0 = results[0]
    detail = f"reduction {r0.reduction} · {r0.dtype}"
    print_grids("compare", detail, None,
                [Grid("Values", ["loss", "value", "parameters"], values), *grids],
                show_all=opts["all"],
                no_color=opts["no_color"] or bool(os.environ.get("NO_COLOR")))


def _grid(title: str, lay, columns: list[str], digits: int):
    """The layout's rows, with only ``columns`` (and the index)."""
    from ..render.explain import fmt_value
    from ..render.table import Grid

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


app = command(run, options(), "compare", HELP)
