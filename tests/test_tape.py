"""The tape: primitives against independent NumPy formulas, formula rendering, and every
recorded step re-evaluated from its shown operands — by walking its graph with reference
implementations, and by evaluating the formula *text* itself, so a wrong template or a step
whose formula does not produce its value cannot hide.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from samples import SAMPLES

from losscalc import tape
from losscalc.core import compute
from losscalc.formulas import render
from losscalc.recorder import Tape


def _x(values):
    return tape.leaf(np.asarray(values, dtype=float), "x", requires_grad=True)


# --- primitives ----------------------------------------------------------------------------


def test_log_sigmoid_is_stable_and_matches_logaddexp():
    x = np.array([-1000.0, -30.0, -1.0, 0.0, 2.0, 30.0, 1000.0])
    node = tape.log_sigmoid(_x(x))
    assert np.allclose(node.value, -np.logaddexp(0, -x), rtol=1e-15, atol=0)
    (g,) = node.vjp(np.ones_like(x))
    assert np.allclose(g, 1 / (1 + np.exp(np.clip(x, -700, 700))), rtol=1e-14)  # σ(−x)


def test_log_softmax_records_the_shift_and_is_stable_for_large_logits():
    z = np.array([[1e4, 0.0, -1e4], [1.0, 2.0, 3.0]])
    t = Tape("float64")
    lsm = tape.log_softmax(t, _x(z), axis=1).value
    steps = {s.name: s.value for s in t.steps}
    # Row 0: lse = 1e4 + ln(1 + e^−1e4 + e^−2e4) = 1e4; row 1: 3 + ln(1 + e^−1 + e^−2).
    lse = np.array([1e4, 3 + np.log(1 + np.exp(-1) + np.exp(-2))])
    assert steps["m"].ravel().tolist() == [1e4, 3.0]
    assert np.allclose(steps["lse"].ravel(), lse, rtol=1e-15)
    assert np.allclose(lsm, z - lse[:, None], rtol=1e-15)


def test_take_and_its_backward():
    x = _x([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    node = tape.take(x, np.array([2, 0]), axis=1)
    assert node.value.tolist() == [3.0, 4.0]
    (g,) = node.vjp(np.array([10.0, 20.0]))
    assert g.tolist() == [[0, 0, 10.0], [20.0, 0, 0]]


def test_clamp_min_passes_gradient_where_not_clamped():
    x = _x([-200.0, -100.0, -1.0])
    node = tape.clamp_min(x, -100)
    assert node.value.tolist() == [-100.0, -100.0, -1.0]
    assert node.vjp(np.ones(3))[0].tolist() == [0.0, 1.0, 1.0]  # x >= min, as torch


def test_backward_sums_over_broadcast_axes():
    x = _x([[1.0], [2.0]])
    y = tape.leaf(np.array([10.0, 20.0, 30.0]), "y")
    out = tape.total(x * y)
    grads = tape.backward(out)
    assert grads[id(x)].tolist() == [[60.0], [60.0]]


def test_xlogy_is_zero_where_first_argument_is_zero():
    y = _x([0.0, 0.5])
    assert tape.xlogy(y, y).value.tolist() == [0.0, 0.5 * np.log(0.5)]


def test_sigmoid_is_stable_and_matches_the_textbook_formula():
    # σ(x) = 1/(1 + e^(−x)) where that does not overflow; σ(±1000) = 1 and 0 exactly.
    x = np.array([-1000.0, -30.0, -1.0, 0.0, 2.0, 30.0, 1000.0])
    with np.errstate(over="ignore"):
        expected = 1 / (1 + np.exp(-x))
    node = tape.sigmoid(_x(x))
    assert np.allclose(node.value, expected, rtol=1e-15, atol=0)
    assert node.value[0] == 0.0 and node.value[-1] == 1.0 and node.value[3] == 0.5


def test_expm1_is_accurate_near_zero():
    # e^x − 1 = x + x²/2 + … : for x = 1e-10 that is 1.00000000005e-10 (exp(x) − 1 would
    # give 1.000000082740371e-10).
    assert tape.expm1(_x([1e-10])).value[0] == pytest.approx(1.00000000005e-10, rel=1e-15)


def test_power_multiplies_out():
    x = _x([1.5, -2.0])
    assert tape.power_of(x, 3).value.tolist() == [1.5 * 1.5 * 1.5, -8.0]
    assert (x ** 2).op == "square" and (x ** 3).op == "power"
    with pytest.raises(ValueError):
        tape.power_of(x, 2.5)


def test_erf_values():
    # erf(0) = 0, erf(1) = 0.8427007929497149 (Abramowitz & Stegun 7.1), odd.
    assert tape.erf(_x([0.0, 1.0, -1.0])).value.tolist() == [0.0, 0.8427007929497149,
                                                          -0.8427007929497149]
    assert tape.erf(tape.leaf(np.array([1.0], np.float32), "x")).value.dtype == np.float32


@pytest.mark.parametrize("make", [tape.tanh, tape.sigmoid, tape.erf, tape.expm1, tape.exp,
                                  lambda a: tape.power_of(a, 3), lambda a: tape.power_of(a, 4)],
                         ids=["tanh", "sigmoid", "erf", "expm1", "exp", "cube", "fourth"])
def test_primitive_backward_matches_central_differences(make):
    x = np.array([-2.5, -0.7, 0.3, 1.1, 2.0])
    (g,) = make(_x(x)).vjp(np.ones_like(x))
    h = 1e-6
    numeric = (make(_x(x + h)).value - make(_x(x - h)).value) / (2 * h)
    assert np.allclose(g, numeric, rtol=1e-8, atol=1e-9)


def test_softmax_backward_is_p_times_g_minus_sum():
    # p = softmax(z); the vjp with g is p·(g − Σ g·p): with g = 1 it is p·(1 − Σp) = 0.
    z = np.array([[1.0, 2.0, 3.0], [1000.0, -1000.0, 0.0]])
    t = Tape("float64")
    node = tape.softmax(t, _x(z), axis=1)
    e = np.exp(z - z.max(1, keepdims=True))
    p = e / e.sum(1, keepdims=True)
    assert np.allclose(node.value, p, rtol=1e-15, atol=0)
    assert [s.name for s in t.steps] == ["m", "e", "Σe"]
    g = np.array([[1.0, 0.0, 0.0], [0.5, 2.0, -1.0]])
    (vjp,) = node.vjp(g)
    assert np.allclose(vjp, p * (g - (g * p).sum(1, keepdims=True)), rtol=1e-15, atol=1e-300)
    assert np.allclose(node.vjp(np.ones_like(z))[0], 0.0, atol=1e-16)


def test_hardmax_is_one_at_the_first_maximum_and_has_no_gradient():
    t = Tape("float64")
    x = _x([[3.0, 1.0, -3.0], [2.0, 5.0, 5.0]])
    node = tape.argmax_onehot(t, x, axis=1)
    assert node.value.tolist() == [[1, 0, 0], [0, 1, 0]]  # ties: the first, as torch.argmax
    assert not node.needs_grad


# --- rendering -----------------------------------------------------------------------------


@pytest.mark.parametrize("build, text", [
    (lambda a, b, c: a - (b - c), "a − (b − c)"),
    (lambda a, b, c: (a - b) - c, "a − b − c"),
    (lambda a, b, c: (a + b) * c, "(a + b)·c"),
    (lambda a, b, c: a / (b * c), "a / (b·c)"),
    (lambda a, b, c: -tape.square(a), "−a²"),
    (lambda a, b, c: tape.square(-a), "(−a)²"),
    (lambda a, b, c: tape.log1p(-a), "ln(1 − a)"),
    (lambda a, b, c: 0.5 * tape.square(a - b), "0.5·(a − b)²"),
    (lambda a, b, c: tape.sigmoid(a), "1 / (1 + exp(−a))"),
    (lambda a, b, c: a * tape.sigmoid(-b), "a·(1 / (1 + exp(−(−b))))"),
    (lambda a, b, c: b * tape.expm1(a), "b·(exp(a) − 1)"),
    (lambda a, b, c: tape.power_of(a + b, 3), "(a + b)³"),
    (lambda a, b, c: -tape.power_of(a, 3), "−a³"),
    (lambda a, b, c: tape.tanh(a) + tape.erf(b), "tanh(a) + erf(b)"),
])
def test_rendering_respects_precedence(build, text):
    a, b, c = (tape.leaf(np.array(0.5), n) for n in "abc")
    assert render(build(a, b, c))[0] == text


# --- every recorded step, re-evaluated ---------------------------------------------------

REFERENCE = {
    "add": lambda n, a, b: a + b,
    "sub": lambda n, a, b: a - b,
    "mul": lambda n, a, b: a * b,
    "div": lambda n, a, b: a / b,
    "neg": lambda n, a: -a,
    "square": lambda n, a: a ** 2,
    "exp": lambda n, a: np.exp(a),
    "log": lambda n, a: np.log(a),
    "log1p": lambda n, a: np.log(1 + a) if np.all(np.abs(a) > 1e-3) else np.log1p(a),
    "abs": lambda n, a: np.abs(a),
    "clamp_min": lambda n, a: np.maximum(a, n.attrs["low"]),
    "clamp_max": lambda n, a: np.minimum(a, n.attrs["high"]),
    "amax": lambda n, a: np.max(a, axis=n.attrs["axis"], keepdims=n.attrs["keepdims"]),
    "where": lambda n, a, b: np.where(n.attrs["cond"], a, b),
    "xlogy": lambda n, a, b: np.where(a == 0, 0.0, a * np.log(np.where(a == 0, 1, b))),
    "sum": lambda n, a: np.sum(a, axis=n.attrs["axis"], keepdims=n.attrs["keepdims"]),
    "take": lambda n, a: np.squeeze(np.take_along_axis(a, n.attrs["index"], n.attrs["axis"]),
                                    n.attrs["axis"]),
    "same": lambda n, a: a,
    "expm1": lambda n, a: np.exp(a) - 1 if np.all(np.abs(a) > 1e-3) else np.expm1(a),
    "power": lambda n, a: a ** n.attrs["k"],
    "tanh": lambda n, a: np.sinh(a) / np.cosh(a) if np.all(np.abs(a) < 300) else np.tanh(a),
    "sigmoid": lambda n, a: 1 / (1 + np.exp(-a)),
    "erf": lambda n, a: np.vectorize(math.erf)(a),
    "softplus": lambda n, a: np.logaddexp(0, a),
    "sqrt": lambda n, a: np.sqrt(a),
    "pow": lambda n, a, b: a ** b,
    "minimum": lambda n, a, b: np.where(a < b, a, b),
    "reshape": lambda n, a: np.reshape(a, n.shape),
}


def reevaluate(node, top=True):
    """The step's value recomputed from its named operands with the reference formulas."""
    if node.op in ("input", "const") or (node.name is not None and not top):
        return node.value
    if node.op == "fused":
        return reevaluate(node.attrs["expr"], True)
    return REFERENCE[node.op](node, *[reevaluate(p, False) for p in node.parents])


