"""The registry: one entry per loss, the single source the CLI, `list`, JSON and help come from.

A loss is one function over tape nodes plus the ``@loss(...)`` entry above it. The function's
docstring carries the formula and every convention; the entry names its inputs, parameters,
reference and a worked example once. Only NumPy (through the tape) is imported here.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, Callable, NamedTuple

from .errors import UsageError
from .names import NAMES, Name, normalize

REDUCTIONS = ("mean", "sum", "none")


# NamedTuples rather than dataclasses: a one-shot call pays for every class at import, and a
# frozen dataclass costs about ten times as much to create.
class Constraint(NamedTuple):
    """A condition on a parameter's value, with the words that state it ("> 0")."""

    test: Callable[[Any], bool]
    text: str


def at_least(low: float) -> Constraint:
    return Constraint(lambda v: v >= low, f">= {low:g}")


def greater_than(low: float) -> Constraint:
    return Constraint(lambda v: v > low, f"> {low:g}")


def between(low: float, high: float) -> Constraint:
    return Constraint(lambda v: low <= v <= high, f"in [{low:g}, {high:g}]")


class Param(NamedTuple):
    """A parameter of a loss or an activation: its name (snake_case; the option is
    --kebab-case), kind and default.

    ``kind`` is "float", "int", "bool", "tensor" (a tensor literal such as class weights) or
    "choice" (one of ``choices``, such as gelu's approximate).
    """

    name: str
    kind: str
    default: Any
    help: str
    constraint: Constraint | None = None
    choices: tuple[str, ...] = ()

    @property
    def option(self) -> str:
        """The option's name; a bool is a pair of flags, --name/--no-name."""
        flag = self.name.replace("_", "-")
        return f"--{flag} / --no-{flag}" if self.kind == "bool" else f"--{flag}"

    @property
    def metavar(self) -> str | None:
        """What --help shows for the value: NUMBER, INTEGER, TENSOR, [none|tanh]."""
        if self.kind == "choice":
            return "[" + "|".join(self.choices) + "]"
        return {"float": "NUMBER", "int": "INTEGER", "tensor": "TENSOR"}.get(self.kind)

    def read(self, value: Any, where: str, *, text: bool | None = None) -> Any:
        """The one parameter reader, for every door: ``value`` as the loss or activation
        takes it (float, int, bool, a tensor array or a choice).

        ``value`` is text (an option's value, a CSV cell, `--param k=v`'s v) or a JSON value
        (a batch line's); ``text`` says which, and by default a str is text. A JSON door
        passes ``text=False``: its strings are not numbers. ``where`` names the place in the
        door's words (`--delta`, `params.delta`, `column "delta"`); the message is otherwise
        the same from every door. Constraints (> 0 …) are ``check``'s, not the reader's.
        """
        if value is None:
            return None
        is_text = isinstance(value, str) if text is None else text
        if self.kind == "tensor":
            from .inputs import read_tensor

            return read_tensor(value, where, text=is_text)
        read = _TEXT_READERS if is_text and isinstance(value, str) else _VALUE_READERS
        result = read[self.kind](value.strip() if isinstance(value, str) else value,
                                 self.choices)
        if result is _BAD:
            from .inputs import shown

            raise UsageError(f"{where} must be {self._expected}, got {shown(value)}")
        return result

    @property
    def _expected(self) -> str:
        return {"float": "a number", "int": "an integer", "bool": "true or false",
                "choice": "one of " + ", ".join(self.choices)}[self.kind]

    def check(self, loss: str, value: Any) -> None:
        if value is None or self.constraint is None or self.constraint.test(value):
            return
        raise UsageError(
            f"The '{self.name}' parameter of {loss} must be {self.constraint.text}. "
            f"Got {value:g} instead."
        )


# The readers of each kind: (value, choices) → the value, or _BAD. Text is read as typed; a
# JSON value must already be of the kind (a number is not true, a string is not a number).
_BAD = object()
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


def _is_number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and not math.isnan(value))  # NaN is not a number a parameter can take


def _float_text(text: str, choices=()) -> Any:
    from .inputs import as_ascii  # −1 as losscalc prints it, １．５ as an IME types it

    try:
        value = float(as_ascii(text))
    except ValueError:
        return _BAD
    return _BAD if math.isnan(value) else value


def _int_text(text: str, choices=()) -> Any:
    try:
        return int(text)
    except ValueError:
        value = _float_text(text)
        return _int_value(value) if value is not _BAD else _BAD


def _int_value(value: Any, choices=()) -> Any:
    if not _is_number(value) or not float(value).is_integer():
        return _BAD
    return int(value)


def _bool_text(text: str, choices=()) -> Any:
    word = text.lower()
    return True if word in _TRUE else False if word in _FALSE else _BAD


_TEXT_READERS = {
    "float": _float_text,
    "int": _int_text,
    "bool": _bool_text,
    "choice": lambda text, choices: text if text in choices else _BAD,
}
_VALUE_READERS = {
    "float": lambda v, choices: float(v) if _is_number(v) else _BAD,
    "int": _int_value,
    "bool": lambda v, choices: v if isinstance(v, bool) else _BAD,
    "choice": lambda v, choices: v if isinstance(v, str) and v in choices else _BAD,
}


