"""`losscalc compare`: several losses on the same tensors. Expected values come from
tests/data/seed-examples.json (torch_float64, by id) or are derived by hand in a comment."""

from __future__ import annotations

import json

import pytest
from conftest import assert_close, load

from losscalc.losses import all_losses

SEEDS = {e["id"]: e for e in load("seed-examples.json")}
SECTION2 = ["loss", "reduction", "dtype", "value", "elementwise", "grad", "shape", "params"]
# 002-l1 / 002-mse / 002-smoothl1: input [4.5, 5, 2], target [3, 5, 2.5]; residuals 1.5, 0, −0.5
PRED, TARGET = "4.5,5,2", "3,5,2.5"
REGRESSION = ("compare", "l1,mse,huber", "--pred", PRED, "--target", TARGET)
# per element: l1 |r| = 1.5, 0, 0.5; mse r² = 2.25, 0, 0.25; huber (δ = 1) r²/2 if |r| ≤ 1 else
# |r| − ½ = 1, 0, 0.125. Gradients of the means (n = 3): l1 sign(r)/3; mse 2r/3; huber
# clip(r, −1, 1)/3.
ELEMENTWISE = {"l1": [1.5, 0, 0.5], "mse": [2.25, 0, 0.25], "huber": [1.0, 0, 0.125]}
GRAD = {"l1": [1 / 3, 0, -1 / 3], "mse": [1.0, 0, -1 / 3], "huber": [1 / 3, 0, -0.5 / 3]}


def test_json_is_a_list_of_section2_objects_in_the_order_given(cli):
    code, out, err = cli(*REGRESSION, "--json")
    assert (code, err) == (0, "")
    objs = json.loads(out)
    assert [o["loss"] for o in objs] == ["l1", "mse", "huber"]
    for o in objs:
        assert list(o) == SECTION2
        assert o["reduction"] == "mean" and o["dtype"] == "float64"
        assert o["shape"] == {"pred": [3], "target": [3]}
        assert_close(o["elementwise"], ELEMENTWISE[o["loss"]])
        assert_close(o["grad"]["pred"], GRAD[o["loss"]])
    assert_close(objs[0]["value"], SEEDS["002-l1"]["torch_float64"])
    assert_close(objs[1]["value"], SEEDS["002-mse"]["torch_float64"])
    # huber with δ = 1 is smooth-l1 with β = 1
    assert_close(objs[2]["value"], SEEDS["002-smoothl1"]["torch_float64"])
    assert objs[2]["params"] == {"delta": 1.0}


def test_each_object_is_what_the_loss_command_prints(cli):
    _, out, _ = cli(*REGRESSION, "--json")
    for obj in json.loads(out):
        _, single, _ = cli(obj["loss"], "--pred", PRED, "--target", TARGET, "--json")
        assert obj == json.loads(single)


def test_plain_is_one_line_per_loss(cli):
    code, out, _ = cli(*REGRESSION)
    assert code == 0
    names, values = zip(*(line.split("\t") for line in out.splitlines()))
    assert names == ("l1", "mse", "huber")
    assert [float(v) for v in values] == [SEEDS["002-l1"]["torch_float64"],
                                          SEEDS["002-mse"]["torch_float64"],
                                          SEEDS["002-smoothl1"]["torch_float64"]]


def test_plain_with_reduction_none_puts_the_values_on_the_loss_line(cli):
    _, out, _ = cli(*REGRESSION, "--reduction", "none", "--format", "plain")
    rows = [line.split("\t") for line in out.splitlines()]
    assert [r[0] for r in rows] == ["l1", "mse", "huber"]
    for r in rows:
        assert_close([float(v) for v in r[1:]], ELEMENTWISE[r[0]])


def test_csv_puts_each_loss_and_gradient_side_by_side(cli):
    code, out, _ = cli(*REGRESSION, "--format", "csv")
    assert code == 0
    header, *rows = out.splitlines()
    assert header == "index,pred,target,l1,l1.grad,mse,mse.grad,huber,huber.grad"
    table = [[float(v) for v in row.split(",")] for row in rows]
    assert [r[0] for r in table] == [0, 1, 2]
    assert_close([r[1] for r in table], [4.5, 5, 2])
    assert_close([r[2] for r in table], [3, 5, 2.5])
    for k, name in enumerate(("l1", "mse", "huber")):
        assert_close([r[3 + 2 * k] for r in table], ELEMENTWISE[name])
        assert_close([r[4 + 2 * k] for r in table], GRAD[name])


