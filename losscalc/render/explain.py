"""The explanation: the computation written out the way a teacher does on the board.

Nothing is recomputed here. Every formula is rendered from the graph the loss ran on, and
every number is a value that computation produced (rounded to ``digits``). The explanation
has sections — the formulas, the inputs, one block per sample (the first few; the rest run the
same steps), the reduction with its exact divisor, the gradient — which the plain, rich,
Markdown and LaTeX renderers lay out each in their own way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import tape
from ..formulas import NAMES, View, fmt_number, render
from ..i18n import N_
from ..report import nested
from .numbers import SHOWN_SAMPLES, fmt_array, fmt_value  # noqa: F401  (also for the commands)


class Prose(str):
    """A line of words (a remark, a description) rather than a formula."""


class SampleView(View):
    """Shows each operand by its value for sample ``n`` (its whole value when ``n`` is None)."""

    def __init__(self, count: int | None, n: int | None, digits: int, full: bool,
                 squeeze: bool = True):
        self.count, self.n, self.digits, self.full = count, n, digits, full
        self.squeeze = squeeze  # show kept size-1 axes (a row's max, its sum) as numbers
        self._batched: dict[int, bool] = {}

    def batched(self, node: tape.Node) -> bool:
        """Does the node's first axis run over the samples?"""
        key = id(node)
        if key not in self._batched:
            v = node.value
            aligned = self.count is not None and v.ndim >= 1 and v.shape[0] == self.count
            if node.op == "input":
                self._batched[key] = aligned and node.attrs.get("batched", False)
            else:
                inner = [node.attrs["expr"]] if node.op == "fused" else node.parents
                # A piecewise node varies with its condition even between constants
                # (relu′ = 1 if x > 0 else 0).
                self._batched[key] = aligned and (node.op == "where" or
                                                  any(self.batched(p) for p in inner))
        return self._batched[key]

    def value(self, node: tape.Node):
        v = node.value[self.n] if self.n is not None and self.batched(node) else node.value
        return v.reshape(()) if self.squeeze and v.size == 1 else v

    def operand(self, node: tape.Node) -> str:
        return fmt_array(self.value(node), self.digits, self.full)

    def index(self, node: tape.Node) -> str:
        index = np.squeeze(node.attrs["index"], node.attrs["axis"])
        if self.n is not None and self.batched(node):
            index = index[self.n]
        return fmt_array(index, self.digits, self.full)

    def branch(self, node: tape.Node) -> bool | None:
        cond = node.attrs["cond"]
        if self.n is not None and self.batched(node):
            cond = cond[self.n]
        return bool(cond.flat[0]) if cond.size and (cond.all() or not cond.any()) else None


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)


@dataclass
class Explanation:
    title: str
    sections: list[Section]
    notes: list[str]

    def translated(self, translate) -> Explanation:
        """The explanation with its words in the reader's language (``translate``, from
        losscalc.i18n): section titles, prose lines and notes. Formulas and numbers stay."""
        sections = [Section(translate(s.title),
                            [Prose(translate(line)) if isinstance(line, Prose) else line
                             for line in s.lines]) for s in self.sections]
        return Explanation(translate(self.title), sections, [translate(n) for n in self.notes])

    def text(self) -> str:
        out = [self.title]
        for section in self.sections:
            out.append(f"{section.title}:" if section.lines else section.title)
            out += [f"  {line}" for line in section.lines]
        out += [f"note: {note}" for note in self.notes]
        return "\n".join(out) + "\n"


def step_line(step, view: SampleView) -> str:
    numbers = render(step.node, True, view)[0]
    result = fmt_array(view.value(step.node), view.digits, view.full)
    text = f"{step.name} = {numbers}"
    return text if numbers == result else f"{text} = {result}"


# How many positions a "holds at …" line names before it only counts them.
SHOWN_POSITIONS = 12


def branch_lines(node: tape.Node, view: SampleView, known: dict[str, str]) -> list[str]:
    """Which branch each piecewise part of ``node``'s formula took for this sample, and why:
    a ``where`` (its condition with the sample's numbers), a max(·, low) or min(·, high) (is
    it active), an |·| at 0 (PyTorch's subgradient 0). ``known``: the sample's values by name
    (inputs, constants, earlier steps), to write a condition with its numbers. The parts
    inside a fused node are not walked: their backward is the fused one (log σ's min(x, 0))."""
    lines: list[str] = []
    seen: set[int] = set()

    def walk(current: tape.Node, top: bool) -> None:
        if id(current) in seen or current.op in ("input", "const", "fused") or (
                current.name is not None and not top):
            return
        seen.add(id(current))
        parents = list(current.parents)
        if current.op == "where":
            taken = view.branch(current)
            lines.append(_where_line(current, view, known, taken))
            if taken is not None:
                parents = [current.parents[0 if taken else 1]]
        elif current.op in ("clamp_min", "clamp_max"):
            lines.append(_clamp_line(current, view))
        elif current.op == "abs":
            lines.extend(_kink_line(current, view))
        for parent in parents:
            walk(parent, False)

    walk(node, True)
    return lines


