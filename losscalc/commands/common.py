"""What `act`, `info` and `backprop` share: the output options (declared once, as the loss
commands have them), a Report each command builds from its result, and `emit`, which writes a
Report in the chosen form (SPEC §2) — table, plain, json, csv, markdown, latex — with
--explain, --expect and the notes on stderr. rich and json are imported only when used.
"""

from __future__ import annotations

import inspect
import os
import sys
from enum import Enum
from typing import Annotated, Callable, NamedTuple, Optional

import typer

from ..errors import CheckFailed, UsageError
from ..inputs import read_tensor
from ..run import check_expectation, output_format, write_notes
from .options import output_options

# name → (annotation, default, typer.Option): the options every one of these commands takes.
OUTPUT_OPTIONS = output_options()



def command(fn: Callable, options: dict, name: str, help: str) -> typer.Typer:
    """A Typer app of one command whose options are ``options`` (name → (annotation,
    default, typer.Option or typer.Argument)); ``fn`` receives them as keyword arguments,
    enums as their values."""

    def run(**kwargs):
        fn({k: v.value if isinstance(v, Enum) else v for k, v in kwargs.items()})

    run.__signature__ = inspect.Signature([
        inspect.Parameter(key, inspect.Parameter.KEYWORD_ONLY, default=default,
                          annotation=Annotated[annotation, info])
        for key, (annotation, default, info) in options.items()
    ])
    run.__name__ = name
    run.__doc__ = help
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False,
                      rich_markup_mode=None)
    app.command(name)(run)
    return app


def tensor(text: str | None, option: str):
    """An option's tensor (None when not given), by the one tensor reader."""
    return None if text is None else read_tensor(text, option, text=True)


def one_stdin(opts: dict, names: list[str]) -> None:
    """At most one tensor option may read standard input ('-')."""
    if sum(1 for n in names if (opts.get(n) or "").strip() == "-") > 1:
        raise UsageError("only one option may read standard input ('-')")


class Report(NamedTuple):
    """What a command computed, ready for every output form."""

    name: str  # bold first word of the table output
    detail: str  # the settings after it (reference, parameters, dtype)
    value: object  # what plain prints (one number a line) and --expect checks
    json: dict  # the JSON object, without "steps"
    csv_header: list[str]
    csv_rows: list
    grids: Callable  # (digits, full) → [render.table.Grid]
    explanation: Callable  # (digits, full) → render.explain.Explanation
    steps: Callable  # () → [{"text", "value"}] for the JSON with --explain
    notes: list[str]
    shown_value: Callable | None = None  # (digits) → the "value …" line of the table


def emit(report: Report, opts: dict) -> None:
    """Write ``report`` as ``opts`` ask; raise CheckFailed after writing when --expect fails."""
    fmt = output_format(opts)
    failure = None
    if opts["expect"] is not None:
        try:
            check_expectation(report.value, opts["expect"], opts["tol"])
        except CheckFailed as err:
            failure = err
    explanation = None
    notes = list(report.notes)
    if opts["explain"] or fmt in ("markdown", "latex"):
        explanation = report.explanation(opts["digits"], opts["all"])
        notes = []  # the explanation shows them
    no_color = opts["no_color"] or bool(os.environ.get("NO_COLOR"))
    out = sys.stdout
    if fmt == "json":
        import json

        obj = dict(report.json)
        if explanation is not None:
            obj["steps"] = report.steps()
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")
    elif fmt in ("markdown", "latex"):
        from ..render import notes as notebook

        out.write(notebook.markdown(explanation) if fmt == "markdown" else
                  notebook.latex(explanation))
    elif fmt == "table":
        from ..render.table import print_explanation, print_grids

        if explanation is not None:
            print_explanation(explanation, no_color=no_color)
        else:
            digits, full = opts["digits"], opts["all"]
            shown = report.shown_value(digits) if report.shown_value else None
            print_grids(report.name, report.detail, shown, report.grids(digits, full),
                        show_all=full, no_color=no_color)
    else:
        from ..render.machine import csv_text, plain_values

        if explanation is not None:
            out.write(explanation.text())
        out.write(plain_values(report.value) if fmt == "plain" else
                  csv_text(report.csv_header, report.csv_rows))
    out.flush()
    write_notes(notes, opts)
    if failure is not None:
        raise failure


def json_steps(steps) -> list[dict]:
    """SPEC §2's "steps": every recorded step over the whole tensors."""
    from ..render.machine import nested

    return [{"text": f"{s.name} = {s.formula}", "value": nested(s.value)} for s in steps]
