"""`losscalc act`: values, derivatives and Jacobians against PyTorch (tests/data/golden_act.json,
made by scripts/make_golden_act.py), every derivative against central differences, the
tutorials' examples (tests/data/seed-examples.json), every recorded formula re-evaluated, the
explanation against hand derivations, and the command line's outputs and exit codes.

Every expected number comes from the torch data, a derivation in the comment next to it, or
central differences computed here from the values alone.
"""

from __future__ import annotations

import json
import math
import shlex

import numpy as np
import pytest
from conftest import assert_close, load
from test_tape import evaluate_text, reevaluate

from losscalc import activations
from losscalc.activations import compute_act, linspace
from losscalc.commands.act import explain

GOLDEN = load("golden_act.json")
SEEDS = {e["id"]: e for e in load("seed-examples.json")}
DTYPES = ("float64", "float32")


def _case_id(c):
    params = ",".join(f"{k}={v}" for k, v in c["params"].items())
    return f"{c['name']}[{params}]-{c['case']}"


CASES = [pytest.param(c, id=_case_id(c)) for c in GOLDEN["act"]]


# ---------------------------------------------------------------------------------------------
# PyTorch's values and autograd gradients


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", CASES)
def test_values_and_gradients_match_pytorch(case, dtype):
    ref = case[dtype]
    r = compute_act(case["name"], case["x"], dict(case["params"]), dtype)
    assert r.value.dtype == np.dtype(dtype)
    assert_close(r.value, ref["value"], dtype, "value")
    assert_close(r.grad, ref["grad"], dtype, "grad of y.sum()")
    if "jacobian" in ref:
        assert_close(r.jacobian, ref["jacobian"], dtype, "jacobian")
    else:  # elementwise: f′(x) is the gradient of y.sum()
        assert_close(r.derivative, ref["grad"], dtype, "derivative")
    with_u = compute_act(case["name"], case["x"], dict(case["params"]), dtype,
                         upstream=case["upstream"])
    assert_close(with_u.grad, ref["grad_upstream"], dtype, "grad of (y·u).sum()")


@pytest.mark.parametrize("name", list(activations.ACTIVATIONS))
def test_the_explained_gradient_is_the_gradient_backward_gives(name):
    # One computation: the step "x.grad" (u·f′, or the vjp formula) and T.backward agree to
    # the bit, and the elementwise derivative is the backward of u = 1.
    rng = np.random.default_rng(5)
    x, u = rng.normal(0, 2, (3, 4)), rng.normal(0, 1, (3, 4))
    r = compute_act(name, x, upstream=u)
    steps = {s.name: s.value for s in r.steps}
    if name == "hardmax":
        assert "x.grad" not in steps and not r.grad.any()
    else:
        assert np.array_equal(steps["x.grad"], r.grad)
    if r.derivative is not None:
        assert np.array_equal(r.grad, u * r.derivative)
        assert np.array_equal(compute_act(name, x).grad, r.derivative)


def test_every_activation_has_golden_cases_with_adversarial_inputs():
    covered = {c["name"] for c in GOLDEN["act"] if c["case"] == "adversarial"}
    assert covered == set(activations.ACTIVATIONS)
    adversarial = next(c for c in GOLDEN["act"] if c["name"] == "sigmoid"
                       and c["case"] == "adversarial")
    assert {-1000.0, 0.0, 1000.0} <= set(adversarial["x"])