def _positions(mask: np.ndarray) -> str:
    """The positions where ``mask`` holds, as indices (or how many, when there are many)."""
    where = np.argwhere(np.atleast_1d(mask))
    if len(where) > SHOWN_POSITIONS:
        return N_(f"{len(where)} of {mask.size} positions")
    return ", ".join(str(int(i[0])) if len(i) == 1 else str(tuple(int(k) for k in i))
                     for i in where)


def _with_values(text: str, known: dict[str, str]) -> str:
    """A condition's text with each name it uses replaced by the sample's value."""
    import re

    names = sorted((k for k in known if k), key=len, reverse=True)
    if not names:
        return text
    pattern = re.compile(r"(?<![\w′])(" + "|".join(map(re.escape, names)) + r")(?![\w′])")

    def value(m):  # a negative number after an operator in parentheses: β·(−1)
        shown = known[m.group(1)]
        after_operator = m.start() > 0 and text[m.start() - 1] not in " (|["
        return f"({shown})" if shown.startswith("−") and after_operator else shown

    return pattern.sub(value, text)


def _where_line(node: tape.Node, view: SampleView, known: dict[str, str],
                taken: bool | None) -> Prose:
    condition = node.attrs["text"]
    if taken is None:
        cond = node.attrs["cond"]
        cond = cond[view.n] if view.n is not None and view.batched(node) else cond
        holds, fails = _positions(cond), _positions(~cond)
        return Prose(N_(f"branch: {condition} holds at index {holds}; fails at index {fails}"))
    branch = render(node.parents[0 if taken else 1], False, NAMES)[0]
    numbers = _with_values(condition, known)
    if numbers == condition:  # a condition without named values ("both are −∞")
        return Prose(N_(f"branch: {condition} holds → {branch}") if taken else
                     N_(f"branch: {condition} fails → {branch}"))
    if taken:
        return Prose(N_(f"branch: {numbers} is true, so {condition} → {branch}"))
    return Prose(N_(f"branch: {numbers} is false, so not {condition} → {branch}"))


def _clamp_line(node: tape.Node, view: SampleView) -> Prose:
    """max(a, low) (or min(a, high)): which side wins; at the kink the gradient passes (the
    clamp's backward tests >= / <=)."""
    upper = node.op == "clamp_max"
    bound = fmt_number(node.attrs["high" if upper else "low"])
    arg = render(node.parents[0], False, NAMES)[0]
    value = np.asarray(view.value(node.parents[0]))
    limit = node.attrs["high" if upper else "low"]
    kind = "min" if upper else "max"
    free = value < limit if upper else value > limit
    at = value == limit
    beyond, within = ("<", "≥") if upper else (">", "≤")
    if at.any():  # some at the kink, where the gradient passes too
        beyond = "≤" if upper else "≥"
    if value.size != 1 and (free | at).any() and not (free | at).all():
        passes, stops = _positions(free | at), _positions(~(free | at))
        return Prose(N_(f"branch: {kind}({arg}, {bound}) is {arg} at index {passes} (the "
                        f"gradient passes); {bound} at index {stops} (no gradient)"))
    shown = fmt_array(value, view.digits, view.full)
    if at.all():
        return Prose(N_(f"branch: {arg} = {shown}, the kink of {kind}({arg}, {bound}): PyTorch "
                        f"passes the gradient there"))
    if (free | at).all():
        return Prose(N_(f"branch: {arg} = {shown} {beyond} {bound}, so "
                        f"{kind}({arg}, {bound}) = {arg} (active: the gradient passes)"))
    return Prose(N_(f"branch: {arg} = {shown} {within} {bound}, so "
                    f"{kind}({arg}, {bound}) = {bound} (inactive: no gradient)"))


def _kink_line(node: tape.Node, view: SampleView) -> list[str]:
    """|a| at a = 0, where PyTorch's derivative sign(0) is 0 (only where it happens)."""
    value = np.asarray(view.value(node.parents[0]))
    if not (value == 0).any():
        return []
    arg = render(node.parents[0], False, NAMES)[0]
    if value.size == 1:
        return [Prose(N_(f"branch: {arg} = 0, the kink of |{arg}|: PyTorch's gradient there "
                         f"is sign(0) = 0"))]
    return [Prose(N_(f"branch: {arg} = 0 at {_positions(value == 0)}, the kink of |{arg}|: "
                     f"PyTorch's gradient there is sign(0) = 0"))]


