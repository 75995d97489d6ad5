"""Activation functions and their derivatives, with PyTorch's semantics, over the tape.

One entry per activation (``@activation(...)``): its name (declared with its aliases in
names.py, the one name table), formula, derivative in words, reference, parameters and a worked
example. The function builds the value over tape nodes; an elementwise activation also builds
its local derivative f′(x) as a node, and the value's backward *is* "upstream · f′(x)" read
from that node — so the derivative printed, the gradient autograd returns (``tape.backward``) and
the step the explanation shows are one computation. Softmax, log-softmax and hardmax act along
an axis (``--dim``): their backward is PyTorch's vector-Jacobian product, and their Jacobian is
read off ``tape.backward`` one output at a time.

Conventions at kinks are PyTorch's: relu′(0) = 0, leaky_relu′(0) = slope, elu′(0) = α,
softplus is x itself where β·x > threshold, hardmax (argmax) passes no gradient. Formulas are
stable: no exponential overflows into the result for x = ±1000.

Imports only NumPy (through the tape):

    >>> from losscalc.activations import compute_act
    >>> compute_act("sigmoid", [0.0]).derivative
    array([0.25])
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from . import tape
from .checks import fmt_shape
from .errors import InvalidData, UsageError, ref
from .formulas import fmt_number
from .limits import MAX_POINTS
from .losses import all_losses
from .names import NAMES, complete_entry, resolve_entry
from .recorder import Tape
from .registry import Param

JACOBIAN_MAX = 100  # classes per row beyond which the Jacobian (C² numbers a row) is left out


class Elementwise(NamedTuple):
    """What an elementwise activation builds: the value's expression and, given the named
    value node, its derivative f′(x) as a node."""

    expr: tape.Node
    derivative: Callable[[tape.Node], tape.Node]


class Activation(NamedTuple):
    """Everything about one activation except its arithmetic, which is ``fn``."""

    name: str
    fn: Callable
    formula: str
    derivative: str  # f′ (or the Jacobian) in words, for help and the explanation
    reference: str
    example: str
    aliases: tuple[str, ...] = ()
    symbol: str = "y"  # the value's name in the explanation (σ for the sigmoid)
    params: tuple[Param, ...] = ()
    along_axis: bool = False  # softmax and friends: act on each row along --dim
    vjp: Callable | None = None  # along_axis: (tape, y, u, axis) → the node x.grad

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}


# The activations by canonical name, in the order names.py declares them.
ACTIVATIONS: dict[str, Activation] = {}


def activation(name: str, **entry) -> Callable[[Callable], Callable]:
    """Register the decorated function as the activation ``name``, declared with its aliases
    in names.py (the one name table)."""

    def decorate(fn):
        ACTIVATIONS[name] = Activation(name=name, fn=fn,
                                       aliases=NAMES.get("activation", name).aliases, **entry)
        return fn

    return decorate


def resolve(name: str) -> Activation:
    """The activation a user's name means (any spelling); else a usage error whose hint is the
    closest name of any kind (`act focal` → 'losscalc focal')."""
    return resolve_entry(name, "activation", "activation", ACTIVATIONS, all_losses)


def complete(incomplete: str) -> list[tuple[str, str]]:
    """Shell completion of `act NAME`: the names (with their formulas), then the aliases."""
    return complete_entry("activation", incomplete, ACTIVATIONS)


# Parameters, declared once (an option of `losscalc act` each).
SLOPE = Param("slope", "float", 0.01, "leaky-relu: the slope for x ≤ 0 (PyTorch's "
              "negative_slope)")
ALPHA = Param("alpha", "float", 1.0, "elu: the value α·(e^x − 1) tends to for x → −∞")
APPROXIMATE = Param("approximate", "choice", "none", "gelu: none (exact, with erf) or tanh",
                    choices=("none", "tanh"))
BETA = Param("beta", "float", 1.0, "softplus: the sharpness β (not 0)")
THRESHOLD = Param("threshold", "float", 20.0, "softplus: above β·x > threshold the value is x")
DIM = Param("dim", "int", -1, "softmax, log-softmax, hardmax: the axis of each distribution "
            "(-1: the last)")


def _x(x: tape.Node) -> str:
    return x.name or "x"


# ---------------------------------------------------------------------------------------------
# Elementwise


@activation(
    "sigmoid",
    formula="σ(x) = 1 / (1 + e^(−x))",
    derivative="σ′(x) = σ(x)·(1 − σ(x))",
    reference="torch.sigmoid",
    example="losscalc act sigmoid --x -2,0,2",
    symbol="σ",
)
def sigmoid(t, x):
    """The logistic sigmoid, squashing every x into (0, 1).

    Computed from e^(−|x|), so x = ±1000 gives exactly 1 and 0 with no overflow. Its
    derivative σ(1 − σ) is at most 1/4 (at x = 0) and vanishes for large |x|.
    """
    return Elementwise(tape.sigmoid(x), lambda y: y * (1 - y))


@activation(
    "tanh",
    formula="tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x))",
    derivative="tanh′(x) = 1 − tanh(x)²",
    reference="torch.tanh",
    example="losscalc act tanh --x -1,0,1",
)
def tanh(t, x):
    """The hyperbolic tangent, squashing x into (−1, 1); tanh(x) = 2σ(2x) − 1."""
    return Elementwise(tape.tanh(x), lambda y: 1 - tape.square(y))


@activation(
    "relu",
    formula="relu(x) = max(x, 0)",
    derivative="relu′(x) = 1 if x > 0 else 0 (0 at x = 0, as PyTorch)",
    reference="torch.relu",
    example="losscalc act relu --x -1,0,2",
)
def relu(t, x):
    """The rectified linear unit: x where x > 0, else 0.

    At the kink PyTorch takes relu′(0) = 0.
    """
    positive = x.value > 0
    return Elementwise(tape.where(positive, x, 0.0, f"{_x(x)} > 0"),
                       lambda y: tape.where(positive, t.const(1), t.const(0), f"{_x(x)} > 0"))


@activation(
    "leaky-relu",
    formula="leaky_relu(x) = x if x > 0 else slope·x",
    derivative="1 if x > 0 else slope (slope at x = 0, as PyTorch)",
    reference="torch.nn.functional.leaky_relu (negative_slope=0.01)",
    example="losscalc act leaky-relu --x -10,0,3 --slope 0.1",
    params=(SLOPE,),
)
def leaky_relu(t, x, *, slope=0.01):
    """ReLU with a small slope for negative inputs, so they still get a gradient.

    PyTorch's negative_slope; at the kink its derivative is the slope (x > 0 ? 1 : slope).
    """
    positive = x.value > 0
    s = t.const(slope, "slope")
    return Elementwise(tape.where(positive, x, s * x, f"{_x(x)} > 0"),
                       lambda y: tape.where(positive, t.const(1), s, f"{_x(x)} > 0"))


@activation(
    "elu",
    formula="elu(x) = x if x > 0 else α·(e^x − 1)",
    derivative="1 if x > 0 else α·e^x (α at x = 0, as PyTorch)",
    reference="torch.nn.functional.elu (alpha=1.0)",
    example="losscalc act elu --x -2,0,2 --alpha 1",
    params=(ALPHA,),
)
def elu(t, x, *, alpha=1.0):
    """The exponential linear unit: smooth for x < 0, tending to −α.

    e^x − 1 is computed with expm1 (accurate near 0). PyTorch's backward takes the negative
    branch at x = 0, so elu′(0) = α.
    """
    positive = x.value > 0
    a = t.const(alpha, "α")
    return Elementwise(tape.where(positive, x, a * tape.expm1(x), f"{_x(x)} > 0"),
                       lambda y: tape.where(positive, t.const(1), a * tape.exp(x), f"{_x(x)} > 0"))


@activation(
    "gelu",
    formula="gelu(x) = x·Φ(x), Φ(x) = ½·(1 + erf(x/√2))  (--approximate tanh: "
            "½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))))",
    derivative="Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π)  (tanh: PyTorch's formula)",
    reference="torch.nn.functional.gelu (approximate='none')",
    example="losscalc act gelu --x -1,0,1 --approximate tanh",
    params=(APPROXIMATE,),
)
def gelu(t, x, *, approximate="none"):
    """The Gaussian error linear unit: x weighted by the normal CDF Φ(x).

    approximate='tanh' is the tanh approximation of Hendrycks & Gimpel (used by GPT-2 and
    BERT); its derivative is PyTorch's: ½(1 + τ) + ½x·(1 − τ²)·√(2/π)·(1 + 3·0.044715·x²),
    τ = tanh(√(2/π)·(x + 0.044715·x³)).
    """
    half = t.const(0.5)
    if approximate == "tanh":
        k, kappa = t.const(np.sqrt(2 / np.pi), "√(2/π)"), t.const(0.044715, "κ")
        inner = t.let("inner", k * (x + kappa * tape.power_of(x, 3)))
        tau = t.let("τ", tape.tanh(inner))
        left = half * x
        return Elementwise(left * (1 + tau), lambda y: half * (1 + tau) + left * (
            1 - tape.square(tau)) * (k * (1 + t.const(3) * kappa * tape.square(x))))
    phi_cdf = t.let("Φ", half * (1 + tape.erf(x * t.const(np.sqrt(0.5), "1/√2"))))
    pdf = t.let("φ", tape.exp(-half * tape.square(x)) * t.const(1 / np.sqrt(2 * np.pi), "1/√(2π)"))
    return Elementwise(x * phi_cdf, lambda y: phi_cdf + x * pdf)


@activation(
    "softplus",
    formula="softplus(x) = ln(1 + e^(β·x)) / β, and x where β·x > threshold",
    derivative="e^(β·x) / (e^(β·x) + 1) = σ(β·x), and 1 where β·x > threshold",
    reference="torch.nn.functional.softplus (beta=1.0, threshold=20.0)",
    example="losscalc act softplus --x -1,0,1,30",
    params=(BETA, THRESHOLD),
)
def softplus(t, x, *, beta=1.0, threshold=20.0):
    """A smooth ReLU: ln(1 + e^(βx))/β.

    Where β·x > threshold PyTorch returns x itself (the two agree to double precision there)
    and the derivative 1, so e^(βx) never overflows into the result.
    """
    b = t.const(beta, "β")
    bx = b * x
    linear = bx.value > threshold
    text = f"β·{_x(x)} > {fmt_number(threshold)}"
    z = t.let("z", tape.exp(bx))
    return Elementwise(tape.where(linear, x, tape.log1p(z) / b, text),
                       lambda y: tape.where(linear, t.const(1), z / (z + 1), text))


@activation(
    "silu",
    formula="silu(x) = x·σ(x)",
    derivative="σ(x)·(1 + x·(1 − σ(x)))",
    reference="torch.nn.functional.silu",
    example="losscalc act silu --x -1,0,1",
)
def silu(t, x):
    """The sigmoid-weighted linear unit (swish with β = 1): x·σ(x)."""
    s = t.let("σ", tape.sigmoid(x))
    return Elementwise(x * s, lambda y: s * (1 + x * (1 - s)))


# ---------------------------------------------------------------------------------------------
# Along an axis


@activation(
    "softmax",
    formula="softmax(x)_i = e^(x_i − m) / Σ_j e^(x_j − m), m = max_j x_j",
    derivative="Jacobian ∂p_i/∂x_j = p_i·(δ_ij − p_j); vjp with u: p·(u − Σ_j u_j·p_j)",
    reference="torch.softmax (dim=-1)",
    example="losscalc act softmax --x '-1,0.5,2; -1,0.5,3'",
    symbol="p",
    params=(DIM,),
    along_axis=True,
    vjp=lambda t, y, u, axis: tape.softmax_vjp(y, u, axis),
)
def softmax(t, x, *, axis):
    """Probabilities from scores: each row (along --dim) is exponentiated and normalised.

    The max shift m (exact: it cancels) keeps e^(x − m) ≤ 1, so x = ±1000 does not
    overflow. Every row sums to 1 whatever x is, so the gradient of y.sum() is exactly 0.
    """
    return tape.softmax(t, x, axis)


@activation(
    "log-softmax",
    formula="log_softmax(x)_i = x_i − m − ln Σ_j e^(x_j − m)",
    derivative="Jacobian ∂(ln p)_i/∂x_j = δ_ij − p_j; vjp with u: u − p·Σ_j u_j",
    reference="torch.log_softmax (dim=-1)",
    example="losscalc act log-softmax --x 3,1,-3",
    symbol="ln p",
    params=(DIM,),
    along_axis=True,
    vjp=lambda t, y, u, axis: tape.log_softmax_vjp(t.let("p", tape.exp(y), "grad"), u, axis),
)
def log_softmax(t, x, *, axis):
    """The logarithm of softmax, computed directly as x − log-sum-exp (stable).

    It is what cross entropy applies to logits; exp of it is softmax.
    """
    return tape.log_softmax(t, x, axis)


@activation(
    "hardmax",
    formula="hardmax(x)_i = 1 if i = argmax_j x_j (the first, on ties) else 0",
    derivative="0 everywhere it is defined (piecewise constant)",
    reference="torch.nn.functional.one_hot(torch.argmax(x, dim))",
    example="losscalc act hardmax --x 3,1,-3",
    params=(DIM,),
    along_axis=True,
)
def hardmax(t, x, *, axis):
    """The one-hot vector of the argmax along --dim: the limit of softmax as its inputs scale up.

    Ties go to the first maximum, as torch.argmax. Nothing flows back through it (autograd
    raises for argmax; the gradient shown is 0), which is why training uses softmax.
    """
    return tape.argmax_onehot(t, x, axis)


# ---------------------------------------------------------------------------------------------
# Running one activation


class ActResult(NamedTuple):
    """What `losscalc act` computed (the JSON object, as arrays)."""

    act: str
    dtype: str
    x: np.ndarray
    value: np.ndarray
    grad: np.ndarray  # x.grad after (y·u).sum().backward(): u·f′(x), or the vjp
    derivative: np.ndarray | None  # elementwise: f′(x)
    jacobian: np.ndarray | None  # along an axis: ∂y_i/∂x_j per row, shape (rows…, C, C)
    upstream: np.ndarray | None  # u, when given
    axis: int | None
    params: dict
    steps: list
    notes: list
    remarks: list


def apply(t: Tape, spec: Activation, x: tape.Node, params: dict, name: str, dname: str,
          stage: str = "sample",
          derivative_stage: str | None = None) -> tuple[tape.Node, tape.Node]:
    """Apply an elementwise activation to ``x``: the value named ``name`` and its derivative
    f′(x) named ``dname``; the value's backward is upstream·f′(x), read from that node."""
    built = spec.fn(t, x, **params)
    derivative: list[tape.Node] = []
    y = t.let(name, tape.fused(built.expr, [x], lambda g: (g * derivative[0].value,)), stage)
    derivative.append(t.let(dname, built.derivative(y), derivative_stage or stage))
    return y, derivative[0]