def test_table_shows_values_then_the_elements(cli):
    code, out, _ = cli(*REGRESSION, "--format", "table", "--no-color")
    assert code == 0
    assert out.startswith("compare  reduction mean · float64\n")
    assert "Values" in out and "Per-element losses and gradients (∂ = ∂value/∂pred)" in out
    assert "∂huber" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert rows["l1"] == ["0.666667"] and rows["mse"] == ["0.833333"]
    assert rows["huber"] == ["0.375", "delta=1"]


def test_classification_losses_on_the_same_logits(cli):
    seed = SEEDS["003-ce-mean"]
    logits, target = json.dumps(seed["inputs"]["input"]), "1,2"
    code, out, err = cli("compare", "ce,nll", "--pred", logits, "--target", target, "--json")
    assert code == 0
    ce, nll = json.loads(out)
    assert_close(ce["value"], seed["torch_float64"])
    assert_close(ce["elementwise"], SEEDS["003-ce-per-sample"]["torch_float64"])
    # nll reads the logits as log-probabilities: −(x[0,1] + x[1,2])/2 = −(0.5 + 3)/2
    assert_close(nll["value"], -1.75)
    assert_close(nll["grad"]["pred"], [[0, -0.5, 0], [0, 0, -0.5]])
    assert "note: nll: --log-probs has positive values" in err  # notes name their loss


def test_class_axis_table_has_a_gradient_grid_per_loss(cli):
    code, out, _ = cli("compare", "ce,nll", "-p", "-1,0.5,2; -1,0.5,3", "-t", "1,2",
                       "-f", "table", "--no-color", "-q")
    assert code == 0
    assert "Per-sample losses" in out
    assert "ce: gradient ∂value/∂pred" in out and "nll: gradient" in out


def test_class_axis_csv_has_a_gradient_column_per_class(cli):
    _, out, _ = cli("compare", "ce,nll", "-p", "-1,0.5,2; -1,0.5,3", "-t", "1,2", "-f", "csv",
                    "-q")
    assert out.splitlines()[0] == ("index,target,ce,ce.grad0,ce.grad1,ce.grad2,"
                                   "nll,nll.grad0,nll.grad1,nll.grad2")
    assert len(out.splitlines()) == 3


def test_different_per_element_shapes_show_the_gradients(cli):
    # ce gives one loss per row, bce-logits one per element: the gradients share pred's shape
    code, out, _ = cli("compare", "ce,bce-logits", "--logits", "1,2,3; 0,0,1", "-t",
                       "0,0,1; 1,0,0", "-f", "csv", "-q")
    assert code == 0
    header, *rows = out.splitlines()
    assert header == "index0,index1,pred,target,ce.grad,bce-logits.grad"
    assert len(rows) == 6


def test_parameters_go_to_the_losses_that_take_them(cli):
    code, out, _ = cli("compare", "huber,smooth-l1,l1", "-p", "1,3", "-t", "0,0",
                       "--delta", "2", "--beta", "0.5", "--json")
    assert code == 0
    huber, smooth, l1 = json.loads(out)
    # huber δ = 2: 0.5·1² = 0.5; 2·(3 − 1) = 4; mean 2.25
    assert huber["params"] == {"delta": 2.0} and huber["value"] == 2.25
    # smooth-l1 β = 0.5: 1 − 0.25 = 0.75; 3 − 0.25 = 2.75; mean 1.75
    assert smooth["params"] == {"beta": 0.5} and smooth["value"] == 1.75
    assert l1["params"] == {} and l1["value"] == 2.0  # (1 + 3)/2