@pytest.mark.parametrize("dtype", DTYPES)
def test_no_overflow_at_plus_minus_1000(dtype):
    # By hand: σ(−1000) = 0, σ(1000) = 1; tanh → ∓1; softplus(1000) = 1000 (β·x > 20 gives x),
    # softplus(−1000) = ln(1 + e^−1000) = 0; elu(−1000) = e^−1000 − 1 = −1; silu and gelu → 0
    # and 1000; softmax of (1000, −1000) = (1, 0).
    x = [-1000.0, 1000.0]
    expected = {"sigmoid": [0, 1], "tanh": [-1, 1], "relu": [0, 1000], "softplus": [0, 1000],
                "elu": [-1, 1000], "silu": [0, 1000], "gelu": [0, 1000],
                "leaky-relu": [-10, 1000], "softmax": [0, 1], "log-softmax": [-2000, 0],
                "hardmax": [0, 1]}
    for name, values in expected.items():
        r = compute_act(name, x, dtype=dtype)
        assert np.all(np.isfinite(r.value)) and np.all(np.isfinite(r.grad)), name
        assert_close(r.value, values, dtype, name)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("entry", GOLDEN["linspace"], ids=lambda e: str(e["num"]))
def test_linspace_matches_torch(entry, dtype):
    x = linspace(entry["start"], entry["end"], entry["num"], dtype)
    assert x.dtype == np.dtype(dtype)
    assert_close(x, entry[dtype], dtype, "linspace")
    assert x[0] == entry["start"] and x[-1] == (entry["end"] if entry["num"] > 1 else
                                                entry["start"])


# ---------------------------------------------------------------------------------------------
# Derivatives against central differences (computed here from the values alone)

ELEMENTWISE_SETTINGS = [(name, {}) for name, s in activations.ACTIVATIONS.items() if not s.along_axis] + [
    ("leaky-relu", {"slope": 0.2}), ("elu", {"alpha": 0.5}), ("gelu", {"approximate": "tanh"}),
    ("softplus", {"beta": 2.0, "threshold": 5.0}), ("softplus", {"beta": -0.5})]


def _value(name, x, params, upstream=None):
    r = compute_act(name, x, dict(params))
    return np.sum(r.value * (1 if upstream is None else upstream))