class Tensor(NamedTuple):
    """A tensor a loss takes: its key, whether it carries a gradient, its options.

    ``name`` keys it everywhere: compute()'s inputs, JSON's "grad" and "shape", a batch line.
    ``options`` and ``symbol`` (what formulas call it: the loss function's parameter name) are
    filled in by LossSpec.tensors.
    """

    name: str
    help: str
    grad: bool = False
    required: bool = True
    options: tuple[str, ...] = ()
    symbol: str = ""

    @property
    def option(self) -> str:
        """The option messages name: the loss's own word for it (--logits) over --pred."""
        return [o for o in self.options if o.startswith("--")][-1]


# The parameter of a loss whose prediction may be probabilities (nll): true when it is.
FROM_PROBS = "from_probs"


class LossSpec(NamedTuple):
    """Everything about one loss except its arithmetic, which is ``fn``."""

    name: str
    fn: Callable
    aliases: tuple[str, ...]
    family: str
    formula: str
    reference: str
    example: str
    gradient: str = ""  # ∂ℓ/∂(prediction) per element, as the explanation shows it
    pred_alias: str | None = None
    params: tuple[Param, ...] = ()
    reductions: tuple[str, ...] = REDUCTIONS
    target_help: str = "targets, the prediction's shape"
    pred_help: str = "predictions"
    # The target when --target is omitted, made from the prediction (info-nce: the diagonal);
    # None: --target is required.
    default_target: Callable[[Any], Any] | None = None
    # Losses of several tensors (x1/x2, anchor/positive/negative, a variance), in the order
    # the function takes them. Empty: a prediction and a target, described by pred_alias,
    # pred_help, target_help and default_target.
    inputs: tuple[Tensor, ...] = ()
    # When PyTorch's gradient is that of another variable: the map from it to the input, for
    # --check-grad's differences (CTC: log_softmax, as its gradient is the logits').
    check_through: Callable[[Any], Any] | None = None
    # The same question asked with another form of the prediction: (option, the loss that
    # takes it), so that `bce --logits` is pointed to bce-logits and `ce --probs` to nll.
    other_forms: tuple[tuple[str, str], ...] = ()

    @property
    def summary(self) -> str:
        return inspect.getdoc(self.fn).split("\n", 1)[0]

    @property
    def details(self) -> str:
        """The docstring after its summary line: conventions, clamps, shapes."""
        parts = inspect.getdoc(self.fn).split("\n", 1)
        return parts[1].strip() if len(parts) > 1 else ""

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    @property
    def tensors(self) -> tuple[Tensor, ...]:
        """Every tensor the function takes, in its order, with its options and symbol."""
        inputs = self.inputs or (
            Tensor("pred", self.pred_help, grad=True),
            Tensor("target", self.target_help, required=self.default_target is None))
        symbols = self.fn.__code__.co_varnames[1:]
        return tuple(t._replace(options=self._options(t.name), symbol=symbol)
                     for t, symbol in zip(inputs, symbols))

    def _options(self, name: str) -> tuple[str, ...]:
        if name == "pred":
            return ("--pred", "-p") + ((f"--{self.pred_alias}",) if self.pred_alias else ())
        if name == "target":
            return ("--target", "-t")
        return (f"--{name.replace('_', '-')}",)

    @property
    def takes_probs(self) -> bool:
        """The prediction may be given as probabilities, whose log the loss takes itself
        (nll's FROM_PROBS): every door's probs (--probs Q, probs=, compare --probs) sets it."""
        return any(p.name == FROM_PROBS for p in self.params)

    @property
    def single_prediction(self) -> bool:
        """A prediction and a target (tables, --csv, compare take only these)."""
        return not self.inputs

    def target_for(self, pred, target):
        """``target``, or the loss's default target when it is None and the loss has one."""
        if target is None and self.default_target is not None:
            return self.default_target(pred)
        return target


class Losses(NamedTuple):
    """What a loss function returns: per-element losses and how to average them.

    ``denominator`` is the mean's divisor when it is not the number of elements (CE's sum of
    the weights of the non-ignored targets), ``divides_by`` says so in words; ``class_axis`` is
    the prediction axis that ``elementwise`` no longer has (so a CSV row can show that sample's
    gradient row).
    """

    elementwise: Any
    denominator: Any = None
    class_axis: int | None = None
    divides_by: str = ""  # what ``denominator`` is, in words, for the explanation
    # The terms the mean averages when they are not the per-element losses (CTC divides
    # each by its target length first); ``divides_by`` says so.
    mean_terms: Any = None


LOSSES: dict[str, LossSpec] = {}


def loss(name: str, **entry) -> Callable[[Callable], Callable]:
    """Register the decorated function as the loss ``name`` (see LossSpec for the fields)."""

    def decorate(fn: Callable) -> Callable:
        spec = LossSpec(name=name, fn=fn, **entry)
        LOSSES[name] = spec
        NAMES.add(Name("loss", name, spec.aliases))
        return fn

    return decorate


__all__ = [
    "Constraint",
    "LOSSES",
    "LossSpec",
    "Losses",
    "Param",
    "Tensor",
    "at_least",
    "between",
    "greater_than",
    "loss",
    "normalize",
]
