"""`losscalc check FILE`: grade expected answers — a table of ✓/✗ with the right value and
the difference; exit 1 if any answer is wrong."""

from __future__ import annotations

import os
import sys
from typing import Optional

import typer

from .. import batch as B
from .. import check as K
from .common import command

OPTIONS = {
    "file": (str, ..., typer.Argument(metavar="FILE|-", show_default=False,
                                      help="A CSV or JSON Lines file of problems with "
                                           "expected answers; - reads standard input.")),
    "tol": (Optional[float], None, typer.Option(
        "--tol", min=0.0, metavar="T",
        help=f"Tolerance, absolute or relative, for problems without their own "
             f"[default: {K.DEFAULT_TOL:g}, for rounded hand computations].")),
    "digits": (int, 6, typer.Option("--digits", min=1, max=17,
                                    help="Significant digits shown (1 to 17).")),
    "no_color": (bool, False, typer.Option("--no-color",
                                           help="No colour (NO_COLOR does the same).")),
}

HELP = f"""Grade expected answers: each problem's computed value beside the answer given.

FILE is CSV (a header row, then one problem per row) or JSON Lines (.jsonl, or lines
starting with {{: the problems of `losscalc batch`). CSV columns:

\b
  loss, pred, target, expect     required
  id, tol, reduction, dtype      optional (empty cell: the default)
  beta, delta, weight, …         the loss's parameters, by name

Tensors are written as on the command line, quoted when they hold commas
("0.5,0.3,0.2; 0.3,0.6,0.1") or as JSON; "expect" is a number (or numbers, for
reduction none). An answer is right within its tol (--tol, default {K.DEFAULT_TOL:g}),
absolute or relative, as --expect.

The table shows, per problem, the expected answer, the computed value, value − expected
and ✓ or ✗; problems that cannot be computed are listed under it with their line. Exit
code: 0 all right, 1 an answer is wrong, 2 a problem is malformed (unknown loss, no
"expect"…), 3 its data are invalid, 4 the file cannot be read.

\b
Example:
  losscalc check examples/answers.csv"""


def run(opts: dict) -> None:
    grades = K.grade_all(opts["file"], opts["tol"])
    _print(grades, opts)
    failure = B.outcome(K.tally(grades), "answers")
    if failure is not None:
        raise failure


def _print(grades: list[K.Graded], opts: dict) -> None:
    from rich.text import Text

    from ..render.explain import fmt_value
    from ..render.table import Grid, _console, print_grids

    digits = opts["digits"]
    with_id = any(g.id is not None for g in grades)
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
    right = sum(bool(g.ok) for g in grades)
    columns = ["line"] + (["id"] if with_id else []) + ["loss", "expected", "value",
                                                         "difference", ""]
    no_color = opts["no_color"] or bool(os.environ.get("NO_COLOR"))
    print_grids("check", f"{right} of {len(grades)} right", None,
                [Grid("Answers", columns, rows)], show_all=True, no_color=no_color)
    console = _console(sys.stdout, no_color)
    for g in grades:
        if g.error is not None:
            console.print(Text(f"line {g.line}: {B.error_message(g.error)}", style="red"))
    sys.stdout.flush()


app = command(run, OPTIONS, "check", HELP)