def _central(name, x, params, upstream=None, h=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        step = h * max(1.0, abs(x[index]))
        up[index] += step
        down[index] -= step
        grad[index] = (_value(name, up, params, upstream)
                       - _value(name, down, params, upstream)) / (2 * step)
    return grad


@pytest.mark.parametrize("name, params", ELEMENTWISE_SETTINGS,
                         ids=[f"{n}{p}" for n, p in ELEMENTWISE_SETTINGS])
@pytest.mark.parametrize("seed", range(3))
def test_elementwise_derivative_matches_central_differences(name, params, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 4, 12)
    x[np.abs(x) < 1e-2] += 0.1  # away from the kink at 0
    if name == "softplus":  # and from the switch at β·x = threshold
        beta, threshold = params.get("beta", 1.0), params.get("threshold", 20.0)
        x[np.abs(beta * x - threshold) < 1e-2] += 0.1
    r = compute_act(name, x, dict(params))
    numeric = _central(name, x, params)
    assert np.allclose(r.derivative, numeric, rtol=1e-6, atol=1e-8), (r.derivative, numeric)
    assert np.array_equal(r.grad, r.derivative)  # u = 1: autograd gives f′(x) itself


@pytest.mark.parametrize("name", ["softmax", "log-softmax"])
@pytest.mark.parametrize("shape, dim", [((5,), -1), ((3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1)])
def test_jacobian_and_vjp_match_central_differences(name, shape, dim):
    rng = np.random.default_rng(len(shape) + dim)
    x, u = rng.normal(0, 2, shape), rng.normal(0, 1, shape)
    r = compute_act(name, x, {"dim": dim}, upstream=u)
    assert np.allclose(r.grad, _central(name, x, {"dim": dim}, u), rtol=1e-6, atol=1e-8)
    # Column j of each row's Jacobian: the change of every y_i when x_j moves.
    moved = np.moveaxis(x, dim, -1)
    for j in range(moved.shape[-1]):
        h = 1e-6
        up, down = moved.copy(), moved.copy()
        up[..., j] += h
        down[..., j] -= h
        f = [np.moveaxis(compute_act(name, np.moveaxis(v, -1, dim), {"dim": dim}).value,
                         dim, -1) for v in (up, down)]
        assert np.allclose(r.jacobian[..., :, j], (f[0] - f[1]) / (2 * h), rtol=1e-6,
                           atol=1e-8)


def test_every_activation_is_checked_against_central_differences():
    checked = {n for n, _ in ELEMENTWISE_SETTINGS} | {"softmax", "log-softmax", "hardmax"}
    assert checked == set(activations.ACTIVATIONS)


def test_hardmax_has_zero_gradient_and_jacobian():
    # Piecewise constant: a small change of x leaves the one-hot vector as it is.
    r = compute_act("hardmax", [[3.0, 1.0, -3.0], [0.5, 2.0, 2.0]], upstream=[[1, 2, 3]] * 2)
    assert r.value.tolist() == [[1, 0, 0], [0, 1, 0]]  # ties: the first maximum
    assert not r.grad.any() and not r.jacobian.any()


# PyTorch's conventions where the derivative does not exist (the golden adversarial inputs hold
# x = 0 as well): relu′(0) = 0 (threshold_backward), leaky_relu′(0) = slope (x > 0 ? 1 :
# slope), elu′(0) = α (the negative branch, x ≤ 0).
@pytest.mark.parametrize("name, params, expected", [
    ("relu", {}, 0.0), ("leaky-relu", {}, 0.01), ("leaky-relu", {"slope": 0.2}, 0.2),
    ("elu", {}, 1.0), ("elu", {"alpha": 0.5}, 0.5)])
def test_derivative_at_the_kink_follows_pytorch(name, params, expected):
    r = compute_act(name, [0.0], params)
    assert r.value.tolist() == [0.0]
    assert r.derivative.tolist() == [expected]
    assert any("at x = 0" in remark for remark in r.remarks)


def test_softplus_is_linear_above_the_threshold():
    # β·x > threshold: PyTorch returns x with derivative 1; at 20 exactly it is still
    # ln(1 + e^20) = 20.000000002061153 with derivative σ(20) = 0.9999999979388463.
    r = compute_act("softplus", [20.0, 20.5])
    assert r.value.tolist() == [20.000000002061153, 20.5]
    assert r.derivative.tolist() == [pytest.approx(0.9999999979388463, rel=1e-15), 1.0]


# ---------------------------------------------------------------------------------------------
# The tutorials' examples, from the command line


def _json(cli, *args):
    code, out, err = cli("act", *args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("key, args", [
    ("002-sigmoid-linspace", ["sigmoid"]), ("002-tanh-linspace", ["tanh"]),
    ("002-relu-linspace", ["relu"]), ("002-leaky_relu-linspace", ["leaky-relu", "--slope",
                                                                  "0.1"])])
def test_linspace_seed_examples(cli, key, args, dtype):
    # x = torch.linspace(-10, 10, 100); y = f(x); y.sum().backward(): values and x.grad.
    e = SEEDS[key]
    obj = _json(cli, *args, "--range", "-10:10", "--num", "100", "--dtype", dtype)
    assert_close(obj["value"], e[f"torch_{dtype}"], dtype, key)
    assert_close(obj["grad"]["x"], e["grads"]["x.grad (of y.sum())"][dtype], dtype, key)
    assert obj["derivative"] == obj["grad"]["x"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_2x4_gradient_of_the_sum_is_zero(cli, dtype):
    # 002-softmax-2x4: nn.Softmax(dim=1); y.sum().backward() gives x.grad = 0 (each row of y
    # sums to 1). torch returns exact zeros; rounding noise of 1e-17 would be legitimate.
    e = SEEDS["002-softmax-2x4"]
    obj = _json(cli, "softmax", "--x", json.dumps(e["inputs"]["x"]), "--dim", "1",
                "--dtype", dtype)
    assert_close(obj["value"], e[f"torch_{dtype}"], dtype)
    assert_close(obj["grad"]["x"], e["grads"]["x.grad (of y.sum())"][dtype], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("key", ["003-softmax-rows", "004-softmax-3dp", "004-softmax-numpy"])
def test_softmax_seed_examples(cli, key, dtype):
    e = SEEDS[key]
    x = e["inputs"].get("x", e["inputs"].get("z"))
    obj = _json(cli, "softmax", "--x", json.dumps(x), "--dim", str(e["params"]["dim"]),
                "--dtype", dtype)
    assert_close(obj["value"], e[f"torch_{dtype}"], dtype, key)
    # The tutorials' rounded values are right to their digits.
    digits = {"003-softmax-rows": 4, "004-softmax-3dp": 3, "004-softmax-numpy": 8}[key]
    assert np.allclose(obj["value"], e["stated"], rtol=0, atol=0.5 * 10**-digits)
    if key == "004-softmax-numpy":  # its rows sum to 1 (grads.sum holds that sum)
        assert_close(np.sum(obj["value"]), e["grads"]["sum"][dtype], dtype)


def test_hardmax_seed_example(cli):
    # 004-hardmax: z = (3, 1, −3): argmax 0, one-hot (1, 0, 0).
    e = SEEDS["004-hardmax"]
    obj = _json(cli, "hardmax", "--x", "3,1,-3")
    assert obj["value"] == e["torch_float64"] == e["stated"]
    assert obj["value"].index(1) == e["grads"]["argmax"]["float64"]
    assert obj["grad"]["x"] == [0.0, 0.0, 0.0]


def test_chain_rule_seed_example(cli):
    # 002-chain-rule: fc1 = 1/(exp(−x·w + b) + 1) = σ(z) with z = x·w − b = 0 (x = 1, w = b = 0);
    # fc2 = 2·fc1 + 1 = 2. Backward: ∂fc2/∂fc1 = 2 is the upstream gradient of the sigmoid,
    # so ∂fc2/∂z = 2·σ′(0) = 2·0.25 = 0.5; ∂z/∂w = x = 1 → w.grad = 0.5; ∂z/∂b = −1 →
    # b.grad = −0.5.
    e = SEEDS["002-chain-rule"]
    obj = _json(cli, "sigmoid", "--x", "0", "--upstream", "2")
    fc1, dz = obj["value"], obj["grad"]["x"]
    assert 2 * fc1 + 1 == e["torch_float64"]
    assert dz * 1.0 == e["grads"]["w.grad"]["float64"]
    assert dz * -1.0 == e["grads"]["b.grad"]["float64"]
    assert obj["derivative"] == 0.25


# ---------------------------------------------------------------------------------------------
# The explanation


def _steps(name, x, params=None, upstream=None):
    return compute_act(name, x, params, upstream=upstream).steps


@pytest.mark.parametrize("name, params", [(n, {}) for n in activations.ACTIVATIONS] +
                         [("gelu", {"approximate": "tanh"}), ("softmax", {"dim": 0})])
def test_every_step_reevaluates_to_its_value(name, params):
    x = np.array([[-2.5, 0.0, 1.5], [3.0, -0.5, 30.0]])
    for step in _steps(name, x, params, upstream=np.full(x.shape, 0.5)):
        with np.errstate(all="ignore"):
            again = reevaluate(step.node)
        assert np.allclose(again, step.value, rtol=1e-12, atol=1e-12), (step.name,
                                                                       step.formula)
        shown = evaluate_text(step)
        assert np.allclose(shown, step.value, rtol=1e-5, atol=1e-9), (step.name, step.formula)


def test_sigmoid_explanation_by_hand():
    # σ(0) = 1/(1 + e^0) = 0.5, σ′(0) = 0.5·(1 − 0.5) = 0.25; σ(2) = 1/(1 + e^−2) = 0.880797,
    # σ′(2) = 0.880797·0.119203 = 0.104994.
    text = explain(compute_act("sigmoid", [0.0, 2.0]), activations.resolve("sigmoid")).text()
    for line in ("σ = 1 / (1 + exp(−x))", "σ′ = σ·(1 − σ)",
                 "σ = 1 / (1 + exp(−0)) = 0.5", "σ′ = 0.5·(1 − 0.5) = 0.25",
                 "σ = 1 / (1 + exp(−2)) = 0.880797", "σ′ = 0.880797·(1 − 0.880797) = 0.104994",
                 "x.grad = [0.25, 0.104994]"):
        assert line in text, line


def test_softmax_explanation_by_hand():
    # z = (3, 1, −3): m = 3, e = (1, e^−2, e^−6) = (1, 0.135335, 0.00247875),
    # Σe = 1.13781, p = e/Σe = (0.878878, 0.118943, 0.00217852) (004-softmax-3dp rounds these
    # to 0.879, 0.119, 0.002); with u = 1, x.grad = p·(1 − 1) = 0.
    text = explain(compute_act("softmax", [3.0, 1.0, -3.0]), activations.resolve("softmax")).text()
    for line in ("m = max_c([3, 1, −3]) = 3",
                 "e = exp([3, 1, −3] − 3) = [1, 0.135335, 0.00247875]",
                 "Σe = Σ_c([1, 0.135335, 0.00247875]) = 1.13781",
                 "p = [1, 0.135335, 0.00247875] / 1.13781 = [0.878878, 0.118943, 0.00217852]",
                 "x.grad = p·(u − Σ_c(u·p))", "= [0, 0, 0]", "sums to 1"):
        assert line in text, line
    # J = diag(p) − p·pᵀ: J_00 = p0·(1 − p0) = 0.8788782·0.1211218 = 0.106451,
    # J_01 = −p0·p1 = −0.8788782·0.1189432 = −0.104537.
    assert "J = [[0.106451, −0.104537, " in text


def test_log_softmax_vjp_explanation_by_hand():
    # u = (1, 0, 0): x.grad = u − p·Σu = (1 − 0.878878, −0.118943, −0.00217852).
    r = compute_act("log-softmax", [3.0, 1.0, -3.0], upstream=[1.0, 0.0, 0.0])
    text = explain(r, activations.resolve("log-softmax")).text()
    assert "x.grad = u − p·Σ_c(u)" in text
    assert "= [0.121122, −0.118943, −0.00217852]" in text


def test_piecewise_explanation_shows_the_branch_taken():
    # leaky-relu with slope 0.1 at x = −10: y = 0.1·(−10) = −1, y′ = 0.1; at 3: y = 3, y′ = 1.
    r = compute_act("leaky-relu", [-10.0, 3.0], {"slope": 0.1})
    text = explain(r, activations.resolve("leaky-relu")).text()
    assert "y = x if x > 0 else slope·x" in text
    assert "slope = 0.1" in text
    assert "y = 0.1·(−10) = −1" in text and "y′ = 0.1" in text
    assert "y = 3\n" in text and "y′ = 1\n" in text


def test_long_inputs_show_three_elements_and_say_how_many_more():
    r = compute_act("tanh", linspace(-10, 10, 100))
    ex = explain(r, activations.resolve("tanh"))
    titles = [s.title for s in ex.sections]
    assert titles[:5] == ["formulas", "element 0", "element 1", "element 2",
                          "… 97 more elements (same steps)"]
    assert len(explain(r, activations.resolve("tanh"), full=True).sections) == 102


# ---------------------------------------------------------------------------------------------
# The command line: forms and exit codes


def test_plain_prints_each_value_on_a_line(cli):
    # σ(0) = 0.5; σ(ln 3) = 1/(1 + 1/3) = 0.75.
    code, out, err = cli("act", "sigmoid", "--x", f"0,{math.log(3)}")
    assert (code, err) == (0, "")
    assert out.splitlines() == ["0.5", repr(1 / (1 + 1 / 3))]


def test_plain_float32_prints_like_torch_item(cli):
    e = SEEDS["002-sigmoid-linspace"]
    code, out, _ = cli("act", "sigmoid", "--range", "-10:10", "--dtype", "float32")
    lines = out.splitlines()
    assert len(lines) == 100
    assert_close([float(v) for v in lines], e["torch_float32"], "float32")
    assert lines[0] == repr(float(np.float32(float(lines[0]))))


def test_json_keys_and_values(cli):
    # relu at (−1, 2): values (0, 2), derivative (0, 1).
    obj = _json(cli, "relu", "--x", "-1,2")
    assert list(obj) == ["act", "dtype", "value", "grad", "derivative", "shape", "params"]
    assert obj == {"act": "relu", "dtype": "float64", "value": [0.0, 2.0],
                   "grad": {"x": [0.0, 1.0]}, "derivative": [0.0, 1.0], "shape": {"x": [2]},
                   "params": {}}


def test_json_softmax_has_the_jacobian_and_the_upstream_shape(cli):
    # softmax(0, 0) = (½, ½); J = diag(p) − p·pᵀ = [[¼, −¼], [−¼, ¼]]; u = (1, 0):
    # x.grad = uᵀJ = (¼, −¼).
    obj = _json(cli, "softmax", "--x", "0,0", "--upstream", "1,0")
    assert list(obj) == ["act", "dtype", "value", "grad", "jacobian", "shape", "params"]
    assert obj["value"] == [0.5, 0.5]
    assert obj["jacobian"] == [[0.25, -0.25], [-0.25, 0.25]]
    assert obj["grad"]["x"] == [0.25, -0.25]
    assert obj["shape"] == {"x": [2], "upstream": [2]} and obj["params"] == {"dim": -1}


def test_json_params_hold_the_defaults(cli):
    assert _json(cli, "softplus", "--x", "1")["params"] == {"beta": 1.0, "threshold": 20.0}
    assert _json(cli, "gelu", "--x", "1", "--approximate", "tanh")["params"] == {
        "approximate": "tanh"}


def test_json_explain_has_steps(cli):
    obj = _json(cli, "sigmoid", "--x", "0", "--explain")
    assert obj["steps"] == [{"text": "σ = 1 / (1 + exp(−x))", "value": 0.5},
                            {"text": "σ′ = σ·(1 − σ)", "value": 0.25}]


def test_csv_rows(cli):
    # tanh(0) = 0, tanh′(0) = 1; with u = 2: x.grad = 2.
    code, out, _ = cli("act", "tanh", "--x", "0,0", "--upstream", "2,3", "-f", "csv")
    assert out.splitlines() == ["index,x,value,derivative,u,x.grad", "0,0.0,0.0,1.0,2.0,2.0",
                                "1,0.0,0.0,1.0,3.0,3.0"]
    code, out, _ = cli("act", "softmax", "--x", "0,0; 1,1", "-f", "csv")
    assert out.splitlines()[:2] == ["index0,index1,x,value,x.grad", "0,0,0.0,0.5,0.0"]


def test_table(cli):
    code, out, _ = cli("act", "softmax", "--x", "0,0", "-f", "table", "--no-color")
    assert code == 0
    for text in ("softmax  torch.softmax (dim=-1) · float64", "Values and gradient",
                 "Jacobian ∂y_i/∂x_j", "−0.25"):
        assert text in out, text


def test_table_truncates_long_inputs(cli):
    code, out, _ = cli("act", "relu", "--range", "-1:1", "-f", "table", "--no-color")
    assert "… 80 more" in out


@pytest.mark.parametrize("fmt, text", [("markdown", "$\\sigma ' = \\sigma \\cdot (1 - \\sigma )$"),
                                       ("latex", "\\begin{align*}")])
def test_markdown_and_latex(cli, fmt, text):
    code, out, _ = cli("act", "sigmoid", "--x", "1", "-f", fmt)
    assert code == 0 and text in out


def test_expect(cli):
    assert cli("act", "sigmoid", "--x", "0", "--expect", "0.5")[0] == 0
    code, _, err = cli("act", "sigmoid", "--x", "0", "--expect", "0.6")
    assert code == 1 and "expectation failed" in err


def test_aliases_and_spellings(cli):
    for name in ("Sigmoid", "logistic", "LeakyReLU", "leaky_relu", "swish", "LogSoftmax"):
        assert cli("act", name, "--x", "1,2")[0] == 0, name


@pytest.mark.parametrize("args, code, fragment", [
    (["sigmod", "--x", "1"], 2, "unknown activation 'sigmod'"),
    (["sigmoid"], 2, "act needs --x"),
    (["sigmoid", "--x", "1", "--range", "0:1"], 2, "not both"),
    # --range is read by plot's parser, --num is the hidden former name of --points
    (["sigmoid", "--range", "0-1"], 2, "--range: expected A:B"),
    (["sigmoid", "--x", "1", "--num", "5"], 2, "--points goes with --range"),
    (["sigmoid", "--x", "1", "--points", "5"], 2, "--points goes with --range"),
    (["sigmoid", "--range", "0:1", "--num", "0"], 2, "--num"),
    (["sigmoid", "--range", "0:1", "--points", "3", "--num", "3"], 2, "give --points once"),
    (["sigmoid", "--range", "1:1"], 2, "A and B must differ"),
    (["leaky-relu", "--x", "1", "--slope", "x"], 2, "--slope must be a number, got 'x'"),
    (["sigmoid", "--x", "1", "--alpha", "2"], 2, "sigmoid has no parameter --alpha"),
    (["softplus", "--x", "1", "--beta", "0"], 2, "must not be 0"),
    (["gelu", "--x", "1", "--approximate", "erf"], 2, "--approximate"),
    (["sigmoid", "--x", "1,a"], 3, "expected a number at index [1], got 'a'"),
    (["sigmoid", "--x", "nan"], 3, "NaN"),
    (["sigmoid", "--x", "1,2", "--upstream", "1,2,3"], 3, "--upstream has shape (3,)"),
    (["softmax", "--x", "1,2", "--dim", "1"], 3, "--dim 1 is out of range"),
    (["softmax", "--x", "1"], 3, "at least one"),
    (["sigmoid", "--x", "@/nonexistent.npy"], 4, "cannot read"),
])
def test_errors_and_exit_codes(cli, args, code, fragment):
    rc, out, err = cli("act", *args)
    assert rc == code, err
    assert out == "" and "Traceback" not in err
    assert err.startswith("losscalc: error: ") and fragment in err.splitlines()[0], err


def test_unknown_activation_suggests_the_closest(cli):
    _, _, err = cli("act", "sigmod", "--x", "1")
    assert "hint: did you mean 'sigmoid'?" in err


def test_help_lists_every_activation(cli):
    code, out, _ = cli("act", "--help")
    assert code == 0
    for name, spec in activations.ACTIVATIONS.items():
        assert name in out and spec.formula.split(" ")[0] in out


def test_help_examples_run(cli):
    for spec in activations.ACTIVATIONS.values():
        args = shlex.split(spec.example)
        assert args[:3] == ["losscalc", "act", spec.name]
        assert cli(*args[1:])[0] == 0, spec.example


def test_large_softmax_leaves_the_jacobian_out(cli):
    code, out, err = cli("act", "softmax", "--range", "0:1", "--num", str(activations.JACOBIAN_MAX + 1),
                         "--json")
    assert json.loads(out)["jacobian"] is None and "left out" in err


def test_upstream_from_stdin(cli):
    code, out, _ = cli("act", "tanh", "--x", "0,0", "--upstream", "-", "--json", stdin="2 3")
    assert json.loads(out)["grad"]["x"] == [2.0, 3.0]
