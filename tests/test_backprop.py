"""`losscalc backprop`: the tutorials' 2-2-2 network weight by weight against PyTorch autograd
(the seed examples 002-bp-… and tests/data/golden_act.json), gradients against central
differences, the chain rule as --explain writes it (every equation re-multiplied from the
numbers it shows), the half-sse factor, and the command line.

Expected numbers come from the torch data or from hand derivations in the comments.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import assert_close, assert_latex_compiles, load, needs_pdflatex
from test_tape import evaluate_text, reevaluate

from losscalc.backprop import forward_backward, network, train
from losscalc.commands.backprop import explain

GOLDEN = load("golden_act.json")["backprop"]
SEEDS = {e["id"]: e for e in load("seed-examples.json")}
DTYPES = ("float64", "float32")


def _json(cli, *args):
    code, out, err = cli("backprop", *args, "--json")
    assert code == 0, err
    return json.loads(out)


# ---------------------------------------------------------------------------------------------
# The tutorials' example, from the command line


@pytest.mark.parametrize("dtype", DTYPES)
def test_forward_pass_seed(cli, dtype):
    # 002-bp-forward: [h1, h2, l3, o1, l4, o2] = out_h1, out_h2, net_o1, out_o1, net_o2, out_o2.
    f = _json(cli, "--dtype", dtype)["forward"]
    ours = [*f["out_h"], f["net_o"][0], f["out_o"][0], f["net_o"][1], f["out_o"][1]]
    assert_close(ours, SEEDS["002-bp-forward"][f"torch_{dtype}"], dtype)


@pytest.mark.parametrize("loss", ["mse", "half-sse"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_loss_seed(cli, dtype, loss):
    # 002-bp-loss: MSELoss(mean) over 2 outputs = ½·(e1² + e2²) = 0.2983711087600027; the
    # tutorial's 0.32193 drops the ½ of its second term.
    e = SEEDS["002-bp-loss"]
    code, out, _ = cli("backprop", "--loss", loss, "--dtype", dtype)
    assert_close(float(out), e[f"torch_{dtype}"], dtype)
    assert abs(float(out) - e["stated"]) > 0.02


@pytest.mark.parametrize("dtype", DTYPES)
def test_weight_gradients_seed(cli, dtype):
    obj = _json(cli, "--dtype", dtype)
    w1, w2 = np.ravel(obj["grad"]["w1"]), np.ravel(obj["grad"]["w2"])
    assert_close(w2, SEEDS["002-bp-manual-grads-w5-w8"][f"torch_{dtype}"], dtype, "w5…w8")
    e = SEEDS["002-bp-manual-grads-w1-w4"]
    assert_close(w1, e[f"torch_{dtype}"], dtype, "w1…w4")
    # The tutorial's hidden-layer formula (σ applied twice) is about 5% off; ours is not.
    text = np.asarray(e["grads"]["text_formula"][dtype])
    assert np.all(np.abs(w1 - text) / w1 > 0.04)


@pytest.mark.parametrize("dtype", DTYPES)
def test_every_gradient_seed(cli, dtype):
    grads = SEEDS["002-bp-linear-grads"]["grads"]
    obj = _json(cli, "--dtype", dtype)
    for ours, theirs in (("w1", "linear1.weight.grad"), ("b1", "linear1.bias.grad"),
                         ("w2", "linear2.weight.grad"), ("b2", "linear2.bias.grad")):
        assert_close(obj["grad"][ours], grads[theirs][dtype], dtype, ours)
    assert_close(obj["value"], SEEDS["002-bp-linear-grads"][f"torch_{dtype}"], dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("key, lr", [("002-bp-sgd-lr0.1", "0.1"), ("002-bp-sgd-lr0.01", "0.01")])
def test_sgd_step_seed(cli, key, lr, dtype):
    # p ← p − lr·∂E/∂p; the tutorial's biases are (1, 2) tensors: compare flattened.
    grads = SEEDS[key]["grads"]
    after = _json(cli, "--lr", lr, "--dtype", dtype)["sgd"][0]["params"]
    for ours, theirs in (("w1", "linear1.weight"), ("b1", "linear1.bias"),
                         ("w2", "linear2.weight"), ("b2", "linear2.bias")):
        expected = np.asarray(grads[f"{theirs}.after_step"][dtype])
        assert_close(np.reshape(after[ours], expected.shape), expected, dtype, ours)


def test_seed_inputs_as_the_tutorial_writes_them(cli):
    # 002-bp-sgd-lr0.1: input (1, 2), target (1, 2), biases assigned as (1, 2) tensors.
    e = SEEDS["002-bp-sgd-lr0.1"]
    i = e["inputs"]
    args = [f"--{ours}={json.dumps(np.reshape(i[theirs], shape).tolist())}"
            for ours, theirs, shape in (("x", "input", (1, 2)), ("w1", "W1", (2, 2)),
                                        ("b1", "b1", (1, 2)), ("w2", "W2", (2, 2)),
                                        ("b2", "b2", (1, 2)), ("target", "target", (1, 2)))]
    obj = _json(cli, *args, "--lr", "0.1")
    assert_close(obj["value"], e["torch_float64"])
    assert_close(obj["sgd"][0]["params"]["b1"], np.ravel(e["grads"]["linear1.bias.after_step"]
                                                         ["float64"]))


# ---------------------------------------------------------------------------------------------
# PyTorch on other networks, activations, losses and several steps


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", GOLDEN, ids=lambda c: f"{c['case']}-{c['activation']}-"
                                                      f"{c['loss']}-lr{c['lr']}x{c['steps']}")
def test_training_matches_pytorch(case, dtype):
    r = train(network(**case["net"]), case["activation"], case["loss"], case["lr"],
              case["steps"], dtype)
    assert len(r.steps) == len(case[dtype]) == case["steps"]
    for k, (ours, ref) in enumerate(zip(r.steps, case[dtype])):
        assert_close(ours.loss, ref["loss"], dtype, f"loss before step {k + 1}")
        for key in ("w1", "b1", "w2", "b2"):
            assert_close(ours.grads[key], ref["grad"][key], dtype, f"∂E/∂{key}, step {k + 1}")
            assert_close(ours.params[key], ref["params"][key], dtype, f"{key} after {k + 1}")
    first = r.first
    for key, nodes in (("net_h", first.net_h), ("out_h", first.out_h), ("net_o", first.net_o),
                       ("out_o", first.out_o)):
        assert_close([n.value for n in nodes], case[dtype][0]["forward"][key], dtype, key)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("loss", ["mse", "half-sse"])
def test_gradients_match_central_differences(activation, loss):
    rng = np.random.default_rng(11)
    net = network(x=rng.normal(0, 1, 3), w1=rng.normal(0, 1, (4, 3)), b1=rng.normal(0, 1, 4),
                  w2=rng.normal(0, 1, (2, 4)), b2=rng.normal(0, 1, 2),
                  target=rng.uniform(0, 1, 2))
    grads = forward_backward(net, activation, loss).param_grads()
    for key in ("w1", "b1", "w2", "b2"):
        numeric = np.zeros_like(grads[key])
        for index in np.ndindex(*numeric.shape):
            values = []
            for sign in (1, -1):
                p = getattr(net, key).copy()
                p[index] += sign * 1e-6
                values.append(float(forward_backward(net._replace(**{key: p}), activation,
                                                     loss).loss.value))
            numeric[index] = (values[0] - values[1]) / 2e-6
        assert np.allclose(grads[key], numeric, rtol=1e-6, atol=1e-9), key


def test_mse_and_half_sse_agree_for_two_outputs_only():
    net = network()
    assert train(net, loss="mse").value == train(net, loss="half-sse").value
    three = network(x=[1.0], w1=[[0.5]], b1=0, w2=[[1.0], [2.0], [-1.0]], b2=0,
                    target=[0.1, 0.2, 0.3])
    # MSE divides by 3, ½Σ by 2: they differ, and a note says so.
    assert train(three, loss="mse").value != train(three, loss="half-sse").value
    assert "agree only for 2 outputs" in train(three, loss="mse").notes[0]


def test_several_steps_lower_the_loss(cli):
    obj = _json(cli, "--steps", "5", "--lr", "0.5")
    losses = [s["loss"] for s in obj["sgd"]]
    assert len(losses) == 5 and losses == sorted(losses, reverse=True)
    assert losses[0] == obj["value"]


# ---------------------------------------------------------------------------------------------
# The chain rule, as a student reads it


def _text(*args, **kwargs):
    return explain(train(network(), *args, **kwargs)).text()


def test_explain_output_weight_w5_by_hand():
    # ∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5 with
    #   ∂E/∂out_o1 = 2·(out_o1 − t1)/2 = 0.751365 − 0.01 = 0.741365 (MSELoss over 2 outputs),
    #   ∂out_o1/∂net_o1 = out_o1·(1 − out_o1) = 0.751365·0.248635 = 0.186816,
    #   ∂net_o1/∂w5 = out_h1 = 0.59327;
    # product 0.741365·0.186816·0.59327 = 0.082167 (torch: 0.08216704056423077).
    text = _text()
    assert ("∂E/∂w5 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 · ∂net_o1/∂w5 = 0.741365·0.186816·0.59327 "
            "= 0.082167") in text
    assert "∂E/∂out_o1 = 2·(0.751365 − 0.01) / 2 = 0.741365" in text
    assert "∂out_o1/∂net_o1 = 0.751365·(1 − 0.751365) = 0.186816" in text


def test_explain_hidden_weight_w1_by_hand():
    # δ_o1 = 0.741365·0.186816 = 0.138499, δ_o2 = (0.772928 − 0.99)·0.772928·0.227072 =
    # −0.217072·0.17551 = −0.0380982; ∂E/∂out_h1 = δ_o1·w5 + δ_o2·w7 = 0.138499·0.4 −
    # 0.0380982·0.5 = 0.0363503; ∂out_h1/∂net_h1 = 0.59327·0.40673 = 0.241301 (not
    # σ(0.59327)·(1 − σ(0.59327)) = 0.229231, the tutorial's slip); ∂net_h1/∂w1 = i1 = 0.05;
    # ∂E/∂w1 = 0.0363503·0.241301·0.05 = 0.000438568 (torch: 0.0004385677344743467).
    text = _text()
    for line in ("δ_o1 = ∂E/∂net_o1 = ∂E/∂out_o1 · ∂out_o1/∂net_o1 = 0.741365·0.186816 = "
                 "0.138499",
                 "∂E/∂out_h1 = δ_o1·w5 + δ_o2·w7 = 0.138499·0.4 + (−0.0380982)·0.5 = 0.0363503",
                 "∂out_h1/∂net_h1 = 0.59327·(1 − 0.59327) = 0.241301",
                 "∂E/∂w1 = ∂E/∂out_h1 · ∂out_h1/∂net_h1 · ∂net_h1/∂w1 = "
                 "0.0363503·0.241301·0.05 = 0.000438568",
                 "σ is not applied again"):
        assert line in text, line
    assert "0.229231" not in text


def test_explain_forward_pass_and_update_by_hand():
    # net_h1 = 0.15·0.05 + 0.2·0.1 + 0.35 = 0.3775, out_h1 = 1/(1 + e^−0.3775) = 0.59327;
    # new w5 = 0.4 − 0.1·0.082167 = 0.391783 (torch: 0.39178329594357697).
    text = _text()
    assert "net_h1 = 0.15·0.05 + 0.2·0.1 + 0.35 = 0.3775" in text
    assert "out_h1 = 1 / (1 + exp(−0.3775)) = 0.59327" in text
    assert "new w5 = w5 − lr·∂E/∂w5 = 0.4 − 0.1·0.082167 = 0.391783" in text


def test_explain_half_sse_shows_the_half_on_every_term():
    # E = ½·((t1 − o1)² + (t2 − o2)²) = ½·(0.741365² + 0.217072²) = 0.298371;
    # ∂E/∂out_o1 = ½·2·(out_o1 − t1) = 0.741365.
    text = _text(loss="half-sse")
    assert "E = 0.5·((t1 − out_o1)² + (t2 − out_o2)²)" not in text  # shown with numbers:
    assert "E = 0.5·((0.01 − 0.751365)² + (0.99 − 0.772928)²) = 0.298371" in text
    assert "∂E/∂out_o1 = 0.5·2·(0.751365 − 0.01) = 0.741365" in text
    assert "the ½ multiplies every term" in text
    assert "--loss mse and --loss half-sse agree" in text


def test_explain_local_derivatives_of_the_other_activations():
    # tanh: ∂out/∂net = 1 − out²; relu: 1 where net > 0 (every net here is positive).
    text = _text("tanh")
    assert "∂out_h1/∂net_h1 = 1 − " in text and "σ is not applied again" not in text
    assert "∂out_h1/∂net_h1 = 1\n" in _text("relu")


_EQUATION = re.compile(r"^(∂E/∂\S+|δ_o\d+ = ∂E/∂net_o\d+) = .* = ([−\d.e()·]+) = ([−\d.e]+)$")


def _number(text):
    return float(text.replace("−", "-").strip("()"))


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_every_chain_rule_line_multiplies_out(activation):
    # Each "… = a·b·c = r" line: the product of the numbers shown is the result shown (to the
    # 6 digits shown), and that result is the gradient in the JSON.
    result = train(network(), activation)
    text = explain(result).text()
    lines = [ln.strip() for ln in text.splitlines() if _EQUATION.match(ln.strip())]
    assert len(lines) == 2 + 12  # two δ and every weight and bias
    grads = {n.name: float(result.first.grad(n)) for n in
             [*sum(result.first.w1, []), *result.first.b1, *sum(result.first.w2, []),
              *result.first.b2]}
    for line in lines:
        factors, shown = _EQUATION.match(line).groups()[1:]
        product = np.prod([_number(f) for f in factors.split("·")])
        assert product == pytest.approx(_number(shown), rel=2e-5, abs=1e-12), line
        name = line.split(" = ")[0].removeprefix("∂E/∂")
        if name in grads:
            assert _number(shown) == pytest.approx(grads[name], rel=1e-5, abs=1e-12), line


def test_every_recorded_step_reevaluates():
    for activation in ("sigmoid", "tanh", "relu"):
        for loss in ("mse", "half-sse"):
            for step in forward_backward(network(), activation, loss).tape.steps:
                assert np.allclose(reevaluate(step.node), step.value, rtol=1e-12), step.formula
                assert np.allclose(evaluate_text(step), step.value, rtol=1e-12), step.formula


# ---------------------------------------------------------------------------------------------
# The command line


def test_plain_is_the_loss(cli):
    assert cli("backprop") == (0, "0.2983711087600027\n", "")


def test_json_keys(cli):
    obj = _json(cli)
    assert list(obj) == ["network", "activation", "loss", "dtype", "value", "forward", "grad",
                         "sgd", "params"]
    assert obj["network"] == [2, 2, 2] and obj["params"]["b1"] == [0.35, 0.35]
    assert obj["params"]["lr"] == 0.1 and obj["sgd"][0]["step"] == 1


def test_json_explain_steps(cli):
    obj = _json(cli, "--explain")
    texts = [s["text"] for s in obj["steps"]]
    assert texts[0] == "net_h1 = w1·i1 + w2·i2 + b_h1" and "∂E/∂w5" in texts
    assert obj["steps"][texts.index("∂E/∂w5")]["value"] == obj["grad"]["w2"][0][0]


def test_csv(cli):
    code, out, _ = cli("backprop", "-f", "csv", "--steps", "2")
    lines = out.splitlines()
    assert lines[0] == "param,value,grad,after_step_1,after_step_2" and len(lines) == 13
    # w5: 0.4 − 0.1·0.0821670405642307 = 0.3917832959435769 after the first step.
    assert lines[7].startswith("w5,0.4,0.0821670405642307")
    assert lines[7].split(",")[3].startswith("0.391783295943576")


def test_table(cli):
    code, out, _ = cli("backprop", "-f", "table", "--no-color", "--steps", "2")
    for text in ("backprop  2-2-2 network · sigmoid · loss mse · lr 0.1 · float64",
                 "value 0.298371", "Forward pass", "Gradients and SGD", "after step 1",
                 "after step 2", "E before the step"):
        assert text in out, text
    code, out, _ = cli("backprop", "-f", "table", "--no-color", "--steps", "9")
    assert "after step 1" in out and "after step 9" in out and "after step 2" not in out


def test_other_sizes_and_options(cli):
    # One input, one hidden relu neuron, one output: net_h = 2·1 + 0 = 2, out_h = 2;
    # net_o = 0.5·2 + 0 = 1 = out_o; E = (1 − 0.5)² = 0.25 (MSELoss over 1 output).
    code, out, _ = cli("backprop", "--x", "1", "--w1", "[[2]]", "--b1", "0", "--w2", "[[0.5]]",
                       "--b2", "0", "--target", "0.5", "--activation", "relu")
    assert float(out) == 0.25


@pytest.mark.parametrize("args, code, fragment", [
    (["--w1", "1,2,3"], 3, "--w1 has shape (3,)"),
    (["--w1", "1,2,3; 4,5,6"], 3, "--w1 has shape (2, 3)"),
    (["--b1", "1,2,3"], 3, "--b1 has shape (3,)"),
    (["--x", "1,2; 3,4"], 3, "--x must be one sample"),
    (["--w2", "1,2,3; 4,5,6"], 3, "--w2 has 3 columns but --w1 has 2 rows"),
    (["--w2", "1,2; 3,4; 5,6"], 3, "--w2 has shape (3, 2)"),
    (["--x", "nan"], 3, "NaN"),
    (["--activation", "gelu"], 2, "--activation"),
    (["--loss", "ce"], 2, "--loss"),
    (["--lr", "-1"], 2, "--lr"),
    (["--steps", "0"], 2, "--steps"),
])
def test_errors(cli, args, code, fragment):
    rc, out, err = cli("backprop", *args)
    assert rc == code, err
    assert out == "" and err.startswith("losscalc: error: ") and fragment in err, err


def test_expect(cli):
    assert cli("backprop", "--expect", "0.2983711")[0] == 0
    assert cli("backprop", "--expect", "0.32193")[0] == 1


# ---------------------------------------------------------------------------------------------
# The three commands together


def test_commands_are_listed_in_the_help(cli):
    code, out, _ = cli("--help")
    for name in ("act", "info", "backprop"):
        assert re.search(rf"^  {name} ", out, re.M), name


@needs_pdflatex
def test_latex_compiles(tmp_path, cli):
    body = []
    for args in (["backprop"], ["act", "gelu", "--x", "-1,1", "--approximate", "tanh"],
                 ["act", "softmax", "--x", "1,2; 3,1", "--upstream", "1,0; 0,1"],
                 ["act", "leaky-relu", "--x", "0,2"], ["info", "js", "--p", "0.5,0.5",
                                                       "--q", "0.9,0.1", "--base", "2"],
                 ["info", "entropy", "--p", "1,0", "--base", "10"]):
        code, out, _ = cli(*args, "--format", "latex", "-q")
        assert code == 0
        assert not re.search(r"[−·²³ℓΣσεδβ∂≠∞…′ᵀ½√₂₁₀→ακπτΦφ]", out.replace("$", "")), args
        body.append(out)
    assert_latex_compiles(tmp_path, body)
