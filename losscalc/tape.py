"""A small array autograd whose graph is also the explanation.

Like micrograd's ``Value`` but holding NumPy arrays: every primitive computes its result with
NumPy and keeps its local backward (a vector-Jacobian product) three lines below the forward.
A loss is written once over these nodes, and from that one computation come

* the value and the per-element losses (read from the graph),
* the gradient (``backward``),
* the explanation: the step recorder (``recorder.Tape.let``) names a node as a step, and its
  formula is *rendered from the graph* (losscalc.formulas, down to the operands that have
  names), so the text shown is the computation that ran, never a second copy of it. Each
  primitive says how it reads with ``@renders``, above its forward and backward.

Primitives carry PyTorch's conventions at kinks and clamps (d|x|/dx = 0 at 0, clamp_min
passes the gradient where x >= min, a stable log-sigmoid with PyTorch's own backward).
Where PyTorch's gradient is not the derivative of its forward (BCE's clamped logs) a loss uses
``fused``: the forward graph stays for display, the backward is PyTorch's formula.

Only NumPy (with losscalc.errors and losscalc.formulas) is imported here.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from . import exactsum
from .errors import UsageError
from .formulas import (
    ATOM,
    POWER,
    PRODUCT,
    SUM,
    SUPERSCRIPTS,
    UNARY,
    binary,
    call,
    fmt_const,
    reduce_label,
    render_where,
    renders,
    wrap,
)

# The precisions every computation offers: float64 by default, float32 to mirror PyTorch's.
DTYPES = ("float64", "float32")


def check_dtype(dtype: str) -> str:
    """``dtype`` if it is one of DTYPES, else the usage error every door reports."""
    if dtype not in DTYPES:
        raise UsageError(f"unknown dtype {dtype!r}; choose float64 or float32")
    return dtype


class Node:
    """One array in the computation: its value, how it was made, and how to send gradients back."""

    __slots__ = ("value", "op", "parents", "vjp", "attrs", "name", "needs_grad")

    def __init__(self, value, op, parents=(), vjp=None, attrs=None, name=None, needs_grad=None):
        self.value = value
        self.op = op
        self.parents = tuple(parents)
        self.vjp = vjp
        self.attrs = attrs or {}
        self.name = name
        self.needs_grad = (
            any(p.needs_grad for p in self.parents) if needs_grad is None else needs_grad
        )

    @property
    def shape(self):
        return self.value.shape

    @property
    def ndim(self):
        return self.value.ndim

    @property
    def dtype(self):
        return self.value.dtype

    def __repr__(self):
        return f"Node({self.name or self.op}, shape={self.shape})"

    # Arithmetic; Python numbers become constants of this node's dtype (NEP 50 would keep
    # float32 anyway, but a constant node is what the formula renders).
    def __add__(self, other):
        return add(self, other)

    def __radd__(self, other):
        return add(other, self)

    def __sub__(self, other):
        return sub(self, other)

    def __rsub__(self, other):
        return sub(other, self)

    def __mul__(self, other):
        return mul(self, other)

    def __rmul__(self, other):
        return mul(other, self)

    def __truediv__(self, other):
        return div(self, other)

    def __rtruediv__(self, other):
        return div(other, self)

    def __neg__(self):
        return neg(self)

    def __pow__(self, power):
        return power_of(self, power)


def leaf(value, name, requires_grad=False) -> Node:
    """An input of the computation (a prediction, a target, a weight)."""
    return Node(np.asarray(value), "input", name=name, needs_grad=requires_grad)


def const(value, dtype, name=None) -> Node:
    """A number that takes part in a formula, in the computation's dtype."""
    return Node(np.asarray(value, dtype=dtype), "const", name=name, needs_grad=False)


def _as_node(x, like: Node) -> Node:
    return x if isinstance(x, Node) else const(x, like.dtype)


def _pair(a, b):
    if not isinstance(a, Node):
        a = const(a, b.dtype)
    if not isinstance(b, Node):
        b = const(b, a.dtype)
    return a, b


