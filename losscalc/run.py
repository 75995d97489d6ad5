"""What a loss command does once its options are parsed: read the tensors, compute, check
the expectations, print in the chosen form. Kept apart from cli.py so building the Typer app
costs nothing beyond Typer itself.
"""

from __future__ import annotations

import os
import sys

import numpy as np

from .core import check_gradient, compute
from .errors import CheckFailed, InvalidData, UsageError
from .inputs import parse_literal, read_tensor
from .registry import LossSpec


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


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


def output_format(opts: dict) -> str:
    if opts["json"]:
        return "json"
    if opts["format"]:
        return opts["format"]
    return "table" if _stdout_is_terminal() else "plain"


def check_expectation(value, expect: str, tol: float) -> None:
    if not np.isfinite(tol):
        raise UsageError(f"--tol must be a finite number >= 0, got {tol}")
    try:
        expected = parse_literal(expect, "--expect")
    except InvalidData as err:  # a malformed option value: usage, not data
        raise UsageError(err.message) from None
    value = np.asarray(value, dtype=float)
    try:
        diff = np.abs(value - expected)
    except ValueError:
        raise UsageError(f"--expect has shape {expected.shape} but the value has shape "
                         f"{value.shape}") from None
    scale = np.abs(expected)
    same = (value == expected) | (diff <= tol) | (diff <= tol * scale)
    if not np.all(same):
        worst = float(np.max(np.where(same, 0, diff)))
        shown = repr(float(value)) if value.ndim == 0 else "the value"
        raise CheckFailed(f"expectation failed: {shown} differs from {expect.strip()} by "
                          f"{worst:.3g} (tolerance {tol:g}, absolute or relative)")


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
            f"{check.worst_error:.2g}")


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
    opts = {**opts, **{p.name: p.read(opts[p.name], p.option) for p in spec.params
                       if p.kind in ("float", "int")}}  # declared as text: see cli.py
    def report_table(pred, target, params, notes):
        report(spec, {"pred": pred, "target": target}, params, opts, notes)

    if spec.single_prediction and _reads_table(spec, opts):
        from .stream import run_table

        run_table(spec, opts, report_table)
        return
    inputs, params = _read_tensors(spec, opts)
    report(spec, inputs, params, opts)


def write_notes(notes: list[str], opts: dict) -> None:
    if not opts["quiet"]:
        for note in notes:
            sys.stderr.write(f"note: {note}\n")


def report(spec: LossSpec, inputs: dict, params: dict, opts: dict,
           input_notes: list[str] = ()) -> None:
    """Compute and print in the chosen form; notes on stderr; then --expect/--check-grad."""
    result = compute(spec, inputs, None, params, opts["reduction"], opts["dtype"])
    fmt = output_format(opts)
    no_color = opts["no_color"] or bool(os.environ.get("NO_COLOR"))
    out = sys.stdout
    failure = None
    try:
        if opts["expect"] is not None:
            check_expectation(result.value, opts["expect"], opts["tol"])
        notes = list(result.notes)
        if opts["check_grad"]:
            notes.append(_check_grad(spec, inputs, params, opts))
    except CheckFailed as err:
        failure, notes = err, list(result.notes)

    explanation = None
    if opts["explain"] or fmt in ("markdown", "latex"):
        from .render.explain import build

        explanation = build(result, spec, opts["digits"], opts["all"])
        notes = notes[len(result.notes):]  # the explanation shows them already
    if fmt == "json":
        from .render.explain import steps_json
        from .render.machine import to_json

        out.write(to_json(result, steps_json(result, spec) if explanation else None))
    elif fmt in ("markdown", "latex"):
        from .render import notes as notebook

        out.write(notebook.markdown(explanation) if fmt == "markdown" else
                  notebook.latex(explanation))
    elif fmt == "table":
        from .render.table import print_explanation, print_tables

        if explanation:  # it shows the per-sample losses, the gradient and the value itself
            print_explanation(explanation, no_color=no_color)
        else:
            print_tables(result, digits=opts["digits"], show_all=opts["all"],
                         no_color=no_color)
    else:
        if explanation:
            out.write(explanation.text())
        from .render.machine import plain, to_csv

        out.write(plain(result) if fmt == "plain" else to_csv(result))
    out.flush()
    write_notes(notes + list(input_notes), opts)
    if failure is not None:
        raise failure
