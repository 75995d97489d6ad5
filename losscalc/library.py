"""The Python door: ``losscalc.compute``, ``losscalc.activation`` and ``losscalc.info``.

A caller passes tensors and parameters as Python objects (NumPy arrays, nested lists, numbers,
or the text the command line reads) by keyword; each is read by the one tensor reader or its
``Param`` and named in errors as the caller wrote it (``logits=``). The computation is the
core's and the answer wraps the same Report the command line emits, so the library and
``--json`` give the same bits; the Report is rendered (text, Markdown, LaTeX, HTML, Jupyter)
by the same renderers. Only NumPy and the core are imported until something is rendered.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import numpy as np

from .errors import LosscalcError, UsageError
from .inputs import read_tensor
from .names import CUTOFF, NAMES

FORMATS = ("text", "markdown", "latex", "html")


class Grads(dict):
    """The gradient by tensor name, as JSON's "grad" keys it (``pred``, ``x1`` …); a loss's
    own word for its prediction (``logits``, ``log_probs``) finds the same array."""

    def __init__(self, grads: Mapping[str, np.ndarray], aliases: Mapping[str, str]) -> None:
        super().__init__(grads)
        self._aliases = dict(aliases)

    def __missing__(self, key: str) -> np.ndarray:
        if key in self._aliases:
            return self[self._aliases[key]]
        raise KeyError(key)


class Result:
    """What one call computed: ``value``, ``elementwise``, ``grad`` (a dict of NumPy arrays
    by tensor name), ``notes``, and the Report every output form is written from.

    In Jupyter a cell ending with a Result shows the value, the tables and the explanation
    (``_repr_html_``, ``_repr_markdown_``); ``explain(format)`` returns the explanation as
    text, Markdown, LaTeX or HTML.
    """

    def __init__(self, kind: str, name: str, value, elementwise, grad: Grads,
                 notes: list[str], report: Callable[[], Any]) -> None:
        self.kind = kind  # "loss", "activation" or "info"
        self.name = name
        self.value = _scalar_or_array(value)
        self.elementwise = None if elementwise is None else np.asarray(elementwise)
        self.grad = grad
        self.notes = list(notes)
        self._build_report = report
        self._report = None

    @property
    def report(self):
        """The Report (losscalc.report.Report) the command line would emit for this call."""
        if self._report is None:
            self._report = self._build_report()
        return self._report

    @property
    def json(self) -> dict:
        """The JSON document of ``--json`` (without "steps"), as Python objects."""
        return self.report.json

    def explain(self, format: str = "text", lang: str | None = None, *, digits: int = 6,
                full: bool = False) -> str:
        """The step-by-step explanation: ``format`` is text, markdown, latex or html."""
        if format not in FORMATS:
            raise UsageError(f"unknown format {format!r}; choose {', '.join(FORMATS)}",
                             "for example: result.explain(format='markdown')")
        explanation = _explanation(self.report, digits, full, lang)
        if format == "text":
            return explanation.text()
        if format == "html":
            from .render import html

            return html.explanation(explanation)
        from .render import notes

        return notes.markdown(explanation) if format == "markdown" else notes.latex(explanation)

    def _repr_html_(self) -> str:
        from .render import html

        return html.body([(self.report, self._shown_explanation())])

    def _repr_markdown_(self) -> str:
        from .render import html

        return html.markdown(self.report, self._shown_explanation())

    def _shown_explanation(self):
        return _explanation(self.report, 6, False, None) if self.report.explanation else None

    def __repr__(self) -> str:
        value = self.value
        shown = repr(value) if isinstance(value, float) else f"array of shape {value.shape}"
        return f"<losscalc {self.kind} {self.name}: value {shown}>"


def _scalar_or_array(value) -> float | np.ndarray:
    """One number as a Python float (exact: a float32 fits a double), else the array."""
    value = np.asarray(value)
    return float(value) if value.ndim == 0 else value


def _explanation(report, digits: int, full: bool, lang: str | None):
    """The report's explanation, in ``lang`` (None: the default language)."""
    from functools import partial

    from . import i18n

    lang = i18n.language() if lang is None else i18n.normal(lang)
    if lang not in i18n.available():
        raise UsageError(f"unknown language {lang!r}; choose {', '.join(i18n.available())}")
    return report.explanation(digits, full).translated(partial(i18n.translate_to, lang))


# ---------------------------------------------------------------------------------------------
# Names and keywords in the caller's words


_CALLS = {"loss": "losscalc.compute({!r}, …)", "activation": "losscalc.activation({!r}, x)",
          "info": "losscalc.info({!r}, p, q)"}