def _unbroadcast(grad, shape):
    """Sum a gradient over the axes NumPy broadcast, back to the operand's shape."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad.reshape(shape)


# ---------------------------------------------------------------------------------------------
# Elementwise primitives


@renders("add", binary(" + ", SUM))
def add(a, b) -> Node:
    a, b = _pair(a, b)
    return Node(a.value + b.value, "add", (a, b), lambda g: (g, g))


@renders("sub", binary(" − ", SUM, SUM + 1))
def sub(a, b) -> Node:
    a, b = _pair(a, b)
    return Node(a.value - b.value, "sub", (a, b), lambda g: (g, -g))


@renders("mul", binary("·", PRODUCT))
def mul(a, b) -> Node:
    a, b = _pair(a, b)
    return Node(a.value * b.value, "mul", (a, b), lambda g: (_times(g, b.value), _times(g, a.value)))


def _times(g: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """g·factor, where no gradient (g = 0) stays none even through an infinite factor: the
    branch a `where` did not take (huber's linear one, with δ = inf) gets 0 back, not 0·inf =
    nan, as PyTorch's fused kernels give."""
    with np.errstate(invalid="ignore"):
        out = g * factor
    if np.isinf(factor).any():
        out = np.where(g == 0, 0, out).astype(out.dtype, copy=False)
    return out


@renders("div", binary(" / ", PRODUCT, PRODUCT + 1))
def div(a, b) -> Node:
    a, b = _pair(a, b)
    out = a.value / b.value
    return Node(out, "div", (a, b), lambda g: (g / b.value, -g * out / b.value))


@renders("neg", lambda node, args: (f"−{wrap(args[0][0], args[0][1], POWER)}", UNARY))
def neg(a: Node) -> Node:
    return Node(-a.value, "neg", (a,), lambda g: (-g,))


@renders("square", lambda node, args: (f"{wrap(args[0][0], args[0][1], ATOM)}²", POWER))
def square(a: Node) -> Node:
    return Node(a.value * a.value, "square", (a,), lambda g: (2 * g * a.value,))


@renders("exp", call("exp"))
def exp(a: Node) -> Node:
    out = np.exp(a.value)
    return Node(out, "exp", (a,), lambda g: (g * out,))


@renders("log", call("ln"))
def log(a: Node) -> Node:
    return Node(np.log(a.value), "log", (a,), lambda g: (g / a.value,))


@renders("log1p", lambda node, args: (
    f"ln(1 − {args[0][0][1:]})" if node.parents[0].op == "neg" and args[0][0].startswith("−")
    else f"ln(1 + {args[0][0]})", ATOM))
def log1p(a: Node) -> Node:
    return Node(np.log1p(a.value), "log1p", (a,), lambda g: (g / (1 + a.value),))


@renders("expm1", lambda node, args: (f"exp({args[0][0]}) − 1", SUM))
def expm1(a: Node) -> Node:
    """e^x − 1, accurate near 0 (ELU's negative branch)."""
    return Node(np.expm1(a.value), "expm1", (a,), lambda g: (g * np.exp(a.value),))


@renders("power", lambda node, args: (
    f"{wrap(args[0][0], args[0][1], ATOM)}{SUPERSCRIPTS[node.attrs['k']]}", POWER))
def power_of(a: Node, k: int) -> Node:
    """a^k for a whole k >= 2, multiplied out as PyTorch writes x·x·x (GELU's x³)."""
    if k == 2:
        return square(a)
    if not (isinstance(k, int) and 3 <= k <= 9):
        raise ValueError("only whole powers from 2 to 9 are supported")
    out = a.value
    for _ in range(k - 1):
        out = out * a.value
    return Node(out, "power", (a,), lambda g: (g * k * a.value ** (k - 1),), {"k": k})


@renders("tanh", call("tanh"))
def tanh(a: Node) -> Node:
    # Rounded from double precision: NumPy's float32 tanh can be an ulp off near ±1, which
    # 1 − tanh² (its derivative) turns into a large relative error.
    out = np.tanh(a.value.astype(float)).astype(a.dtype)
    # PyTorch's tanh_backward: g·(1 − y²), from the output.
    return Node(out, "tanh", (a,), lambda g: (g * (1 - out * out),))


# A quotient that reads as one term: parenthesised as a factor, bare in a sum.
@renders("sigmoid", lambda node, args: (
    f"1 / (1 + exp(−{wrap(args[0][0], args[0][1], POWER)}))", SUM))
def sigmoid(a: Node) -> Node:
    """σ(x) = 1/(1 + e^(−x)), computed from e^(−|x|) so that no exponential overflows
    (x = ±1000 gives 1 and 0); shown as the textbook formula."""
    x = a.value
    e = np.exp(-np.abs(x))
    out = np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
    # PyTorch's sigmoid_backward: g·(1 − σ)·σ, from the output.
    return Node(out, "sigmoid", (a,), lambda g: (g * (1 - out) * out,))


def _erf(x: np.ndarray) -> np.ndarray:
    import math  # NumPy has no erf; math.erf is the C library's, correctly rounded to ~1 ulp

    return np.asarray(np.frompyfunc(math.erf, 1, 1)(x.astype(float)), dtype=float).astype(x.dtype)


@renders("erf", call("erf"))
def erf(a: Node) -> Node:
    """The error function (exact GELU's Φ(x) = ½·(1 + erf(x/√2)))."""
    x = a.value
    two_over_sqrt_pi = np.asarray(2 / np.sqrt(np.pi), dtype=a.dtype)
    return Node(_erf(np.asarray(x)), "erf", (a,),
                lambda g: (g * two_over_sqrt_pi * np.exp(-(x * x)),))


@renders("softplus", call("softplus"))
def softplus(a: Node) -> Node:
    """ln(1 + e^x), computed as max(x, 0) + ln(1 + e^(−|x|)) so that nothing overflows."""
    x = a.value
    out = np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))
    # d/dx = σ(x), from e^(−|x|) as the stable sigmoid.
    return Node(out, "softplus", (a,), lambda g: (g * _stable_sigmoid(x),))