def prepare_params(spec: Activation, params: dict | None) -> dict:
    values = spec.defaults()
    for key, value in (params or {}).items():
        if value is None:
            continue
        if key not in values:
            takes = ", ".join("--" + p.name for p in spec.params) or "no parameters"
            raise UsageError(f"{spec.name} has no parameter --{key}; it takes {takes}")
        values[key] = value
    for p in spec.params:
        value = values[p.name]
        if p.kind == "choice" and value not in p.choices:
            raise UsageError(f"The '{p.name}' parameter of {spec.name} must be one of "
                             f"{', '.join(p.choices)}. Got {value!r} instead.")
        if p.kind == "float" and not np.isfinite(value):
            raise UsageError(f"The '{p.name}' parameter of {spec.name} must be a finite "
                             f"number. Got {value} instead.")
    if spec.name == "softplus" and values["beta"] == 0:
        raise UsageError("The 'beta' parameter of softplus must not be 0 (it divides by β)")
    return values


def _axis(spec: Activation, x: np.ndarray, dim: int) -> int:
    if x.ndim == 0:
        raise InvalidData(f"{spec.name} acts along an axis: {ref('x')} must have at least one; "
                          "got a single number", subjects=("x",))
    if not -x.ndim <= dim < x.ndim:
        raise InvalidData(f"{spec.name}: {ref('dim')} {dim} is out of range for {ref('x')} of "
                          f"shape {fmt_shape(x.shape)} (expected {-x.ndim} to {x.ndim - 1})",
                          subjects=("dim", "x"))
    return dim % x.ndim


