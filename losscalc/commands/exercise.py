"""`losscalc exercise LOSS[,LOSS…] --count N --seed S --out DIR`: a problem set — the problems,
their answer key (which `losscalc check` grades) and worked solutions — written into DIR."""

from __future__ import annotations

import os
import sys

import typer

from .. import exercise
from ..errors import InputOutputError, os_reason, write_error
from ..i18n import N_, translate
from .common import command
from .options import choice, lang_option

Level = choice("Level", ("1", "2", "3"))
TableFormat = choice("ExerciseFormat", tuple(exercise.TABLES))

OPTIONS = {
    "losses": (str, ..., typer.Argument(metavar="LOSS[,LOSS…]", show_default=False,
                                        help="The losses, separated by commas; they take "
                                             "turns.")),
    "count": (int, 10, typer.Option("--count", "-n", min=1, max=1000,
                                    help="How many problems.")),
    "seed": (int, 0, typer.Option("--seed", min=0,
                                  help="The random seed: the same seed, options and version "
                                       "give the same files, byte for byte.")),
    "out": (str, ..., typer.Option("--out", "-o", metavar="DIR", show_default=False,
                                   help="The directory to write into (created if missing; "
                                        "its files of these names are replaced).")),
    "level": (Level, Level("1"), typer.Option(
        "--level", help="1: short vectors to work by hand (one-decimal logits, probabilities "
                        "such as 0.2, integer targets); 2: batches, class weights, every "
                        "reduction; 3: label smoothing, ignore_index, K-dimensional "
                        "targets, float32.")),
    "format": (TableFormat, TableFormat("csv"), typer.Option(
        "--format", "-f", help="The problems and key as check's CSV or as batch's JSON "
                               "Lines.")),
    "quiet": (bool, False, typer.Option("--quiet", "-q", help="Print nothing when done.")),
    **lang_option(),
}

HELP = """Write a problem set: problems, an answer key that `losscalc check` grades, and
worked solutions.

\b
Into DIR:
  problems.csv   id, loss, pred, target, parameters, reduction, dtype
  key.csv        the same rows with expect and tol (check passes it)
  solutions.md   each problem's --explain steps, in Markdown
  solutions.tex  the same as a LaTeX document
  solutions.html the same as one web page (formulas in MathML)

With --format jsonl the problems and key are problems.jsonl and key.jsonl, the problems of
`losscalc batch` (losses of more tensors than a prediction and a target — gaussian-nll,
cosine-embedding, margin-ranking, triplet — need it). Students answer in the format of
key.csv; `losscalc check THEIR-FILE` grades them.

Numbers are well conditioned: no input sits on a kink (|d| = δ, a hinge at 0), no clamp or
clip is hit, and no probability rounds to 0. A loss that has no problems at a level says so.

\b
Examples:
  losscalc exercise mse,huber,ce --count 12 --seed 7 --out week3
  losscalc check week3/key.csv"""

PROBLEMS, KEY, SOLUTIONS = "problems", "key", "solutions"


def write_file(path: str, text: str) -> None:
    """Write ``text`` to ``path`` atomically (losscalc.files): a reader never sees half a
    file, and a failed write keeps the previous one. Every file the command writes goes
    through here."""
    from ..files import write_atomic

    try:
        write_atomic(path, text)
    except OSError as err:
        raise write_error(path, err) from None


def prepare_directory(path: str) -> None:
    """DIR, created if missing; a file of that name is refused."""
    if os.path.exists(path) and not os.path.isdir(path):
        raise InputOutputError(f"--out {path!r} is a file, not a directory",
                               "name a directory (it is created if missing)")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as err:
        raise InputOutputError(f"cannot create the directory {path!r}: "
                               f"{os_reason(err)}") from None


def solutions(exercises, title: str) -> dict[str, str]:
    """Each solutions file by suffix, from one list of explained problems."""
    from ..render.solutions import WRITERS, solved

    explained = [solved(e, exercise.tensor_text, exercise.param_text,
                        exercise.tensor_text(exercise.expect_value(e.result)))
                 for e in exercises]
    return {suffix: write(explained, title) for suffix, write in WRITERS.items()}


def make_exercises(opts: dict) -> None:
    specs = exercise.losses(opts["losses"])
    fmt, level = opts["format"], int(opts["level"])
    if fmt == "csv":
        exercise.csv_blocked(specs)
    exercises = exercise.generate(specs, opts["count"], opts["seed"], level)
    names, count, seed = ", ".join(s.name for s in specs), len(exercises), opts["seed"]
    title = translate(N_(f"{names}: {count} problem, level {level}, seed {seed}") if count == 1
                      else N_(f"{names}: {count} problems, level {level}, seed {seed}"))
    files = {f"{PROBLEMS}.{fmt}": exercise.TABLES[fmt](exercises, key=False),
             f"{KEY}.{fmt}": exercise.TABLES[fmt](exercises, key=True),
             **{f"{SOLUTIONS}.{suffix}": text for suffix, text in solutions(exercises,
                                                                           title).items()}}
    prepare_directory(opts["out"])
    for name, text in files.items():
        write_file(os.path.join(opts["out"], name), text)
    if not opts["quiet"]:
        sys.stdout.write(f"wrote {len(exercises)} problems ({', '.join(s.name for s in specs)}"
                         f", level {level}, seed {opts['seed']}) to {opts['out']}: "
                         f"{', '.join(files)}\n")


app = command(make_exercises, OPTIONS, "exercise", HELP)