def operands(node, top=True):
    """The named nodes a step's formula mentions."""
    if node.name is not None and not top:
        return [node]
    inner = [node.attrs["expr"]] if node.op == "fused" else node.parents
    return [o for p in inner for o in operands(p, False)]


def axes(node):
    found = {node.attrs["axis"]} if "axis" in node.attrs and node.op != "take" else set()
    inner = [node.attrs["expr"]] if node.op == "fused" else node.parents
    for p in inner:
        if p.name is None:
            found |= axes(p)
    return found


def evaluate_text(step):
    """Evaluate the formula text as Python, with the operands' values bound to their names."""
    text = step.formula
    names = {o.name: o.value for o in operands(step.node)}
    env = {}
    for i, name in enumerate(sorted(names, key=len, reverse=True)):
        pattern = re.escape(name) if not name.isidentifier() else rf"(?<![A-Za-z0-9_]){name}(?![A-Za-z0-9_(])"
        text = re.sub(pattern, f"v{i}", text)
        env[f"v{i}"] = names[name]
    (axis,) = axes(step.node) or {None}
    keep = any(n.attrs.get("keepdims") for n in _walk(step.node) if n.op == "sum")
    keep_max = all(n.attrs["keepdims"] for n in _walk(step.node) if n.op == "amax")
    take = [n for n in _walk(step.node) if n.op == "take"]
    replacements = [
        (r"\[y\]", "@TAKE"), ("−", "-"), ("·", "*"), ("²", "**2"), ("³", "**3"),
        (r"ln\(", "log("), ("√", "sqrt"), (r"max_[a-z]\(", "max_axis("), (r"\^", "**"),
        (r"Σ_[a-z]\(", "sum_axis("), (r"Σ\(", "sum_all("), (r"\|([^|]+)\|", r"abs(\1)"),
        (r"(?<![a-z_])max\(", "maximum("), (r"(?<![a-z_])min\(", "minimum("),
    ]
    for old, new in replacements:
        text = re.sub(old, new, text)
    text = re.sub(r"(v\d+)@TAKE", r"take(\1)", text)
    env.update(
        log=np.log, exp=np.exp, abs=np.abs, maximum=np.maximum, minimum=np.minimum,
        tanh=np.tanh, erf=np.vectorize(math.erf),
        max_axis=lambda a: np.max(a, axis=axis, keepdims=keep_max),
        softplus=lambda a: np.logaddexp(0, a), sqrt=np.sqrt,
        sum_axis=lambda a: np.sum(a, axis=axis, keepdims=keep), sum_all=np.sum,
        take=lambda a: np.squeeze(np.take_along_axis(a, take[0].attrs["index"], axis=take[0]
                                                     .attrs["axis"]), take[0].attrs["axis"]),
    )
    if " if " in text:  # a piecewise formula: evaluate each branch where it applies
        where = next(n for n in _walk(step.node) if n.op == "where")
        then_text, rest = text.split(" if ", 1)
        else_text = rest.split(" else ", 1)[1]
        with np.errstate(all="ignore"):
            return np.where(where.attrs["cond"], eval(then_text, env), eval(else_text, env))
    with np.errstate(all="ignore"):
        return eval(text, env)


