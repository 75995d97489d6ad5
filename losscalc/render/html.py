"""HTML: one self-contained page (inline CSS, no script, nothing fetched) with the value, the
tables and the explanation, its formulas in MathML Core with the numbers as computed.

``page`` writes a whole document from any number of reports and explanations (`--format
html` writes one; a problem set its worked solutions); ``body`` is the same content without
the document around it, as a Jupyter cell shows it. Every piece of text, the user's
included, is escaped. Only the standard library's ``html`` is imported.
"""

from __future__ import annotations

from html import escape
from typing import Iterable, Union

from ..formulas import mathml
from ..i18n import language, translate
from ..report import Grid, Report
from .explain import Explanation, Prose
from .numbers import value_line

# Scoped under .losscalc, so that a notebook's own styles and ours leave each other alone.
CSS = """
.losscalc{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans","Noto Sans CJK SC",
sans-serif;line-height:1.45;color:#1b1b1b;max-width:60rem}
.losscalc h2{font-size:1.3em;margin:1em 0 .3em}
.losscalc h2 small{font-weight:normal;color:#555;font-size:.75em;margin-left:.5em}
.losscalc h3{font-size:1.1em;margin:1em 0 .2em}
.losscalc h4{font-size:1em;margin:.8em 0 .2em;color:#333}
.losscalc .value{font-size:1.15em}
.losscalc table{border-collapse:collapse;margin:.5em 0 1em}
.losscalc caption{text-align:left;font-weight:600;padding:.2em 0}
.losscalc th,.losscalc td{border:1px solid #ccc;padding:.15em .6em;text-align:right;
font-variant-numeric:tabular-nums}
.losscalc th{background:#f3f3f3}
.losscalc ul.steps{list-style:none;padding-left:1em;margin:.2em 0}
.losscalc ul.steps li{margin:.15em 0}
.losscalc math{font-size:1.1em}
.losscalc .prose{color:#444}
.losscalc .note{color:#8a5a00}
.losscalc .failed{color:#b00020}
""".strip()

Part = Union[Report, Explanation, tuple]


def _e(text) -> str:
    return escape(str(text), quote=True)


def grid(table: Grid) -> str:
    """A table of text cells."""
    head = "".join(f"<th>{_e(c)}</th>" for c in table.columns)
    rows = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>"
                   for row in table.rows)
    return (f"<table><caption>{_e(table.title)}</caption><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table>")


def _line(line: str) -> str:
    if isinstance(line, Prose):
        return f'<li class="prose">{_e(line)}</li>'
    return f"<li>{mathml(line)}</li>"


def explanation(expl: Explanation) -> str:
    """The explanation: its title, each section with its formulas as MathML, its notes."""
    out = [f'<section class="explanation"><h3>{_e(expl.title)}</h3>']
    for section in expl.sections:
        if not section.lines:
            # A section without lines is one line itself: "value = 1.33", "… 2 more samples".
            title = section.title
            out.append(f"<p>{mathml(title) if ' = ' in title else _e(title)}</p>")
            continue
        out.append(f"<h4>{_e(section.title)}</h4>")
        out.append('<ul class="steps">' + "".join(_line(line) for line in section.lines)
                   + "</ul>")
    out += [f'<p class="note">note: {_e(note)}</p>' for note in expl.notes]
    return "".join(out) + "</section>"


def _value(report: Report, digits: int) -> str:
    shown = value_line(report, digits)
    return "" if shown is None else f'<p class="value">value <strong>{_e(shown)}</strong></p>'


def report_html(report: Report, expl: Explanation | None, digits: int = 6,
                full: bool = False) -> str:
    """One report: its name and settings, the value, the tables, the explanation, the notes
    the explanation does not show, and the lines a failed check adds."""
    out = [f'<article class="report"><h2>{_e(report.name)} <small>{_e(report.detail)}</small>'
           "</h2>", _value(report, digits)]
    out += [grid(table) for table in report.grids(digits, full)]
    if expl is not None:
        out.append(explanation(expl))
    shown = set(expl.notes) if expl is not None else set()  # (in the reader's language)
    notes = [translate(n) for n in report.notes]
    out += [f'<p class="note">note: {_e(n)}</p>' for n in notes if n not in shown]
    out += [f'<p class="failed">{_e(line)}</p>' for line in report.footer]
    return "".join(out) + "</article>"


def _part(part: Part, digits: int, full: bool) -> str:
    if isinstance(part, Explanation):
        return f'<article class="report">{explanation(part)}</article>'
    report, expl = (part, None) if isinstance(part, Report) else part
    if expl is None and report.explanation is not None:  # a page always shows it
        expl = report.explanation(digits, full).translated(translate)
    return report_html(report, expl, digits, full)


def body(parts: Iterable[Part], digits: int = 6, full: bool = False) -> str:
    """The content of a page without the document around it (a Jupyter cell's HTML): each
    part is a Report (shown with its explanation, when it has one), a (Report, Explanation)
    pair, or an Explanation alone."""
    return wrap("".join(_part(p, digits, full) for p in parts))


def wrap(inner: str) -> str:
    """Content in losscalc's scoped style."""
    return f'<div class="losscalc"><style>{CSS}</style>{inner}</div>'


def page(parts: Iterable[Part], title: str = "losscalc", digits: int = 6,
         full: bool = False) -> str:
    """A whole self-contained HTML document of ``parts`` (as ``body`` takes them): what
    `--format html` writes, and a problem set's worked solutions."""
    return document(body(parts, digits, full), title)


def document(content: str, title: str) -> str:
    """A whole self-contained HTML document around ``content``."""
    return ("<!DOCTYPE html>\n"
            f'<html lang="{language()}"><head><meta charset="utf-8"/><title>{_e(title)}</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1"/></head>'
            f"<body>{content}</body></html>\n")


def markdown(report: Report, expl: Explanation | None, digits: int = 6) -> str:
    """The same content as Markdown (Jupyter's text/markdown): the value, the tables as pipe
    tables, the explanation as --format markdown writes it."""
    from .notes import markdown as explanation_markdown

    def cell(text) -> str:
        return str(text).replace("|", "\\|")

    out = [f"**{report.name}** {report.detail}", ""]
    shown = value_line(report, digits)
    if shown is not None:
        out += [f"value **{shown}**", ""]
    for table in report.grids(digits, False):
        out += [f"*{table.title}*", "", "| " + " | ".join(cell(c) for c in table.columns) + " |",
                "|" + "---|" * len(table.columns)]
        out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in table.rows]
        out.append("")
    if expl is not None:
        out.append(explanation_markdown(expl))
    return "\n".join(out).rstrip() + "\n"


__all__ = ["CSS", "body", "explanation", "grid", "markdown", "page", "report_html"]