def test_tensor_parameter_from_stdin(cli):
    # ce with weight [1, 2]: rows (z = [1, 2], y = 1) and (z = [3, 4], y = 0);
    # ℓ0 = ln(e + e²) − 2, ℓ1 = ln(e³ + e⁴) − 3; mean = (2ℓ0 + ℓ1)/(2 + 1)
    import math

    l0 = math.log(math.e + math.e ** 2) - 2
    l1 = math.log(math.e ** 3 + math.e ** 4) - 3
    code, out, _ = cli("compare", "ce", "-p", "1,2; 3,4", "-t", "1,0", "--weight", "-",
                       "--json", stdin="1,2")
    assert code == 0
    assert_close(json.loads(out)[0]["value"], (2 * l0 + l1) / 3)


def test_every_registry_parameter_is_an_option(cli):
    code, out, _ = cli("compare", "--help")
    assert code == 0
    for spec in all_losses().values():
        for p in spec.params:
            assert p.option in out, p.option


@pytest.mark.parametrize("args,code,message", [
    (["msx,l1", "-p", "1", "-t", "1"], 2, "unknown loss 'msx'"),
    ([",", "-p", "1", "-t", "1"], 2, "compare needs losses separated by commas"),
    (["l1,mse,l1", "-p", "1", "-t", "1"], 2, "l1 is listed twice"),
    (["mse,l2", "-p", "1", "-t", "1"], 2, "mse is listed twice ('l2' is another name for it)"),
    (["l1,mse", "-p", "1"], 2, "compare needs --pred and --target"),
    (["ce,mse", "--logits", "1,2", "-t", "1"], 2, "mse does not fit --logits: its "
                                                   "prediction is --pred"),
    (["ce", "--logits", "1", "--pred", "1", "-t", "0"], 2,
     "give the prediction once, not as --pred, --logits"),
    (["l1,mse", "-p", "1", "-t", "1", "--delta", "2"], 2,
     "--delta is a parameter of none of l1, mse"),
    (["kl,mse", "-p", "1", "-t", "1", "-r", "batchmean"], 2,
     "mse has no reduction 'batchmean'"),
    (["l1,mse", "-p", "1", "-t", "1", "--explain"], 2, "no such option: --explain"),
    (["l1,mse", "-p", "-", "-t", "-"], 2, "only one option may read standard input"),
    (["l1,ce", "-p", "1,2; 3,4", "-t", "1,5"], 3,
     "ce does not fit these tensors: class index 5 at --target index [1] is out of range"),
    (["l1,bce", "-p", "0.5,2", "-t", "1,0"], 3, "bce does not fit these tensors: --probs "
                                                 "must lie in [0, 1]"),
    (["l1,mse", "-p", "1,x", "-t", "1,2"], 3, "--pred: expected a number at index [1], got 'x'"),
    (["l1,mse", "-p", "@missing.npy", "-t", "1"], 4, "cannot read 'missing.npy'"),
])
def test_errors_are_one_line_with_their_exit_code(cli, args, code, message):
    got, out, err = cli("compare", *args)
    assert got == code and out == ""
    first = err.splitlines()[0]
    assert first.startswith("losscalc: error: ") and message in first, err
    assert all(line.startswith("hint: ") for line in err.splitlines()[1:])


def test_quiet_silences_the_notes(cli):
    args = ("compare", "ce,nll", "-p", "-1,0.5,2; -1,0.5,3", "-t", "1,2")
    assert "note: " in cli(*args)[2]
    assert cli(*args, "-q")[2] == ""


def test_nll_takes_probabilities_as_its_command_does(cli):
    """nll --probs Q is −ln q_y (the tutorials' form): compare, the loss command and the
    library answer it alike; −ln 0.5 = ln 2."""
    import math

    import losscalc

    code, out, err = cli("compare", "nll", "--probs", "0.2,0.5,0.3", "-t", "1", "-f", "plain")
    assert (code, out) == (0, f"nll\t{math.log(2)!r}\n"), err
    code, out, _ = cli("nll", "--probs", "0.2,0.5,0.3", "-t", "1")
    assert out == f"{math.log(2)!r}\n"
    assert losscalc.compute("nll", probs=[0.2, 0.5, 0.3], target=1).value == math.log(2)
    code, _, err = cli("compare", "nll,ce", "--probs", "0.2,0.5,0.3", "-t", "1")
    assert code == 2 and "ce does not fit --probs" in err  # ce applies softmax itself
