"""`losscalc compare LOSS,LOSS,… --pred … --target …`: several losses on the same input, side
by side — value, and per element the loss and gradient of each."""

from __future__ import annotations

from typing import Optional

import typer

from .. import comparison
from ..errors import UsageError
from ..losses import all_losses
from ..registry import REDUCTIONS
from .common import command, one_stdin, tensor
from .options import TENSOR_HELP, choice, encoding_option, output_options, param_options

FORMATS = ("table", "plain", "json", "csv", "html")
# The shared output options compare takes (it has no explanation and no single value to expect).
SHARED = ("dtype", "format", "json", "digits", "all", "no_color", "quiet", "lang")


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
        **encoding_option(),
        **{name: declaration for name, declaration in output_options(FORMATS).items()
           if name in SHARED},
    })
    return options


def _param_options(taken: set[str]) -> dict:
    """One option per loss parameter in the registry; each goes to the listed losses that
    take it."""
    return param_options(_specs(), taken)


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
that name (and --probs nll, which takes their log, as `losscalc nll --probs` does); --pred
fits every loss. A parameter option goes to the listed losses that take it.

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


def compare_losses(opts: dict) -> None:
    specs = comparison.resolve_names(opts["losses"])
    text, alias = _prediction(opts)
    comparison.check_prediction_option(specs, alias)
    if text is None or opts["target"] is None:
        raise UsageError("compare needs --pred and --target",
                         "for example: losscalc compare l1,mse,huber --pred 0.5,2,4 "
                         "--target 1,1,1")
    param_names = [k for k in _param_options(set(_fixed_options()))]
    given = {k: opts[k] for k in param_names if opts[k] is not None}
    comparison.unused_params(specs, given)
    tensor_params = {p.name for s in specs for p in s.params if p.kind == "tensor"}
    one_stdin({**opts, **given}, [_key(alias or "pred"), "target",
                                  *(given.keys() & tensor_params)])
    option = f"--{alias or 'pred'}"
    pred, target = tensor(text, option), tensor(opts["target"], "--target")
    given = {**_read_params(specs, given), **comparison.prediction_params(specs, alias)}
    results = comparison.compute_all(specs, pred, target, given, opts["reduction"], opts["dtype"])
    from ..render.emit import emit
    from ..render.reports import compare_report

    emit(compare_report(results, pred, target), opts)


app = command(compare_losses, options(), "compare", HELP)