def _unknown(word: Any, kind: str, what: str, choices: str) -> UsageError:
    """"unknown loss 'x'", with the closest name of any kind as a Python call."""
    if not isinstance(word, str):
        return UsageError(f"the {what} must be a name such as {choices.split(', ')[0]!r}, "
                          f"got {word!r}")
    found = NAMES.closest(word, tuple(_CALLS), prefer=(kind,))
    if found is None:
        hint = f"choose one of {choices}"
    elif found.kind == kind:
        hint = f"did you mean {found.name!r}?"
    else:
        hint = "did you mean " + _CALLS[found.kind].format(found.name) + "?"
    return UsageError(f"unknown {what} {word!r}", hint)


def _lookup(word: Any, kind: str, what: str, entries: Mapping, choices: str):
    found = NAMES.lookup(word, (kind,)) if isinstance(word, str) else None
    if found is None:
        from .losses import all_losses

        all_losses()  # so that a loss can be suggested
        raise _unknown(word, kind, what, choices)
    return entries[found.name]


def _no_keyword(owner: str, key: str, known: list[str]) -> UsageError:
    from difflib import get_close_matches

    from .commands.hints import same_question
    from .i18n import N_

    close = get_close_matches(key, known, n=1, cutoff=CUTOFF)
    other = same_question(owner, "--" + key.replace("_", "-"))
    if close:
        hint = N_(f"did you mean {close[0]}=?")
    elif other:  # bce given logits=: the question bce-logits answers
        hint = _other_form(other, key)
    else:
        hint = None
    return UsageError(f"{owner} takes no argument {key}=; it takes "
                      + ", ".join(f"{k}=" for k in known), hint)


def _other_form(other: str, key: str) -> str | None:
    """How to give ``key`` to the loss that answers the same question with it: as its own
    keyword (bce-logits' logits=, nll's probs=)."""
    from .i18n import N_
    from .losses import all_losses

    spec = all_losses()[other]
    if key in _tensor_keywords(spec):
        return N_(f"{key}= is an argument of {other}: losscalc.compute({other!r}, {key}=…)")
    return None


def _tensor_keywords(spec) -> dict[str, str]:
    """The keywords that give a loss's tensors, its prediction's alias among them (and nll's
    probs=, the prediction as probabilities)."""
    words = {t.name: t.name for t in spec.tensors}
    if spec.pred_alias:
        words[spec.pred_alias.replace("-", "_")] = "pred"
    if spec.takes_probs:
        words["probs"] = "pred"
    return words


def _read_param(param, value, key: str):
    """A parameter as the door reads it: text as the command line's, else a Python value."""
    if param.kind != "tensor" and isinstance(value, (np.generic, np.ndarray)):
        value = value.item() if np.size(value) == 1 else value
    return param.read(value, f"{key}=")


def python_example(spec) -> str:
    """A loss's example (a command line) as this door's call: each option becomes its keyword
    with the same text, which the library reads as the command line does."""
    import shlex

    words = shlex.split(spec.example)[2:]  # after `losscalc LOSS`
    short = {option: t.name for t in spec.tensors for option in t.options  # -p, -t: the
             if not option.startswith("--")}  # registry's; long options are their keywords
    short["-r"] = "reduction"
    args = [repr(spec.name)]
    while words:
        word = words.pop(0)
        key = short.get(word) or word.lstrip("-").replace("-", "_")
        if words and not words[0].startswith("--") and not _flag(spec, key):
            args.append(f"{key}={words.pop(0)!r}")
        else:
            negated = key.startswith("no_") and _flag(spec, key[3:])
            args.append(f"{key[3:]}=False" if negated else f"{key}=True")
    return f"losscalc.compute({', '.join(args)})"


def _flag(spec, key: str) -> bool:
    return any(p.name == key and p.kind == "bool" for p in spec.params)


# ---------------------------------------------------------------------------------------------
# The three calls


