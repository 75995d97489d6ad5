"""`losscalc batch [FILE|-]`: JSON Lines in, JSON Lines out, one process for many problems."""

from __future__ import annotations

import io
import sys
from typing import Optional

import typer

from .. import batch
from .common import command
from .options import encoding_option, lang_option

OPTIONS = {
    "file": (Optional[str], None, typer.Argument(
        metavar="[FILE|-]", show_default=False,
        help="A JSON Lines file of problems; - or nothing reads standard input.")),
    **encoding_option(),
    **lang_option(),
}

HELP = """Many problems in one process: JSON Lines in, JSON Lines out.

Each input line is one problem, a JSON object:

\b
  {"loss": "ce", "pred": [[0.5, 0.3, 0.2]], "target": [1],
   "params": {"weight": [1, 2, 1]}, "reduction": "mean",
   "dtype": "float64", "expect": 1.25, "tol": 1e-4, "id": "q3"}

"loss", "pred" and "target" are required ("pred" whatever the loss calls its prediction);
"params" takes the loss's parameters by their snake_case names (as `losscalc list --json`
lists them), "reduction" defaults to mean, "dtype" to float64, "tol" to 1e-6 (absolute or
relative, as --tol). "expect" is a number, or nested lists for "reduction": "none". Blank
lines are skipped; line numbers count every line from 1. Lines are UTF-8, or in --encoding
(UTF-16/32 with a byte order mark need none), each decoded on its own: a line that does not
decode is that line's error.

Each answer is one line, written and flushed as soon as it is computed, in input order:
the JSON object of `losscalc LOSS --json` with "id" first (null when not given) and, when
"expect" was given, "ok": true or false last:

\b
  {"id": "q3", "loss": "ce", "reduction": …, "dtype": …, "value": …,
   "elementwise": …, "grad": {"pred": …}, "shape": …, "params": …, "ok": true}

A line that cannot be computed answers instead

\b
  {"id": "q3", "line": 7, "error": "…", "exit_code": 3}

(2: an unknown loss, field or parameter, a malformed option value; 3: invalid data) and
the next line is read. The exit code at the end is the largest seen: 0 all well, 1 an
expectation failed, 2 a usage error, 3 invalid data, with a one-line summary on stderr.

\b
Examples:
  losscalc batch examples/problems.jsonl
  generate_problems | losscalc batch > answers.jsonl"""


def answer_problems(opts: dict) -> None:
    from ..textfiles import lines

    path = opts["file"]
    if path is None or path == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        if stdin is None:  # a text stream given in-process
            stdin = io.BytesIO(sys.stdin.read().encode("utf-8"))
        tally = batch.answer_all(lines(stdin, "standard input", opts["encoding"]), sys.stdout)
    else:
        from ..errors import open_error

        try:
            handle = open(path, "rb")
        except OSError as err:
            raise open_error(path, err) from None
        with handle:
            tally = batch.answer_all(lines(handle, path, opts["encoding"]), sys.stdout)
    failure = batch.outcome(tally)
    if failure is not None:
        raise failure


app = command(answer_problems, OPTIONS, "batch", HELP)
