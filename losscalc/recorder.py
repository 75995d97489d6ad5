"""The step recorder: a ``Tape`` records the named steps of one computation (``let``), its
notes, remarks and tables, in the order they happened, for the explanation to show.

The nodes and primitives are losscalc.tape's; how a step's formula reads is
losscalc.formulas'.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from .formulas import render, renders
from .tape import Node, const, leaf


class Step(NamedTuple):
    """A named step of the computation: ``name = formula``, with the value it produced."""

    name: str
    node: Node
    stage: str = "sample"

    @property
    def formula(self) -> str:
        return render(self.node)[0]

    @property
    def value(self):
        return self.node.value


class Table(NamedTuple):
    """A table the explanation shows for one sample (CTC's α lattice): ``rows`` (2-D, a row per
    line) or None when too large to show; ``text`` says what it holds."""

    name: str
    sample: int
    rows: Any
    text: str
    after: str = ""  # a line after the rows (what the table adds up to)


class Tape:
    """Records the named steps of one computation, in the order they happened."""

    def __init__(self, dtype) -> None:
        self.dtype = np.dtype(dtype)
        self.steps: list[Step] = []
        self.notes: list[str] = []
        self.remarks: list[str] = []
        self.tables: list[Table] = []

    def input(self, value, name: str, requires_grad: bool = False, batched: bool = True) -> Node:
        """A tensor of the computation. ``batched``: its first axis runs over the samples
        (False for per-class parameters such as CE's weights), so the explanation can show
        one sample at a time."""
        node = leaf(np.asarray(value, dtype=self.dtype), name, requires_grad)
        node.attrs["batched"] = batched
        return node

    def const(self, value, name: str | None = None) -> Node:
        return const(value, self.dtype, name)

    @renders("same", lambda node, args: args[0])  # a named copy reads as what it names
    def let(self, name: str, node: Node, stage: str = "sample") -> Node:
        """Name ``node`` as a step of the explanation and return it.

        ``stage`` is "sample" for per-element/per-sample quantities, "reduce" for the
        reduction and its denominator.
        """
        if node.name is not None or node.op in ("input", "const"):
            node = Node(node.value, "same", (node,), lambda g: (g,))
        node.name = name
        self.steps.append(Step(name, node, stage))
        return node

    def note(self, text: str | None) -> None:
        """A diagnosis of likely misuse: shown in the explanation and on stderr."""
        if text and text not in self.notes:
            self.notes.append(text)

    def remark(self, text: str) -> None:
        """A fact worth knowing while reading the steps (explanation only)."""
        if text not in self.remarks:
            self.remarks.append(text)

    def table(self, name: str, sample: int, rows, text: str, after: str = "") -> None:
        """A table of sample ``sample`` for the explanation (rows None: too large to show)."""
        self.tables.append(Table(name, sample, rows, text, after))