def _stable_sigmoid(x: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


@renders("pow", lambda node, args: (
    f"{wrap(args[0][0], args[0][1], ATOM)}^{wrap(args[1][0], args[1][1], ATOM)}", POWER))
def pow_(a: Node, k: Node) -> Node:
    """a^k for a constant exponent k (focal's (1 − p_t)^γ); 0^k = 0 for k > 0."""
    kv = k.value
    out = np.power(a.value, kv)

    def vjp(g):
        if kv == 0:  # a^0 = 1 everywhere, also at a = 0 (torch's pow backward gives 0 there)
            return (np.zeros_like(g), None)
        return (g * kv * np.power(a.value, kv - 1), None)

    return Node(out, "pow", (a, k), vjp)


@renders("sqrt", call("√"))
def sqrt(a: Node) -> Node:
    """√a; where the incoming gradient is 0 the result is 0 (so √0 sends back 0, not 0·∞)."""
    out = np.sqrt(a.value)

    def vjp(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (np.where(g == 0, 0, g / (2 * out)),)

    return Node(out, "sqrt", (a,), vjp)


@renders("abs", lambda node, args: (f"|{args[0][0]}|", ATOM))
def absolute(a: Node) -> Node:
    # PyTorch: d|x|/dx = sign(x), which is 0 at 0.
    return Node(np.abs(a.value), "abs", (a,), lambda g: (g * np.sign(a.value),))


@renders("clamp_min", lambda node, args: (
    f"max({args[0][0]}, {fmt_const(node.attrs['low'])})", ATOM))
def clamp_min(a: Node, low: float) -> Node:
    """max(a, low); the gradient passes where a >= low (PyTorch's clamp_min backward)."""
    keep = a.value >= low
    out = np.maximum(a.value, np.asarray(low, dtype=a.dtype))
    return Node(out, "clamp_min", (a,), lambda g: (np.where(keep, g, 0),), {"low": low})


@renders("minimum", lambda node, args: (f"min({args[0][0]}, {args[1][0]})", ATOM))
def minimum(a: Node, b: Node) -> Node:
    """min(a, b) elementwise; a tie sends half the gradient to each (torch.minimum's backward)."""
    a, b = _pair(a, b)
    tie, a_less = a.value == b.value, a.value < b.value

    def vjp(g):
        half = g / 2
        return (np.where(tie, half, np.where(a_less, g, 0)),
                np.where(tie, half, np.where(a_less, 0, g)))

    return Node(np.minimum(a.value, b.value), "minimum", (a, b), vjp)


@renders("reshape", lambda node, args: args[0])
def reshape(a: Node, shape) -> Node:
    """``a`` with another shape of the same size (the formula shows it unchanged)."""
    return Node(a.value.reshape(shape), "reshape", (a,), lambda g: (g.reshape(a.shape),))


def norm(a: Node, p: float, axis: int = -1, over: str = "d") -> Node:
    """‖a‖_p along ``axis`` for p > 0 (∞ included), with PyTorch's norm backward.

    The formula shows Σ|a| (p = 1), √Σa² (p = 2), max|a| (p = ∞), else (Σ|a|^p)^(1/p).
    PyTorch's backward is 0 where the norm is 0, and at p = ∞ the entries of largest |a|
    share the gradient equally.
    """
    if p == 1:
        expr = total(absolute(a), axis, over)
    elif p == 2:
        expr = sqrt(total(square(a), axis, over))
    elif np.isinf(p):
        expr = amax(absolute(a), axis, over, keepdims=False)
    else:
        inner = total(pow_(absolute(a), const(p, a.dtype)), axis, over)
        expr = pow_(inner, const(1 / p, a.dtype))
    size = expr.value

    def vjp(g):
        g, n, x = np.expand_dims(g, axis), np.expand_dims(size, axis), a.value
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 1:
                return (np.sign(x) * g,)
            if p == 2:
                return (g * np.where(n == 0, 0, x / n),)
            if np.isinf(p):
                top = np.abs(x) == n
                return (np.sign(x) * g / top.sum(axis=axis, keepdims=True) * top,)
            if p < 1:
                scaled = np.where(x == 0, 0, np.sign(x) * np.abs(x) ** (p - 1))
                return (scaled * g * n ** (1 - p),)
            return (np.sign(x) * np.abs(x) ** (p - 1) * np.where(n == 0, 0, g / n ** (p - 1)),)

    return fused(expr, [a], vjp)


@renders("where", render_where)
def where(cond, a, b, text: str) -> Node:
    """``a`` where ``cond`` holds, else ``b``; ``text`` says the condition in the formula."""
    a, b = _pair(a, b)
    cond = np.asarray(cond, dtype=bool)
    return Node(
        np.where(cond, a.value, b.value),
        "where",
        (a, b),
        lambda g: (np.where(cond, g, 0), np.where(cond, 0, g)),
        {"cond": cond, "text": text},
    )


@renders("xlogy", lambda node, args: (
    f"{wrap(args[0][0], args[0][1], PRODUCT)}·ln({args[1][0]})", PRODUCT))
def xlogy(a: Node, b: Node) -> Node:
    """a·ln(b), defined as 0 where a = 0 (so 0·ln 0 = 0), as torch.xlogy."""
    a, b = _pair(a, b)
    zero = a.value == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(zero, 0, a.value * np.log(np.where(zero, 1, b.value)))
        return Node(
            out.astype(a.dtype, copy=False),
            "xlogy",
            (a, b),
            lambda g: (
                g * np.where(zero, 0, np.log(np.where(zero, 1, b.value))),
                g * a.value / b.value,
            ),
        )


@renders("clamp_max", lambda node, args: (
    f"min({args[0][0]}, {fmt_const(node.attrs['high'])})", ATOM))
def clamp_max(a: Node, high: float) -> Node:
    """min(a, high); the gradient passes where a <= high (PyTorch's clamp_max backward)."""
    keep = a.value <= high
    out = np.minimum(a.value, np.asarray(high, dtype=a.dtype))
    return Node(out, "clamp_max", (a,), lambda g: (np.where(keep, g, 0),), {"high": high})


def log_sigmoid(a: Node) -> Node:
    """ln σ(x) = min(x, 0) − ln(1 + e^(−|x|)): no overflow for x = ±1000.

    Built from primitives (so the formula shows the stable form) with PyTorch's own backward.
    """
    expr = clamp_max(a, 0) - log1p(exp(-absolute(a)))
    x = a.value

    def vjp(g):
        # PyTorch's log_sigmoid_backward (CPU): max_deriv − sign·z/(1+z), z = e^(−|x|).
        z = np.exp(-np.abs(x))
        negative = x < 0
        return (g * (np.where(negative, 1, 0) - np.where(negative, 1, -1) * (z / (1 + z))),)

    return fused(expr, [a], vjp)


# ---------------------------------------------------------------------------------------------
# Reductions and indexing


@renders("sum", lambda node, args: (f"Σ{reduce_label(node)}({args[0][0]})", ATOM))
def total(a: Node, axis=None, over: str = "", keepdims: bool = False) -> Node:
    """Σ over ``axis`` (all axes when None); ``over`` names the index in the formula."""
    out = np.sum(a.value, axis=axis, keepdims=keepdims)
    return _sum_node(a, out, axis, over, keepdims)


def exact_total(a: Node) -> Node:
    """Σ of every element, correctly rounded (losscalc.exactsum) and then rounded to the
    dtype: a loss's reduction, whose value must not depend on the order or the chunks the
    elements come in — a table streamed chunk by chunk, or in shards merged, sums to the
    same number. Its gradient is any sum's."""
    return _sum_node(a, np.asarray(exactsum.total(a.value), dtype=a.dtype), None, "", False)


def _sum_node(a: Node, out, axis, over: str, keepdims: bool) -> Node:
    """The node of a sum whose value ``out`` is computed: its gradient spreads g back."""
    def vjp(g):
        g = g if axis is None or keepdims else np.expand_dims(g, axis)
        return (np.broadcast_to(g, a.shape),)

    return Node(np.asarray(out), "sum", (a,), vjp,
                {"axis": axis, "over": over, "keepdims": keepdims})


@renders("amax", lambda node, args: (f"max{reduce_label(node)}({args[0][0]})", ATOM))
def amax(a: Node, axis: int, over: str = "c", keepdims: bool = True) -> Node:
    """max along ``axis``, keeping it (size 1) unless ``keepdims`` is False; ties share the
    gradient, as torch.amax."""
    out = np.max(a.value, axis=axis, keepdims=True)

    def vjp(g):
        hit = a.value == out
        g = g if keepdims else np.expand_dims(g, axis)
        return (np.where(hit, g / hit.sum(axis=axis, keepdims=True), 0),)

    value = out if keepdims else np.squeeze(out, axis)
    return Node(value, "amax", (a,), vjp, {"axis": axis, "over": over, "keepdims": keepdims})


def _shifted_exponentials(t, z: Node, axis: int, over: str):
    """The steps a teacher writes before softmax: the max shift m, e = exp(z − m), Σe."""
    m = t.let("m", amax(z, axis, over))
    shifted = z - m
    e = t.let("e", exp(shifted))
    return m, shifted, e, t.let("Σe", total(e, axis, over, keepdims=True))


def softmax_vjp(p: Node, g: Node, axis: int, over: str = "c") -> Node:
    """PyTorch's softmax backward, p·(g − Σ g·p): the vector-Jacobian product with
    J = diag(p) − p·pᵀ. One formula for the backward pass and for the explanation."""
    return p * (g - total(g * p, axis, over, keepdims=True))


def log_softmax_vjp(p: Node, g: Node, axis: int, over: str = "c") -> Node:
    """PyTorch's log_softmax backward, g − p·Σ g (J = I − 1·pᵀ), with p = exp(ln p)."""
    return g - p * total(g, axis, over, keepdims=True)


def softmax(t, z: Node, axis: int, over: str = "c") -> Node:
    """softmax along ``axis`` as PyTorch's CPU kernel computes it: e^(z − m) / Σ e^(z − m),
    no overflow for z = ±1000. Records m, e and Σe; PyTorch's backward (softmax_vjp)."""
    _, _, e, total_e = _shifted_exponentials(t, z, axis, over)
    expr = e / total_e
    p = const(expr.value, z.dtype)
    return fused(expr, [z], lambda g: (softmax_vjp(p, const(g, z.dtype), axis, over).value,))


def log_softmax(t, z: Node, axis: int, over: str = "c") -> Node:
    """ln softmax along ``axis`` as PyTorch's CPU kernel computes it: (z − m) − ln Σ e^(z − m).

    Records the steps a teacher writes (max shift, exponentials, their sum, log-sum-exp) and
    returns ``ln p`` with PyTorch's backward, g − softmax·Σg (log_softmax_vjp).
    """
    m, shifted, _, total_e = _shifted_exponentials(t, z, axis, over)
    log_total = log(total_e)
    t.let("lse", m + log_total)
    expr = shifted - log_total

    def vjp(g):
        p = const(np.exp(expr.value), z.dtype)
        return (log_softmax_vjp(p, const(g, z.dtype), axis, over).value,)

    return fused(expr, [z], vjp)


def argmax_onehot(t, z: Node, axis: int, over: str = "c") -> Node:
    """Hardmax: 1 at the first maximum along ``axis`` (torch.argmax's choice), 0 elsewhere.

    Piecewise constant, so no gradient flows back (PyTorch: argmax is not differentiable)."""
    index = np.expand_dims(np.argmax(z.value, axis=axis), axis)
    first = np.zeros(z.shape, dtype=bool)
    np.put_along_axis(first, index, True, axis=axis)
    t.let("m", amax(z, axis, over))
    return where(first, const(1, z.dtype), const(0, z.dtype), f"{over} = argmax_{over}({z.name})")


def take(a: Node, index, axis: int, label: str = "y") -> Node:
    """a[…, index, …] along ``axis``: the entry each sample's class index points at."""
    index = np.expand_dims(np.asarray(index, dtype=np.intp), axis)
    out = np.squeeze(np.take_along_axis(a.value, index, axis=axis), axis)

    def vjp(g):
        grad = np.zeros_like(a.value)
        np.put_along_axis(grad, index, np.expand_dims(g, axis), axis=axis)
        return (grad,)

    return Node(out, "take", (a,), vjp, {"axis": axis, "label": label, "index": index})


def fused(expr: Node, wrt: Sequence[Node], vjp: Callable) -> Node:
    """The value of ``expr`` with a backward of its own (PyTorch's formula) into ``wrt``.

    The graph of ``expr`` is kept for the formula; gradients flow only through ``vjp``.
    """
    return Node(expr.value, "fused", tuple(wrt), vjp, {"expr": expr})


# ---------------------------------------------------------------------------------------------
# Backward


def backward(root: Node, seed=None) -> dict[int, np.ndarray]:
    """Gradients of ``root`` (of its sum when it is not a scalar), keyed by ``id(node)``."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in seen or not node.needs_grad:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((p, False) for p in node.parents)
    grads = {id(root): np.ones_like(root.value) if seed is None else seed}
    for node in reversed(order):
        g = grads.get(id(node))
        if g is None or node.vjp is None:
            continue
        for parent, pg in zip(node.parents, node.vjp(g)):
            if pg is None or not parent.needs_grad:
                continue
            pg = _unbroadcast(np.asarray(pg, dtype=parent.dtype), parent.shape)
            key = id(parent)
            grads[key] = pg if key not in grads else grads[key] + pg
    return grads