def compute(loss: str, *, reduction: str = "mean", dtype: str = "float64",
            **tensors_and_params: Any) -> Result:
    """A loss of the given tensors: value, per-element losses, gradient, explanation.

    Tensors go by their JSON names (``pred``, ``target``, ``x1``, ``x2``, ``var`` …) or the
    loss's own word for its prediction (``logits=``, ``probs=``, ``log_probs=``); parameters
    by name (``delta=``, ``weight=``, ``ignore_index=``). Each value is a NumPy array, nested
    lists, a number, or the text the command line reads (``"1,2; 3,4"``, ``"@pred.npy"``).

    >>> import losscalc
    >>> losscalc.compute("mse", pred=[1, 2, 3], target=[1, 2, 5]).value
    1.3333333333333333
    """
    from .core import compute as core_compute
    from .losses import all_losses, in_keywords, keyword_spelling
    from .registry import FROM_PROBS

    spec = _lookup(loss, "loss", "loss", all_losses(), "a name of `losscalc list`")
    words = _tensor_keywords(spec)
    params = {p.name: p for p in spec.params}
    tensors, values = {}, {}
    for key, value in tensors_and_params.items():
        if key == "probs" and spec.takes_probs:
            values[FROM_PROBS] = True  # nll's probs=, as its command's --probs
        if key in words:
            if words[key] in tensors:
                raise UsageError(f"give {keyword_spelling(spec.name, words[key])} once "
                                 f"(pred= and {key}= are the same tensor)")
            tensors[words[key]] = read_tensor(value, f"{key}=")
        elif key in params:
            if value is not None:  # None: the default, as when not given
                values[key] = _read_param(params[key], value, key)
        else:
            raise _no_keyword(spec.name, key, [*words, *params])
    for tensor in spec.tensors:
        if tensor.required and tensor.name not in tensors:
            raise UsageError(f"{spec.name} needs {keyword_spelling(spec.name, tensor.name)}",
                             f"for example: {python_example(spec)}")
    try:
        result = core_compute(spec, tensors, None, values, reduction, dtype)
    except LosscalcError as err:
        raise _in_python_words(err, keyword_spelling) from None

    def report():
        from .render.reports import loss_report

        return loss_report(result, spec)

    aliases = {word: name for word, name in words.items() if word != name}
    notes = [in_keywords(spec.name, note) for note in result.notes]
    return Result("loss", spec.name, result.value, result.elementwise,
                  Grads(result.grad, aliases), notes, report)


def activation(name: str, x: Any, *, upstream: Any = None, dtype: str = "float64",
               **params: Any) -> Result:
    """An activation's values at ``x`` and the gradient autograd gives for (y·upstream).sum()
    (upstream = 1: of y.sum()); ``.json`` holds the derivative or the Jacobian.

    >>> losscalc.activation("sigmoid", [0.0]).value
    array([0.5])
    """
    from . import activations

    spec = _lookup(name, "activation", "activation", activations.ACTIVATIONS,
                   ", ".join(activations.ACTIVATIONS))
    known = {p.name: p for p in spec.params}
    for key in params:
        if key not in known:
            raise _no_keyword(spec.name, key, ["x", "upstream", "dtype", *known])
    values = {key: _read_param(known[key], value, key) for key, value in params.items()}
    x = read_tensor(x, "x=")
    u = None if upstream is None else read_tensor(upstream, "upstream=")
    try:
        result = activations.compute_act(spec, x, values, dtype, u)
    except LosscalcError as err:
        raise _in_python_words(err, None) from None

    def report():
        from .commands.act import report as act_report

        return act_report(result, spec)

    return Result("activation", spec.name, result.value, None, Grads({"x": result.grad}, {}),
                  result.notes, report)


def info(measure: str, p: Any, q: Any = None, base: str = "e", *, dtype: str = "float64",
         normalize: bool = False) -> Result:
    """Entropy, cross-entropy, KL or JS divergence of each distribution (row) of ``p`` (and
    ``q``), in nats (``base="e"``), bits (``"2"``) or hartleys (``"10"``); ``elementwise``
    holds the terms each row sums.

    >>> losscalc.info("entropy", [0.5, 0.5], base="2").value
    1.0
    """
    from .info import MEASURES, compute_info

    spec = _lookup(measure, "info", "measure", MEASURES, ", ".join(MEASURES))
    p = read_tensor(p, "p=")
    q = None if q is None else read_tensor(q, "q=")
    try:
        result = compute_info(spec, p, q, str(base), dtype, normalize)
    except LosscalcError as err:
        raise _in_python_words(err, None) from None

    def report():
        from .commands.info import report as info_report

        return info_report(result, spec)

    return Result("info", spec.name, result.value, result.elementwise, Grads({}, {}),
                  result.notes, report)


def _in_python_words(err: LosscalcError, spell) -> LosscalcError:
    """The core's error as this door says it: its subjects as keywords (``logits=``). The
    message is rendered once, here; the error keeps its class, hint and exit code."""
    if not err.subjects:
        return err
    text = err.render(spell).replace("{", "{{").replace("}", "}}")
    same = type(err)(text, err.hint, loss=err.loss)
    same.exit_code = err.exit_code
    return same


__all__ = ["FORMATS", "Grads", "LosscalcError", "Result", "activation", "compute",
           "info"]