def named_constants(steps) -> list[tape.Node]:
    """Named numbers and per-class tensors the formulas use (β, ε, C, w …), once each."""
    found, seen = [], set()

    def walk(node, top):
        if id(node) in seen:
            return
        if node.op in ("const", "input") and node.name and not node.attrs.get("batched"):
            seen.add(id(node))
            found.append(node)
            return
        if node.name is not None and not top:
            return
        inner = [node.attrs["expr"]] if node.op == "fused" else node.parents
        for p in inner:
            walk(p, False)

    for step in steps:
        walk(step.node, True)
    return found


def constants_section(steps, digits: int, full: bool) -> list[Section]:
    """"with": the named constants the formulas use, once each (none: no section)."""
    constants = named_constants(steps)
    return [Section("with", [f"{c.name} = {fmt_array(c.value, digits, full)}"
                             for c in constants])] if constants else []


def sample_sections(count: int | None, label: str, digits: int, full: bool,
                    lines) -> list[Section]:
    """One section per sample — the first SHOWN_SAMPLES unless ``full``, then how many more
    run the same steps; ``lines(view, n)`` writes sample n (n None: one whole computation)."""
    shown = 1 if count is None else (count if full else min(count, SHOWN_SAMPLES))
    out = []
    for n in range(shown):
        view = SampleView(count, None if count is None else n, digits, full)
        title = N_("computation") if count is None else sample_title(label, n)
        out.append(Section(title, lines(view, None if count is None else n)))
    if count is not None and shown < count:
        out.append(Section(more_title(label, count - shown)))
    return out


def sample_title(label: str, n: int) -> str:
    """Sample n's section title; each label spelled out, so that each can be translated."""
    return {"element": N_(f"element {n}"), "sample": N_(f"sample {n}"),
            "row": N_(f"row {n}")}.get(label, f"{label} {n}")


def more_title(label: str, more: int) -> str:
    """The title that stands for the samples not shown."""
    return {"element": N_(f"… {more} more elements (same steps)"),
            "sample": N_(f"… {more} more samples (same steps)"),
            "row": N_(f"… {more} more rows (same steps)")}.get(
        label, f"… {more} more {label}s (same steps)")


def table_lines(tables, n: int, digits: int) -> list[str]:
    """Sample n's tables (CTC's α): what each holds, then a line per row."""
    lines = []
    for table in (t for t in tables if t.sample == n):
        lines.append(Prose(table.text))
        if table.rows is not None:
            lines += [f"{table.name.split()[0]}_{r} = {fmt_array(row, digits, True)}"
                      for r, row in enumerate(table.rows)]
        if table.after:
            lines.append(Prose(table.after))
    return lines


def textbook_formulas(steps) -> list[str]:
    """The textbook form of a loss computed stably (bce-logits' σ(x)): shown beside it."""
    if not steps:
        return []
    return [Prose("the textbook form, which gives the same value:"),
            *[f"{s.name} = {s.formula}" for s in steps],
            Prose("the stable form above is what is computed: it never forms exp(−x) of a "
                  "large |x| (which overflows) nor ln 0 (when σ(x) rounds to 0 or 1)")]


def textbook_lines(steps, view: SampleView) -> list[str]:
    """The textbook form with the sample's numbers, and whether it gives the computed value
    (it cannot when σ(x) rounds to 0 or 1: then it says so rather than show a wrong number as
    the loss)."""
    lines = [step_line(s, view) for s in steps]
    for step in steps:
        stable = step.node.attrs.get("same_as")
        if stable is None:
            continue
        book, value = np.asarray(view.value(step.node)), np.asarray(view.value(stable))
        name, computed = step.name, stable.name
        shown = fmt_array(value, view.digits, view.full)
        if not np.isfinite(book).all():
            lines.append(Prose(N_(f"{name} is not {computed} here: σ(x) rounds to 0 or 1, "
                                  f"ln 0 = −∞, so the textbook form overflows; the stable form "
                                  f"gives {computed} = {shown}")))
        elif not np.allclose(book, value, rtol=1e-6, atol=0):
            lines.append(Prose(N_(f"{name} is not {computed} here: σ(x) rounds to within an "
                                  f"ulp of 0 or 1, so the textbook form loses its digits; the "
                                  f"stable form gives {computed} = {shown}")))
        else:
            lines.append(Prose(N_(f"{name} = {computed}: the same value")))
    return lines


def _sample_count(result) -> int | None:
    elem = np.asarray(result.elementwise)
    return elem.shape[0] if elem.ndim else None


