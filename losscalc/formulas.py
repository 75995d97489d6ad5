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


# ---------------------------------------------------------------------------------------------
# The MathML target: a rendered formula (the text ``render`` wrote, its parentheses placed by
# precedence, and the numbers a View filled in) as MathML Core, for the HTML page. Nothing is
# re-derived from the graph: the page shows the very formula the other forms show.

SUBSCRIPT_CHARS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼ", "0123456789+−aeoxhklmnpstij"))
SUPERSCRIPT_CHARS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻ᵀ", "0123456789+−T"))
# Not letters of a name: scripts, and what Unicode counts as a letter or number but a formula
# reads as an operator or a number (Σ, ½, ∞).
_NOT_LETTERS = "".join(SUBSCRIPT_CHARS) + "".join(SUPERSCRIPT_CHARS) + "Σ½∞"
_LETTER = rf"(?:(?![{_NOT_LETTERS}])[^\W\d_])"
_TOKEN = None  # the tokenizer, compiled on first use (the start-up path never renders MathML)
_WORDS_AS_TEXT = ("if", "else", "more", "same", "steps", "for", "and", "where")


def _tokenizer():
    import re

    global _TOKEN
    if _TOKEN is None:
        _TOKEN = re.compile(rf"""
            (?P<space>\s+)
          | (?P<num>(?:\d+\.?\d*|\.\d+)(?:e[+\-−]?\d+)?)
          | (?P<word>[∂Σ]?{_LETTER}(?:{_LETTER}|\d)*(?:\.{_LETTER}+)*′*)
          | (?P<sub>_(?:{_LETTER}|\d)+)
          | (?P<subs>[{''.join(SUBSCRIPT_CHARS)}]+)
          | (?P<sups>[{''.join(SUPERSCRIPT_CHARS)}]+)
          | (?P<open>[(\[{{])
          | (?P<close>[)\]}}])
          | (?P<op>.)""", re.X)
    return _TOKEN


def _esc(text: str) -> str:
    from html import escape

    return escape(text, quote=False)


def _token_markup(kind: str, text: str) -> str:
    if kind == "num":
        return f"<mn>{_esc(text.replace('-', '−'))}</mn>"
    if kind == "word":
        if text in _WORDS_AS_TEXT:
            return f"<mtext>\u00a0{_esc(text)}\u00a0</mtext>"
        if any("\u3400" <= c <= "\u9fff" for c in text):  # a translated word (值 = 0.5)
            return f"<mtext>{_esc(text)}</mtext>"
        if text[0] in "∂Σ" and len(text) > 1:  # ∂loss, Σℓ: one operand
            return f"<mrow><mo>{text[0]}</mo><mi>{_esc(text[1:])}</mi></mrow>"
        return f"<mi>{_esc(text)}</mi>"
    if text == "½":
        return "<mfrac><mn>1</mn><mn>2</mn></mfrac>"
    if text == "∞":
        return "<mi>∞</mi>"
    return f"<mo>{_esc(text)}</mo>"


def _script(text: str, table: dict[str, str]) -> str:
    """A run of sub- or superscript characters (or ``_word``) as the script's markup."""
    plain = "".join(table.get(c, c) for c in text)
    parts = [f"<mn>{c}</mn>" if c.isdigit() else f"<mo>{c}</mo>" if c in "+−" else
             f"<mi>{_esc(c)}</mi>" for c in plain] if len(plain) > 1 and not plain.isalnum() \
        else [f"<mn>{plain}</mn>" if plain.isdigit() else f"<mi>{_esc(plain)}</mi>"]
    return parts[0] if len(parts) == 1 else "<mrow>" + "".join(parts) + "</mrow>"


def _items(tokens: list, stop: str | None) -> list[tuple[str, bool, str]]:
    """The tokens up to ``stop`` (a closing bracket) as items (markup, is an operand, inner
    markup of a parenthesised group), scripts attached and fractions folded."""
    closing = {"(": ")", "[": "]", "{": "}"}
    items: list[tuple[str, bool, str]] = []
    while tokens:
        kind, text = tokens.pop(0)
        if kind == "close" and text == stop:
            break
        if kind == "open":
            inner = _items(tokens, closing[text])
            row = "".join(markup for markup, _, _ in inner)
            items.append((f"<mrow><mo>{text}</mo>{row}<mo>{closing[text]}</mo></mrow>", True,
                          row if text == "(" else ""))
        elif kind in ("sub", "subs", "sups") and items and items[-1][1]:
            base = items.pop()[0]
            table = SUPERSCRIPT_CHARS if kind == "sups" else SUBSCRIPT_CHARS
            tag = "msup" if kind == "sups" else "msub"
            items.append((f"<{tag}>{base}{_script(text.lstrip('_'), table)}</{tag}>", True, ""))
        elif kind in ("sub", "subs", "sups") and items and items[-1][0] == "<mo>Σ</mo>":
            items[-1] = (f"<munder><mo>Σ</mo>{_script(text.lstrip('_'), SUBSCRIPT_CHARS)}"
                         "</munder>", False, "")
        elif (kind == "num" and items and items[-1][0] == "<mo>−</mo>"
              and (len(items) == 1 or not items[-2][1])):
            items[-1] = (_token_markup(kind, "−" + text), True, "")  # a negative number
        else:
            operand = kind in ("num", "word") or text in ("½", "∞")
            items.append((_token_markup(kind, text), operand, ""))
    return _fractions(items)


def _fractions(items: list[tuple[str, bool, str]]) -> list[tuple[str, bool, str]]:
    """``a / b`` between two operands as a fraction (a group loses its parentheses there),
    left to right as the text reads."""
    out: list[tuple[str, bool, str]] = []
    i = 0
    while i < len(items):
        item = items[i]
        if (item[0] == "<mo>/</mo>" and out and out[-1][1] and i + 1 < len(items)
                and items[i + 1][1]):
            left, right = out.pop(), items[i + 1]
            num, den = (f"<mrow>{x[2]}</mrow>" if x[2] else x[0] for x in (left, right))
            out.append((f"<mfrac>{num}{den}</mfrac>", True, ""))
            i += 2
            continue
        out.append(item)
        i += 1
    return out


def mathml(text: str, display: str = "inline") -> str:
    """A formula line (``d = 0.9 − 1 = −0.1``) as one MathML Core ``<math>`` element: names
    as <mi>, numbers as <mn>, operators as <mo>, Unicode and ``_c`` scripts as <msub>/<msup>,
    ``Σ_c`` as <munder>, ``a / b`` between operands as <mfrac>. Every character is escaped."""
    tokens = [(m.lastgroup, m.group()) for m in _tokenizer().finditer(text)
              if m.lastgroup != "space"]
    row = "".join(markup for markup, _, _ in _items(tokens, None))
    # No xmlns: HTML puts <math> in the MathML namespace itself, and the page names no URL.
    return f'<math display="{display}"><mrow>{row}</mrow></math>'
