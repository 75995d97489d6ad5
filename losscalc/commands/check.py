"""`losscalc check FILE`: grade expected answers — a table of ✓/✗ with the right value and
the difference; exit 1 if any answer is wrong."""

from __future__ import annotations

from typing import Optional

import typer

from .. import batch, grading
from .common import command
from .options import encoding_option, output_options

FORMATS = ("table", "plain", "json", "csv", "html")

OPTIONS = {
    "file": (str, ..., typer.Argument(metavar="FILE|-", show_default=False,
                                      help="A CSV or JSON Lines file of problems with "
                                           "expected answers; - reads standard input.")),
    "tol": (Optional[float], None, typer.Option(
        "--tol", min=0.0, metavar="T",
        help=f"Tolerance, absolute or relative, for problems without their own "
             f"[default: {grading.DEFAULT_TOL:g}, for rounded hand computations].")),
    **encoding_option(),
    **{name: declaration for name, declaration in output_options(FORMATS).items()
       if name in ("format", "json", "digits", "all", "no_color", "quiet", "lang")},
}

HELP = f"""Grade expected answers: each problem's computed value beside the answer given.

FILE is CSV (a header row, then one problem per row) or JSON Lines (.jsonl, or lines
starting with {{: the problems of `losscalc batch`). CSV columns:

\b
  loss, pred, target, expect     required
  id, tol, reduction, dtype      optional (empty cell: the default)
  beta, delta, weight, …         the loss's parameters, by name
  x1, x2, var, anchor, …         the tensors of a loss of several (pred not needed)

Tensors are written as on the command line, quoted when they hold commas
("0.5,0.3,0.2; 0.3,0.6,0.1") or as JSON; "expect" is a number (or numbers, for
reduction none). An answer is right within its tol (--tol, default {grading.DEFAULT_TOL:g}),
absolute or relative, as --expect.

The table shows, per problem, the expected answer, the computed value, value − expected
and ✓ or ✗; problems that cannot be computed are listed under it with their line.

\b
Output: table (on a terminal) as above; plain one line per problem:
line, right|wrong|error and the value, tab-separated; csv one row per
problem: line, id, loss, expected, value, difference, verdict, error;
json {{"count", "right", "wrong", "errors", "answers": [{{"line", "id",
"loss", "expect", "value", "difference", "ok"}} or {{…, "error", "hint",
"exit_code"}}]}}.

Exit
code: 0 all right, 1 an answer is wrong, 2 a problem is malformed (unknown loss, no
"expect"…), 3 its data are invalid, 4 the file cannot be read.

\b
Example:
  losscalc check examples/answers.csv"""


def grade_answers(opts: dict) -> None:
    from ..render.emit import emit
    from ..render.reports import check_report

    grades = grading.grade_all(opts["file"], opts["tol"], opts["encoding"])
    tally = grading.tally(grades)
    emit(check_report(grades, tally), opts)
    failure = batch.outcome(tally, "answers")
    if failure is not None:
        raise failure


app = command(grade_answers, OPTIONS, "check", HELP)