def _walk(node):
    yield node
    inner = [node.attrs["expr"]] if node.op == "fused" else node.parents
    for p in inner:
        if p.name is None:
            yield from _walk(p)


def _results(seeds=range(8)):
    for loss, make in SAMPLES.items():
        for seed in seeds:
            pred, target, params, reductions = make(np.random.default_rng(seed))
            for reduction in reductions:
                yield f"{loss}-{seed}-{reduction}", compute(loss, pred, target, params,
                                                            reduction)


RESULTS = list(_results())


@pytest.mark.parametrize("name, result", RESULTS, ids=[r[0] for r in RESULTS])
def test_every_step_reevaluates_to_its_value(name, result):
    assert result.steps, "a loss must record its steps"
    for step in result.steps:
        with np.errstate(all="ignore"):
            again = reevaluate(step.node)
        assert np.allclose(again, step.value, rtol=1e-12, atol=1e-12, equal_nan=True), \
            (step.name, step.formula)
        shown = evaluate_text(step)  # constants in the text are shown to 6 digits
        if any(n.op == "reshape" for n in _walk(step.node)):  # the text does not show it
            shown = np.reshape(shown, np.shape(step.value))
        assert np.allclose(shown, step.value, rtol=1e-5, atol=1e-9, equal_nan=True), \
            (step.name, step.formula)


def test_final_step_is_the_reported_value():
    for _, result in RESULTS:
        if result.reduction != "none":
            assert result.steps[-1].name == "loss"
            assert result.steps[-1].value == result.value


def test_compute_without_gradient_stops_before_the_backward_pass():
    # mse of [1, 2, 3] against [1, 2, 5]: per-element (x − y)² = [0, 0, 4], summed 4; the
    # gradient 2(x − y) = [0, 0, −4] only when asked for.
    full = compute("mse", [1.0, 2.0, 3.0], [1.0, 2.0, 5.0], reduction="sum")
    bare = compute("mse", [1.0, 2.0, 3.0], [1.0, 2.0, 5.0], reduction="sum", gradient=False)
    assert bare.elementwise.tolist() == [0.0, 0.0, 4.0] and float(bare.value) == 4.0
    assert bare.grad == {}
    assert full.grad["pred"].tolist() == [0.0, 0.0, -4.0]
