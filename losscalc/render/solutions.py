"""Worked solutions of a problem set (`losscalc exercise`): each problem's statement, its
explanation — the `--explain` steps, built by render.explain and laid out by render.notes —
and its answer. One function per form over the same list of explained problems; a new form
is one more entry in WRITERS.
"""

from __future__ import annotations

from typing import Callable, NamedTuple

from ..i18n import N_, translate
from . import notes
from .explain import Explanation, build

DIGITS = 4  # what a student carries through a computation by hand
ANSWER = N_("Answer")


class Solved(NamedTuple):
    """One problem as the solutions show it."""

    id: str
    loss: str
    statement: list[tuple[str, str]]  # (what, its value as written in the problem file)
    answer: str
    explanation: Explanation


def solved(exercise, tensor_text: Callable, param_text: Callable, answer: str) -> Solved:
    """``exercise`` (losscalc.exercise.Exercise) with its explanation; the texts of its
    tensors and parameters as the problem file writes them."""
    statement = [(name, tensor_text(value)) for name, value in exercise.tensors.items()]
    statement += [(name, param_text(value)) for name, value in exercise.params.items()]
    statement += [("reduction", exercise.reduction), ("dtype", exercise.dtype)]
    return Solved(exercise.id, exercise.spec.name, statement, answer,
                  build(exercise.result, exercise.spec, DIGITS, full=True).translated(translate))


def markdown(problems: list[Solved], title: str) -> str:
    out = [f"# {title}", ""]
    for p in problems:
        out += [f"## {p.id}: {p.loss}", ""]
        out += [f"- {name} = `{text}`" for name, text in p.statement] + [""]
        out += [notes.markdown(p.explanation).rstrip(), "", f"**{translate(ANSWER)}:** `{p.answer}`", ""]
    return "\n".join(out).rstrip() + "\n"


def latex(problems: list[Solved], title: str) -> str:
    """A document that compiles as it is (article with amsmath)."""
    out = ["\\documentclass{article}", "\\usepackage[utf8]{inputenc}",
           "\\usepackage{amsmath}", "\\usepackage[margin=2cm]{geometry}",
           f"\\title{{{notes.latex_prose(title)}}}", "\\date{}", "\\begin{document}",
           "\\maketitle", ""]
    for p in problems:
        out += [f"\\section*{{{notes.latex_prose(f'{p.id}: {p.loss}')}}}", "\\begin{itemize}"]
        out += [f"  \\item {notes.latex_prose(name)} = \\verb|{text}|"
                for name, text in p.statement]
        out += ["\\end{itemize}", notes.latex(p.explanation).rstrip(),
                f"\\noindent\\textbf{{{translate(ANSWER)}:}} \\verb|{p.answer}|", ""]
    out.append("\\end{document}")
    return "\n".join(out) + "\n"


def html(problems: list[Solved], title: str) -> str:
    """One self-contained page, the explanations' formulas in MathML (render.html)."""
    from . import html as pages

    out = [f"<h1>{pages.escape(title)}</h1>"]
    for p in problems:
        given = "".join(f"<li>{pages.escape(name)} = <code>{pages.escape(text)}</code></li>"
                        for name, text in p.statement)
        out.append(f'<article class="report"><h2>{pages.escape(f"{p.id}: {p.loss}")}</h2>'
                   f"<ul>{given}</ul>{pages.explanation(p.explanation)}"
                   f'<p class="value">{translate(ANSWER)}: <code>{pages.escape(p.answer)}</code>'
                   "</p></article>")
    return pages.document(pages.wrap("".join(out)), title)


# file suffix → writer(problems, title) → text
WRITERS: dict[str, Callable[[list[Solved], str], str]] = {"md": markdown, "tex": latex, "html": html}
