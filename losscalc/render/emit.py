"""The emitter: one Report written in the chosen form — table, plain, json, csv, markdown,
latex — with --explain, --expect and the notes on stderr. Every command prints through here.

rich, json and the explanation renderers are imported only for the form that needs them.
"""

from __future__ import annotations

import os
import sys

from ..errors import CheckFailed
from ..expectation import check_expectation
from ..i18n import translate
from ..report import Report, csv_lines, plain_values
from .numbers import value_line


def output_format(opts: dict) -> str:
    """--json, else --format, else table on a terminal and plain otherwise."""
    if opts.get("json"):
        return "json"
    if opts.get("format"):
        return opts["format"]
    return "table" if sys.stdout.isatty() else "plain"


def write_notes(notes, opts: dict) -> None:
    """Each note as `note: …` on stderr, unless --quiet."""
    if not opts.get("quiet"):
        from ..errors import printable

        for note in notes:
            sys.stderr.write(f"note: {printable(translate(note))}\n")


def no_color(opts: dict) -> bool:
    return bool(opts.get("no_color")) or bool(os.environ.get("NO_COLOR"))


def emit(report: Report, opts: dict, out=None, body_written: bool = False) -> None:
    """Write ``report`` as ``opts`` ask; after writing, raise CheckFailed when --expect fails.

    Notes go to stderr, except those the printed explanation already shows.
    ``body_written``: the output itself went out already (rows streamed as they were
    computed), so only the expectation and the notes remain.
    """
    out = out or sys.stdout
    fmt = output_format(opts)
    failure = None
    if opts.get("expect") is not None:
        try:
            check_expectation(report.value, opts["expect"], opts["tol"])
        except CheckFailed as err:
            failure = err
    digits, full = opts.get("digits", 6), opts.get("all", False)
    explanation = None  # (markdown, latex and an HTML page show it always)
    if report.explanation is not None and (opts.get("explain")
                                           or fmt in ("markdown", "latex", "html")):
        explanation = report.explanation(digits, full)
    shown = set(explanation.notes) if explanation is not None and fmt != "json" else set()
    if explanation is not None:
        explanation = explanation.translated(translate)
    if not body_written:
        _WRITERS[fmt](report, explanation, opts, out)
    out.flush()
    write_notes([n for n in report.notes if n not in shown], opts)
    if failure is not None:
        raise failure


def _json(report, explanation, opts, out) -> None:
    from ..report import dumps

    document = report.json
    if explanation is not None and report.steps is not None:
        document = {**document, "steps": report.steps()}
    out.write(dumps(document) + "\n")


def _table(report, explanation, opts, out) -> None:
    from .table import print_explanation, print_grids

    if explanation is not None:  # it shows the per-element values, the gradient, the value
        print_explanation(explanation, no_color=no_color(opts), file=out)
        return
    digits, full = opts.get("digits", 6), opts.get("all", False)
    print_grids(report.name, report.detail, value_line(report, digits), report.grids(digits, full),
                show_all=full, no_color=no_color(opts), file=out, footer=report.footer)


def _plain(report, explanation, opts, out) -> None:
    if explanation is not None:
        out.write(explanation.text())
    out.write("".join(line + "\n" for line in report.plain) if report.plain is not None
              else plain_values(report.value))


def _csv(report, explanation, opts, out) -> None:
    if explanation is not None:
        out.write(explanation.text())
    out.write(csv_lines(report.csv_header, report.csv_rows))


def _notebook(report, explanation, opts, out) -> None:
    from . import notes as notebook

    # Only the commands with an explanation offer --format markdown/latex.
    out.write(notebook.markdown(explanation) if output_format(opts) == "markdown" else
              notebook.latex(explanation))


def _html(report, explanation, opts, out) -> None:
    from .html import page

    digits, full = opts.get("digits", 6), opts.get("all", False)
    out.write(page([(report, explanation)], f"losscalc {report.name}", digits, full))


_WRITERS = {"json": _json, "table": _table, "plain": _plain, "csv": _csv,
            "markdown": _notebook, "latex": _notebook, "html": _html}