def _jacobian(y: tape.Node, x: tape.Node, axis: int) -> np.ndarray:
    """∂y_i/∂x_j for every row along ``axis``, one backward pass per output i."""
    c = x.shape[axis]
    rows = np.moveaxis(x.value, axis, -1).shape[:-1]
    jac = np.zeros(rows + (c, c), dtype=x.dtype)
    for i in range(c):
        seed = np.zeros_like(y.value)
        np.moveaxis(seed, axis, -1)[..., i] = 1
        grad = tape.backward(y, seed).get(id(x))
        if grad is not None:
            jac[..., i, :] = np.moveaxis(grad, axis, -1)
    return jac


def _remarks(t: Tape, spec: Activation, x: np.ndarray, upstream_given: bool,
             params: dict) -> None:
    at_zero = bool(np.any(x == 0))
    kink = {"relu": "relu′(0) = 0",
            "leaky-relu": f"leaky_relu′(0) = slope = {params.get('slope')}",
            "elu": f"elu′(0) = α = {params.get('alpha')}"}.get(spec.name)
    if kink and at_zero:
        t.remark(f"at x = 0 the derivative is not defined; PyTorch takes {kink}")
    if spec.name == "softmax" and not upstream_given:
        t.remark("u = 1 (the gradient of y.sum()): x.grad = p·(1 − Σp) = 0, because every row "
                 "of p sums to 1 whatever x is — y.sum() does not change with x (a number of "
                 "order 1e-17 there would be rounding)")
    if spec.name == "hardmax":
        t.remark("hardmax is piecewise constant: its derivative is 0 wherever it is defined "
                 "(undefined at ties), so no gradient flows back — softmax is its smooth "
                 "stand-in")
    if spec.name == "softplus" and np.any(params["beta"] * x > params["threshold"]):
        t.remark(f"where β·x > {fmt_number(params['threshold'])} PyTorch returns x itself "
                 "(ln(1 + e^(βx))/β equals x to double precision there) and the derivative 1")


