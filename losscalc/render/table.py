"""Rich tables for a terminal: the value, the per-element losses and the gradient.

Imported only when a table is printed: rich costs more start-up than the whole computation.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .explain import fmt_value
from .machine import grad_columns, grad_rows, grad_width

MAX_ROWS = 20


def _index(index) -> str:
    return ", ".join(str(i) for i in index) if index else "·"


def _rows(items, show_all: bool):
    """The rows to show and how many were left out."""
    items = list(items)
    if show_all or len(items) <= MAX_ROWS:
        return items, 0
    return items[:MAX_ROWS], len(items) - MAX_ROWS


def _table(title: str, columns: list[str], numbers: bool = True) -> Table:
    """Our table style: the first column an index (dim); numbers right-aligned."""
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    for i, name in enumerate(columns):
        table.add_column(name, justify="right" if numbers and i else "left",
                         style="dim" if i == 0 and numbers else None, overflow="fold")
    return table


def print_rows(title: str, columns: list[str], rows, *, no_color=False, file=None) -> None:
    """A table of words (such as `losscalc list`) in the same style."""
    table = _table(title, columns, numbers=False)
    for row in rows:
        table.add_row(*row)
    _console(file, no_color).print(table)


def _elementwise_table(result, digits, show_all) -> Table:
    """A row per element: the inputs of its shape, its loss, and its gradient where it is one
    number per element (a class row of gradients gets a table of its own)."""
    elem = np.asarray(result.elementwise)
    aligned = {name: np.asarray(v) for name, v in result.inputs.items()
               if np.shape(v) == elem.shape}
    grads = {name: columns[0] for name, columns in grad_columns(result).items()
             if grad_width(result, name) == 1}
    table = _table("Per-element losses", ["index", *aligned, "loss", *grads.values()])
    per_tensor = [grad_rows(result, name) for name in grads]
    rows, more = _rows(zip(np.ndindex(*elem.shape), *per_tensor), show_all)
    for index, *grad in rows:
        cells = [_index(index), *(fmt_value(v[index], digits) for v in aligned.values()),
                 fmt_value(elem[index], digits)]
        cells += [fmt_value(values[0], digits) for _, values in grad]
        table.add_row(*cells)
    if more:
        table.add_row(f"… {more} more", *[""] * (len(table.columns) - 1))
    return table


def _gradient_table(result, name, digits, show_all) -> Table:
    grad = np.asarray(result.grad[name])
    title = f"Gradient ∂value/∂{name}"
    if grad.ndim == 2:
        table = _table(title, ["row"] + [str(c) for c in range(grad.shape[1])])
        rows, more = _rows(enumerate(grad), show_all)
        for r, row in rows:
            table.add_row(str(r), *[fmt_value(v, digits) for v in row])
    else:
        table = _table(title, ["index", "grad"])
        rows, more = _rows(np.ndindex(*grad.shape), show_all)
        for index in rows:
            table.add_row(_index(index), fmt_value(grad[index], digits))
    if more:
        table.add_row(f"… {more} more", *[""] * (len(table.columns) - 1))
    return table


def _console(file, no_color) -> Console:
    """A console for stdout (or ``file``). With --no-color or NO_COLOR it writes no escape
    code at all: rich's no_color alone drops the colours but keeps bold, dim and italic."""
    import os

    no_color = no_color or bool(os.environ.get("NO_COLOR"))
    return Console(file=file, no_color=no_color, color_system=None if no_color else "auto",
                   highlight=False, soft_wrap=False)


def _head(console, name: str, detail: str, value: str | None) -> None:
    """The first lines: the name in bold, the settings dimmed, then the value."""
    console.print(Text.assemble((name, "bold"), (f"  {detail}", "dim")))
    if value is not None:
        console.print(Text.assemble(("value ", "bold"), (value, "bold cyan")))


def print_tables(result, *, digits=6, show_all=False, no_color=False, file=None) -> None:
    console = _console(file, no_color)
    value = np.asarray(result.value)
    shown = fmt_value(value, digits) if value.ndim == 0 else f"{value.size} values (below)"
    _head(console, result.loss, f"reduction {result.reduction} · {result.dtype}", shown)
    console.print(_elementwise_table(result, digits, show_all))
    for name in result.grad:
        if grad_width(result, name) != 1:
            console.print(_gradient_table(result, name, digits, show_all))


class Grid(NamedTuple):
    """A table of formatted cells (the commands other than losses: act, info, backprop)."""

    title: str
    columns: list[str]
    rows: list[list[str]]


def print_grids(name: str, detail: str, value: str | None, grids, *, show_all=False,
                no_color=False, file=None) -> None:
    """The head lines, then each grid as a table (long ones truncated unless ``show_all``)."""
    console = _console(file, no_color)
    _head(console, name, detail, value)
    for grid in grids:
        table = _table(grid.title, grid.columns)
        rows, more = _rows(grid.rows, show_all)
        for row in rows:
            table.add_row(*row)
        if more:
            table.add_row(f"… {more} more", *[""] * (len(grid.columns) - 1))
        console.print(table)


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
