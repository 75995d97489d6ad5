"""The explanation: each recorded step of the computation with its formula and its numbers.

Nothing is recomputed here: every formula is rendered from the graph the loss ran on, and
every number is a value that computation produced, rounded to ``digits``.
"""

from __future__ import annotations

import numpy as np

from .. import tape as T
from .machine import nested

_SHOWN_ROWS = 3


def fmt_value(v, digits: int) -> str:
    v = float(v)
    if v == 0:
        return "0"
    return f"{v:.{digits}g}".replace("-", "−")


def fmt_array(array, digits: int, full: bool = False) -> str:
    """A scalar as a number, an array as nested brackets (the first rows, unless ``full``)."""
    array = np.asarray(array)
    if array.ndim == 0:
        return fmt_value(array, digits)
    rows = array if full or len(array) <= _SHOWN_ROWS + 1 else array[:_SHOWN_ROWS]
    parts = [fmt_array(row, digits, full) for row in rows]
    if len(rows) < len(array):
        parts.append(f"… {len(array) - len(rows)} more")
    return "[" + ", ".join(parts) + "]"


def step_lines(result, digits: int = 6, full: bool = False) -> list[tuple[str, object]]:
    """(text, value) for every step: "name = formula = numbers = result"."""
    def by_value(node):
        return fmt_array(node.value, digits, full)

    out = []
    for step in result.steps:
        formula = step.formula
        numbers = T.render(step.node, True, by_value)[0]
        text = f"{step.name} = {formula}"
        shown = fmt_array(step.value, digits, full)
        if numbers != formula:
            text += f" = {numbers}"
        if shown != numbers:
            text += f" = {shown}"
        out.append((text, step.value))
    return out


def steps_json(result, digits: int = 6, full: bool = True) -> list[dict]:
    return [{"text": text, "value": nested(value)}
            for text, value in step_lines(result, digits, full)]


def explain_text(result, inputs: dict, reference: str, digits: int = 6,
                 full: bool = False) -> str:
    lines = [f"{result.loss} ({reference}), reduction {result.reduction}, {result.dtype}"]
    for name, value in inputs.items():
        lines.append(f"  {name} = {fmt_array(value, digits, full)}")
    lines += [f"  {text}" for text, _ in step_lines(result, digits, full)]
    lines.append(f"  gradient ∂loss/∂{next(iter(inputs))} = "
                 f"{fmt_array(result.grad['pred'], digits, full)}")
    lines += [f"note: {note}" for note in result.notes]
    return "\n".join(lines) + "\n"