def _gradient_lines(result, spec, loss_step, digits, full) -> list[str]:
    lines = [Prose(f"per element: {spec.gradient}")] if spec.gradient else []
    if result.reduction == "none":
        lines.append(Prose("with --reduction none this is the gradient of Σℓ"))
    count = _sample_count(result)
    for name, grad in result.grad.items():
        x = result.symbols[name]
        if result.reduction == "sum":
            lines.append(f"∂loss/∂{x} = ∂ℓ/∂{x}")
        elif result.reduction != "none":
            lines.append(f"∂loss/∂{x} = ∂ℓ/∂{x} / {loss_step.node.parents[1].name}")
        grad = np.asarray(grad)
        if count is None or grad.ndim == 0 or grad.shape[0] != count:
            lines.append(f"∂loss/∂{x} = {fmt_array(grad, digits, full)}")
            continue
        shown = count if full else min(count, SHOWN_SAMPLES)
        lines += [f"∂loss/∂{x}[{n}] = {fmt_array(grad[n], digits, full)}" for n in range(shown)]
        if shown < count:
            lines.append(Prose(f"… {count - shown} more"))
    return lines


def build(result, spec, digits: int = 6, full: bool = False) -> Explanation:
    """The explanation of ``result``, every number from its recorded steps."""
    count = _sample_count(result)
    sample_steps = [s for s in result.steps if s.stage == "sample"]
    reduce_steps = [s for s in result.steps if s.stage == "reduce"]
    inputs = {result.symbols[name]: value for name, value in result.inputs.items()}
    per_sample = {result.symbols[name] for name, b in result.batched.items() if b}
    same_shape = np.shape(next(iter(inputs.values()))) == np.shape(result.elementwise)
    # A block per first-axis index: an element of a vector, a row of a matrix.
    label = ("row" if np.ndim(result.elementwise) > 1 else "element") if same_shape else "sample"

    textbook_steps = [s for s in result.steps if s.stage == "textbook"]
    formulas = [f"{s.name} = {s.formula}" for s in sample_steps]
    formulas += textbook_formulas(textbook_steps)
    if any("ln" in f for f in formulas):
        formulas.append(Prose("ln is the natural logarithm (base e), as in PyTorch: the loss is "
                              "in nats, not base 10"))
    sections = [Section("formulas", formulas), *constants_section(sample_steps, digits, full)]

    constants = {c.name: fmt_array(c.value, digits, full)
                 for c in named_constants(sample_steps)}

    def sample(view, n):
        shown = {k: fmt_array(v[n] if n is not None else v, digits, full)
                 for k, v in inputs.items()
                 if n is None or (k in per_sample and np.ndim(v) and np.shape(v)[0] == count)}
        data = [f"{k} = {v}" for k, v in shown.items()]
        known = {**constants, **shown}
        out = data + table_lines(result.tables, n or 0, digits)
        for s in sample_steps:
            out.append(step_line(s, view))
            out += branch_lines(s.node, view, known)
            known[s.name] = fmt_array(view.value(s.node), digits, full)
        return out + textbook_lines(textbook_steps, view)

    sections += sample_sections(count, label, digits, full, sample)

    whole = SampleView(None, None, digits, full, squeeze=False)
    if result.reduction != "none":
        lines = [step_line(s, whole) for s in reduce_steps]
        remarks = [Prose(r) for r in result.remarks]
        sections.append(Section(f"reduction ({result.reduction})", lines + remarks))
    loss_step = reduce_steps[-1] if reduce_steps else None
    sections.append(Section("gradient", _gradient_lines(result, spec, loss_step, digits, full)))
    value = np.asarray(result.value)
    if value.ndim == 0:
        sections.append(Section(f"value = {fmt_value(value, digits)}"))
    reference = spec.reference.split(" (")[0]
    title = N_(f"{result.loss}: {reference} · reduction {result.reduction} · {result.dtype}")
    return Explanation(title, sections, list(result.notes))


def steps_json(result, spec) -> list[dict]:
    """The "steps" of docs/contract.md, section 8: every recorded step over the whole tensors,
    then the gradient."""
    out = [{"text": t.text, "value": nested(t.rows)} for t in result.tables
           if t.rows is not None]
    out += [{"text": f"{s.name} = {s.formula}", "value": nested(s.value)} for s in result.steps
            if s.stage != "textbook"]  # the textbook form is shown, not computed from
    for name, grad in result.grad.items():
        x = result.symbols[name]
        gradient = f"∂loss/∂{x}" + (f" (per element: {spec.gradient})" if spec.gradient else "")
        out.append({"text": gradient, "value": nested(grad)})
    return out