def compute_act(name, x, params: dict | None = None, dtype: str = "float64",
                upstream=None) -> ActResult:
    """Apply the activation ``name`` to ``x``: its values, the gradient autograd gives for
    (y·upstream).sum() (upstream = 1: of y.sum()), and f′(x) or the Jacobian of each row."""
    spec = name if isinstance(name, Activation) else resolve(name)
    tape.check_dtype(dtype)
    values = prepare_params(spec, params)
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        raise InvalidData(f"{spec.name}: {ref('x')} is empty; give at least one number",
                          subjects=("x",))
    if np.isnan(x).any():
        raise InvalidData(f"{spec.name}: {ref('x')} holds NaN", subjects=("x",))
    if upstream is not None:
        upstream = np.asarray(upstream, dtype=float)
        if upstream.shape != x.shape:
            raise InvalidData(f"{spec.name}: {ref('upstream')} has shape "
                              f"{fmt_shape(upstream.shape)} but {ref('x')} has shape "
                              f"{fmt_shape(x.shape)}; they must be the same",
                              subjects=("upstream", "x"))
    t = Tape(dtype)
    axis = None
    with np.errstate(all="ignore"):
        xn = t.input(x, "x", requires_grad=True)
        u = t.input(np.ones_like(x) if upstream is None else upstream, "u")
        derivative = jacobian = None
        if spec.along_axis:
            axis = _axis(spec, x, values["dim"])
            y = t.let(spec.symbol, spec.fn(t, xn, axis=axis))
            if spec.vjp is not None:
                t.let("x.grad", spec.vjp(t, y, u, axis), "grad")
            if x.shape[axis] <= JACOBIAN_MAX:
                jacobian = _jacobian(y, xn, axis)
            else:
                t.note(f"the Jacobian has {x.shape[axis]}² numbers per row and is left out "
                       f"(at most {JACOBIAN_MAX} per row are shown)")
        else:
            y, dy = apply(t, spec, xn, values, spec.symbol, spec.symbol + "′")
            derivative = dy.value
            if upstream is not None:
                t.let("x.grad", u * dy, "grad")
        grad = tape.backward(y, u.value).get(id(xn), np.zeros_like(xn.value))
    _remarks(t, spec, x, upstream is not None, values)
    return ActResult(spec.name, dtype, xn.value, y.value, grad, derivative, jacobian,
                     None if upstream is None else u.value, axis, values, t.steps, t.notes,
                     t.remarks)


def linspace(start: float, end: float, num: int, dtype: str = "float64") -> np.ndarray:
    """torch.linspace(start, end, num): the first half counted up from start, the second
    half down from end, in the computation's dtype (so both ends are exact)."""
    if num < 1:
        raise UsageError(f"{ref('points')} must be at least 1, got {num}", subjects=("points",))
    if num > MAX_POINTS:  # checked before anything of that size is made
        raise UsageError(f"{ref('points')} must be at most {MAX_POINTS:,} (the most computed "
                         f"at once), got {num:,}", subjects=("points",))
    kind = np.dtype(dtype).type
    start_, end_ = kind(start), kind(end)
    if num == 1:
        return np.array([start_])
    step = (end_ - start_) / kind(num - 1)
    i = np.arange(num)
    halfway = num // 2
    up = start_ + step * i.astype(dtype)
    down = end_ - step * (num - 1 - i).astype(dtype)
    return np.where(i < halfway, up, down).astype(dtype)


__all__ = ["ACTIVATIONS", "ActResult", "Activation", "apply", "complete", "compute_act",
           "linspace", "resolve"]
