"""A loss command, once its options are parsed: read the tensors (or the table), compute,
build the report and emit it; then --check-grad. Kept apart from cli.py so building the Typer
app costs nothing beyond Typer itself.
"""

from __future__ import annotations

import sys

from ..core import check_gradient, compute
from ..errors import CheckFailed, UsageError
from ..inputs import read_tensor
from ..registry import LossSpec


def _read_tensors(spec: LossSpec, opts: dict) -> tuple[dict, dict]:
    """The loss's tensors (by name) and its parameters, read from the options."""
    options = {t.name: t.option for t in spec.tensors}
    options.update({p.name: p.option for p in spec.params if p.kind == "tensor"})
    texts = {name: opts[name] for name in options if opts[name] is not None}
    if sum(1 for text in texts.values() if text.strip() == "-") > 1:
        raise UsageError("only one option may read standard input ('-')")
    for t in spec.tensors:
        if t.required and t.name not in texts:
            also = " (or --pred)" if t.name == "pred" and spec.pred_alias else ""
            raise UsageError(f"{spec.name} needs {t.option}{also}",
                             f"for example: {spec.example}")
    values = {name: read_tensor(text, options[name]) for name, text in texts.items()}
    inputs = {t.name: values.pop(t.name) for t in spec.tensors if t.name in values}
    params = {p.name: opts[p.name] for p in spec.params if p.kind != "tensor"}
    params.update(values)
    return inputs, params


def _check_grad(spec, inputs, params, opts) -> str:
    check = check_gradient(spec, inputs, None, params, opts["reduction"], opts["dtype"])
    if not check.ok:
        option = {t.name: t.option for t in spec.tensors}[check.input]
        where = "" if spec.single_prediction else f"{option} "
        raise CheckFailed(
            f"gradient check failed at {where}index {list(check.worst_index)}: backward gives "
            f"{check.analytic!r}, central differences {check.numeric!r} "
            f"(relative error {check.worst_error:.2g})")
    return (f"gradient check passed: {check.checked} elements, largest relative error "
            f"{check.worst_error:.2g}" + _sampled(check))


def _sampled(check) -> str:
    """What a sampled check left out (docs/contract.md, "Limits")."""
    if not check.sampled_from:
        return ""
    return (f" (a fixed random sample of the {check.sampled_from:,} elements: each costs two "
            "evaluations of the whole loss)")


def _reads_table(spec: LossSpec, opts: dict) -> bool:
    """--csv, or no tensor option at all with a pipe or file on standard input."""
    if opts["csv"] is not None:
        if opts["pred"] is not None or opts["target"] is not None:
            raise UsageError("give the tensors either with --csv or with --pred/--target, "
                             "not both")
        return True
    if opts["pred"] is not None or opts["target"] is not None:
        return False
    try:
        return sys.stdin is not None and not sys.stdin.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def run_loss(spec: LossSpec, opts: dict) -> None:
    """The loss command: its tensors from the options, or a table (streamed when large)."""
    opts = {**opts, **{p.name: p.read(opts[p.name], p.option) for p in spec.params
                       if p.kind in ("float", "int")}}  # declared as text: see cli.py
    if spec.single_prediction and _reads_table(spec, opts):
        _run_table(spec, opts)
        return
    if opts.get("partial"):
        raise UsageError("--partial needs a table (--table FILE, or a pipe)")
    inputs, params = _read_tensors(spec, opts)
    report(spec, inputs, params, opts)


def _run_table(spec: LossSpec, opts: dict) -> None:
    from ..render.emit import emit
    from ..render.reports import streamed_report
    from ..streaming import Gathered, read_table

    if opts["partial"] and opts["reduction"] not in ("mean", "sum", "batchmean"):
        raise UsageError("--partial sums a reduction: give --reduction mean, sum or batchmean")
    table = read_table(spec, opts)
    if opts["partial"]:
        _print_partial(table)
        return
    if isinstance(table, Gathered):
        report(spec, {"pred": table.pred, "target": table.target}, table.params, opts,
               table.notes)
        return
    emit(streamed_report(table), opts, body_written=table.rows_written)


def _print_partial(table) -> None:
    from ..partials import partial_document
    from ..report import dumps

    sys.stdout.write(dumps(partial_document(table)) + "\n")


def report(spec: LossSpec, inputs: dict, params: dict, opts: dict, notes=()) -> None:
    """Compute and emit; then raise if --check-grad disagrees (after the output)."""
    from ..render.emit import emit
    from ..render.reports import loss_report

    result = compute(spec, inputs, None, params, opts["reduction"], opts["dtype"])
    failure, notes = None, list(notes)
    if opts["check_grad"]:
        try:
            notes.append(_check_grad(spec, inputs, params, opts))
        except CheckFailed as err:
            failure = err
    emit(loss_report(result, spec, notes), opts)
    if failure is not None:
        raise failure
