"""Rich tables for a terminal: a report's head lines and grids, an explanation's panels.

Imported only when a table is printed: rich costs more start-up than the whole computation.
"""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..errors import printable
from ..report import Grid  # noqa: F401  (print_grids prints these)

MAX_ROWS = 20
MIN_WIDTH = 40  # a narrower terminal (or COLUMNS) still gets tables this wide


def _index(index) -> str:
    return ", ".join(str(i) for i in index) if index else "·"


def _rows(items, show_all: bool):
    """The rows to show and how many were left out."""
    items = list(items)
    if show_all or len(items) <= MAX_ROWS:
        return items, 0
    return items[:MAX_ROWS], len(items) - MAX_ROWS


def _cell(text: str) -> Text:
    """A cell as it is: control characters escaped, brackets not read as rich markup."""
    return Text(printable(str(text)))


def _table(title: str, columns: list[str], numbers: bool = True) -> Table:
    """Our table style: the first column an index (dim); numbers right-aligned."""
    table = Table(title=_cell(title), title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False)
    for i, name in enumerate(columns):
        table.add_column(_cell(name), justify="right" if numbers and i else "left",
                         style="dim" if i == 0 and numbers else None, overflow="fold")
    return table


def print_rows(title: str, columns: list[str], rows, *, no_color=False, file=None) -> None:
    """A table of words (such as `losscalc list`) in the same style."""
    table = _table(title, columns, numbers=False)
    for row in rows:
        table.add_row(*map(_cell, row))
    _console(file, no_color).print(table)


def _console(file, no_color) -> Console:
    """A console for stdout (or ``file``). With --no-color or NO_COLOR it writes no escape
    code at all: rich's no_color alone drops the colours but keeps bold, dim and italic."""
    import os

    no_color = no_color or bool(os.environ.get("NO_COLOR"))
    console = Console(file=file, no_color=no_color, color_system=None if no_color else "auto",
                      highlight=False, soft_wrap=False)
    if console.width < MIN_WIDTH:  # COLUMNS=0 prints nothing, 10 a letter a line
        console.width = MIN_WIDTH  # a narrow terminal wraps the lines itself
    return console


def _head(console, name: str, detail: str, value: str | None) -> None:
    """The first lines: the name in bold, the settings dimmed, then the value."""
    console.print(Text.assemble((printable(name), "bold"), (f"  {printable(detail)}", "dim")))
    if value is not None:
        console.print(Text.assemble(("value ", "bold"), (printable(value), "bold cyan")))


def print_grids(name: str, detail: str, value: str | None, grids, *, show_all=False,
                no_color=False, file=None, footer=()) -> None:
    """The head lines, then each grid as a table (long ones truncated unless ``show_all``),
    then the ``footer`` lines in red."""
    console = _console(file, no_color)
    _head(console, name, detail, value)
    for grid in grids:
        table = _table(grid.title, grid.columns)
        rows, more = _rows(grid.rows, show_all)
        for row in rows:
            table.add_row(*map(_cell, row))
        if more:
            table.add_row(f"… {more} more", *[""] * (len(grid.columns) - 1))
        console.print(table)
    for line in footer:
        console.print(Text(printable(line), style="red"))


def print_explanation(explanation, *, no_color=False, file=None) -> None:
    """The explanation on a terminal: a panel per stage, notes in yellow."""
    from rich.panel import Panel

    console = _console(file, no_color)
    console.print(Text(explanation.title, style="bold"))
    for section in explanation.sections:
        if not section.lines:
            console.print(Text(section.title, style="dim"))
            continue
        console.print(Panel(Text("\n".join(section.lines)), title=section.title,
                            title_align="left", box=box.ROUNDED, expand=False))
    for note in explanation.notes:
        console.print(Text(f"note: {note}", style="yellow"))
