"""Formulas rendered from the graph: how a node reads, down to its named operands.

``render`` walks the nodes of losscalc.tape and writes the formula that made one, as text with
its precedence (so parentheses appear only where needed). Each primitive registers how it reads
with ``@renders`` beside its forward and backward in tape.py; a ``View`` decides how operands
show, by name (the formula) or by value (the arithmetic with one sample's numbers, in
render/explain.py). Only NumPy is imported.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

# Precedence: higher binds tighter.
SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 3, 4, 5

# op → rule(node, args) → (text, precedence); filled by @renders in tape.py.
RULES: dict[str, Callable] = {}

def fmt_number(v) -> str:
    """A number as formulas show it: shortest general form, with a true minus sign."""
    return f"{float(v):g}".replace("-", "−")


def fmt_const(value) -> str:
    """A constant as a formula shows it: its number, or […] for an array."""
    return fmt_number(np.asarray(value).reshape(-1)[0]) if np.size(value) == 1 else "[…]"


def wrap(text: str, prec: int, need: int) -> str:
    """``text`` in parentheses when it binds looser (``prec``) than its place needs."""
    return f"({text})" if prec < need else text


class View:
    """How a formula shows its operands: by name (the formula itself) or, in subclasses, by
    value (the arithmetic with the real numbers, one sample at a time)."""

    def operand(self, node) -> str:
        return node.name

    def index(self, node) -> str:
        return node.attrs["label"]

    def branch(self, node) -> bool | None:
        """For a piecewise node: True/False to show only that branch, None for both."""
        return None


NAMES = View()


def _precedence(text: str) -> int:
    # A negative number reads like a sum: 1 − (−2), (−0.5)².
    return SUM if text.startswith("−") else ATOM


def render(node, top: bool = True, view: View = NAMES) -> tuple[str, int]:
    """The formula that made ``node`` (a tape node), down to named operands: (text,
    precedence)."""
    if node.op == "input" or (node.name is not None and not top):
        text = view.operand(node)
        return text, _precedence(text)
    if node.op == "const":
        text = fmt_const(node.value)
        return text, _precedence(text)
    if node.op == "fused":
        return render(node.attrs["expr"], True, view)
    if node.op == "where" and view.branch(node) is not None:
        return render(node.parents[0 if view.branch(node) else 1], False, view)
    args = [render(p, False, view) for p in node.parents]
    if node.op == "take":
        return f"{wrap(args[0][0], args[0][1], ATOM)}[{view.index(node)}]", ATOM
    return RULES[node.op](node, args)


def renders(op: str, rule: Callable) -> Callable:
    """Register ``rule(node, args) → (text, precedence)`` as how nodes of ``op`` read: a
    decorator, so that each primitive's rendering sits with its forward and backward."""
    RULES[op] = rule

    def keep(fn: Callable) -> Callable:
        return fn

    return keep


def binary(symbol, prec, right_need=None):
    """An infix operator: each side parenthesised when it binds looser than ``prec``."""
    def fmt(node, args):
        (a, pa), (b, pb) = args
        return f"{wrap(a, pa, prec)}{symbol}{wrap(b, pb, right_need or prec)}", prec

    return fmt


def call(name):
    """A function applied to one operand: exp(x)."""
    return lambda node, args: (f"{name}({args[0][0]})", ATOM)


def reduce_label(node):
    """The index a reduction runs over, as a subscript: Σ_c."""
    over = node.attrs.get("over")
    return f"_{over}" if over else ""


def render_where(node, args):
    """A piecewise node: ``a if condition else b``."""
    (a, pa), (b, pb) = args
    return f"{wrap(a, pa, SUM + 1)} if {node.attrs['text']} else {wrap(b, pb, SUM + 1)}", 0


SUPERSCRIPTS = dict(zip(range(2, 10), "²³⁴⁵⁶⁷⁸⁹"))
