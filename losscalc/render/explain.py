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
from ..formulas import View, render
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
        return Explanation(self.title, sections, [translate(n) for n in self.notes])

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

    formulas = [f"{s.name} = {s.formula}" for s in sample_steps]
    if any("ln" in f for f in formulas):
        formulas.append(Prose("ln is the natural logarithm (base e), as in PyTorch: the loss is "
                              "in nats, not base 10"))
    sections = [Section("formulas", formulas), *constants_section(sample_steps, digits, full)]

    def sample(view, n):
        data = [f"{k} = {fmt_array(v[n] if n is not None else v, digits, full)}"
                for k, v in inputs.items()
                if n is None or (k in per_sample and np.ndim(v) and np.shape(v)[0] == count)]
        return data + table_lines(result.tables, n or 0, digits) + [
            step_line(s, view) for s in sample_steps]

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
    title = f"{result.loss}: {reference} · reduction {result.reduction} · {result.dtype}"
    return Explanation(title, sections, list(result.notes))


def steps_json(result, spec) -> list[dict]:
    """The "steps" of docs/contract.md, section 8: every recorded step over the whole tensors,
    then the gradient."""
    out = [{"text": t.text, "value": nested(t.rows)} for t in result.tables
           if t.rows is not None]
    out += [{"text": f"{s.name} = {s.formula}", "value": nested(s.value)} for s in result.steps]
    for name, grad in result.grad.items():
        x = result.symbols[name]
        gradient = f"∂loss/∂{x}" + (f" (per element: {spec.gradient})" if spec.gradient else "")
        out.append({"text": gradient, "value": nested(grad)})
    return out
