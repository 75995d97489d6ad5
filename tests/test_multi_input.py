"""Losses of several tensors through the command line, batch and the core: options generated
per tensor, JSON "grad"/"shape" keyed by option name (docs/contract.md §7), CSV columns per
gradient, and CTC's α recursion against a hand computation. Every expected number is derived in a comment."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from losscalc.core import compute
from losscalc.errors import InvalidData

RANKING = ["margin-ranking", "--x1", "0.8,0.2,0.5", "--x2", "0.3,0.6,0.5", "-t", "1,-1,1",
           "--margin", "0.1"]
# ℓ = max(0, −y·(x1 − x2) + 0.1): [max(0, −0.5 + 0.1), max(0, −0.4 + 0.1), max(0, 0 + 0.1)]
# = [0, 0, 0.1]; mean 0.1/3. Only the third is on the slope: ∂/∂x1 = −y/3, ∂/∂x2 = y/3.
RANKING_VALUE = 0.1 / 3


def test_json_keys_each_gradient_and_shape_by_option_name(cli):
    code, out, err = cli(*RANKING, "--json")
    assert code == 0, err
    obj = json.loads(out)
    assert list(obj["grad"]) == ["x1", "x2"]
    assert list(obj["shape"]) == ["x1", "x2", "target"]
    assert math.isclose(obj["value"], RANKING_VALUE, rel_tol=1e-15)
    assert np.allclose(obj["grad"]["x1"], [0, 0, -1 / 3], atol=1e-16)
    assert np.allclose(obj["grad"]["x2"], [0, 0, 1 / 3], atol=1e-16)


def test_csv_has_a_gradient_column_per_tensor(cli):
    code, out, _ = cli(*RANKING, "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "index,loss,grad_x1,grad_x2"
    last = [float(v) for v in lines[3].split(",")]
    assert last[0] == 2 and math.isclose(last[1], 0.1, rel_tol=1e-12)
    assert math.isclose(last[2], -1 / 3) and math.isclose(last[3], 1 / 3)


def test_table_shows_every_tensor_and_a_gradient_table_for_rows(cli):
    code, out, _ = cli("cosine-embedding", "--x1", "1,0; 0,1", "--x2", "1,1; 1,0", "-t", "1,-1",
                       "--format", "table", "--no-color")
    assert code == 0
    assert "Gradient ∂value/∂x1" in out and "Gradient ∂value/∂x2" in out
    # Pair 0: cos 45° = 1/√2, ℓ = 1 − 1/√2 = 0.292893; pair 1 orthogonal: max(0, 0 − 0) = 0;
    # the mean is 0.146447.
    assert "0.146447" in out and "0.292893" in out


def test_gaussian_nll_by_hand():
    # ℓ = ½(ln v + d²/v): d = (−0.5, 0, 1), v = (0.5, 1, 2) → ½(ln ½ + ½), 0, ½(ln 2 + ½);
    # ∂ℓ/∂μ = d/v = (−1, 0, ½); ∂ℓ/∂v = ½(1/v − d²/v²) = (½(2 − 1), ½, ½(½ − ¼)).
    r = compute("gaussian-nll", {"pred": [1, 2, 3], "target": [1.5, 2, 2], "var": [0.5, 1, 2]},
                reduction="sum")
    half_ln2 = 0.5 * math.log(2)
    assert np.allclose(r.elementwise, [-half_ln2 + 0.25, 0, half_ln2 + 0.25], rtol=1e-15)
    assert np.allclose(r.grad["pred"], [-1, 0, 0.5], rtol=1e-15)
    assert np.allclose(r.grad["var"], [0.5, 0.5, 0.125], rtol=1e-15)


def test_gaussian_nll_variance_below_eps_keeps_its_gradient():
    # v = max(0, ε) = ε = 1e-6, d = 1: ∂ℓ/∂var = ½(1/ε − 1/ε²) though var was clamped (PyTorch
    # clamps without tracking the gradient).
    r = compute("gaussian-nll", {"pred": [1.0], "target": [0.0], "var": [0.0]}, reduction="sum")
    eps = 1e-6
    assert math.isclose(r.grad["var"][0], 0.5 * (1 / eps - 1 / eps**2), rel_tol=1e-12)


def test_gaussian_nll_refuses_a_negative_variance(cli):
    code, _, err = cli("gaussian-nll", "-p", "1,2", "-t", "1,2", "--var", "1,-0.5")
    assert code == 3 and "--var" in err and "-0.5" in err and "[1]" in err


# CTC by hand: T = 2, C = 2 (blank 0), target "1". The alignments of l′ = (0, 1, 0) are
# 11, 01, 10, so p(l|x) = p₀(1)p₁(1) + p₀(0)p₁(1) + p₀(1)p₁(0) = .6·.3 + .4·.3 + .6·.7 = 0.72.
CTC_P = [[0.4, 0.6], [0.7, 0.3]]


def _ctc(reduction="mean", **params):
    return compute("ctc", {"pred": np.log(CTC_P), "target": [1]}, params=params,
                   reduction=reduction)


def test_ctc_value_is_minus_log_of_the_alignment_sum():
    r = _ctc()
    assert math.isclose(float(r.value), -math.log(0.72), rel_tol=1e-14)


def test_ctc_gradient_is_pytorchs_logit_gradient_by_hand():
    # PyTorch's gradient: p_t(c) − Σ_{s: l′ₛ = c} αₜ(s)βₜ(s) / (p(l|x)·p_t(c)).
    # α₀ = (.4, .6, 0), α₁ = (.28, .3, .42); β₀ = (.4·.3, .6·(.3 + .7), .4·.7), β₁ = (0, .3, .7).
    # t = 0: blank .4 − (.4·.12/.4)/.72 = .4 − 1/6; label .6 − (.6·.6/.6)/.72 = .6 − 5/6.
    # t = 1: blank .7 − (.42·.7/.7)/.72 = .7 − 7/12; label .3 − (.3·.3/.3)/.72 = .3 − 5/12.
    expected = [[0.4 - 1 / 6, 0.6 - 5 / 6], [0.7 - 7 / 12, 0.3 - 5 / 12]]
    assert np.allclose(_ctc("sum").grad["pred"], expected, rtol=0, atol=1e-15)


def test_ctc_explain_shows_the_alpha_table(cli):
    code, out, _ = cli("ctc", "--log-probs", json.dumps(np.log(CTC_P).tolist()), "-t", "1",
                       "--explain", "--format", "plain")
    assert code == 0
    assert "α_0 = [0.4, 0.6, 0]" in out and "α_1 = [0.28, 0.3, 0.42]" in out
    assert "l′ = (0, 1, 0)" in out and "= 0.72" in out


def test_ctc_mean_divides_by_each_target_length():
    # Two sequences of the same log-probs: target lengths 1 and 2 ("1" and "11" with T = 2 is
    # impossible: "11" needs a blank between, 3 steps), so use "1" twice with lengths 1 and 0:
    # length 0 means the empty label sequence, p = p₀(0)p₁(0) = .28, ℓ = −ln .28, divided by
    # max(0, 1) = 1. mean = (−ln .72 / 1 − ln .28 / 1) / 2.
    lp = np.log(np.array(CTC_P))[:, None, :].repeat(2, axis=1)
    r = compute("ctc", {"pred": lp, "target": [[1], [1]], "target_lengths": [1, 0]})
    assert math.isclose(float(r.value), (-math.log(0.72) - math.log(0.28)) / 2, rel_tol=1e-14)


def test_ctc_impossible_alignment_is_inf_or_zero_with_zero_infinity():
    # "11" in 2 steps needs 3 (a blank between the repeats): no alignment, p = 0.
    impossible = {"pred": np.log(CTC_P), "target": [1, 1]}
    assert compute("ctc", impossible).value == math.inf
    r = compute("ctc", impossible, params={"zero_infinity": True})
    assert r.value == 0 and not r.grad["pred"].any()


def test_ctc_check_grad_passes_through_log_softmax(cli):
    code, _, err = cli("ctc", "--log-probs", json.dumps(np.log(CTC_P).tolist()), "-t", "1",
                       "--check-grad")
    assert code == 0 and "gradient check passed" in err


@pytest.mark.parametrize("args, fragment", [
    (["ctc", "--log-probs", "1,2;3,4", "-t", "1"], "should be log_softmax outputs"),
    (["ctc", "--log-probs", "-0.69,-0.69;-0.69,-0.69", "-t", "0"], "contain the blank"),
])
def test_ctc_notes(cli, args, fragment):
    code, _, err = cli(*args)
    assert code == 0 and fragment in err


@pytest.mark.parametrize("args, fragment", [
    (["ctc", "--log-probs", "-0.69,-0.69;-0.69,-0.69", "-t", "2"], "out of range for 2 classes"),
    (["ctc", "--log-probs", "[[[-0.69,-0.69]]]", "-t", "1,1"], "give --target-lengths"),
    (["ctc", "--log-probs", "-0.69,-0.69", "-t", "1"], "(T, C)"),
    (["ctc", "--log-probs", "-0.69,-0.69;-0.69,-0.69", "-t", "1", "--input-lengths", "3"],
     "at most 2"),
    (["ctc", "--log-probs", "-0.69,-0.69;-0.69,-0.69", "-t", "1.5"], "must be integers"),
    (["triplet", "--anchor", "1,2", "--positive", "1,2", "--negative", "1"], "dimensions"),
    (["cosine-embedding", "--x1", "1,2", "--x2", "1,2", "-t", "1,1"], "of 2 dimensions"),
])
def test_invalid_data_is_named(cli, args, fragment):
    code, out, err = cli(*args)
    assert code == 3 and out == "" and fragment in err and len(err.splitlines()) <= 2


def test_missing_tensor_names_its_option_and_shows_an_example(cli):
    code, _, err = cli("triplet", "--anchor", "1,2", "--positive", "1,2")
    assert code == 2 and "triplet needs --negative" in err and "hint: for example" in err


def test_tables_are_for_single_prediction_losses_only(cli):
    code, _, err = cli("margin-ranking", "--csv", "data.csv")
    assert code == 2 and "--csv" in err


def test_one_tensor_may_come_from_stdin(cli):
    code, out, _ = cli(*[("-" if a == "0.3,0.6,0.5" else a) for a in RANKING],
                       stdin="0.3,0.6,0.5\n")
    assert code == 0 and math.isclose(float(out), RANKING_VALUE, rel_tol=1e-15)


def test_help_lists_every_tensor_option(cli):
    code, out, _ = cli("triplet", "--help")
    for option in ("--anchor", "--positive", "--negative", "--margin", "--p", "--eps",
                   "--swap"):
        assert option in out


def test_batch_takes_tensors_by_name(cli):
    line = json.dumps({"loss": "margin-ranking", "x1": [0.8, 0.2, 0.5], "x2": [0.3, 0.6, 0.5],
                       "target": [1, -1, 1], "params": {"margin": 0.1}, "id": "r"})
    code, out, _ = cli("batch", "-", stdin=line + "\n")
    obj = json.loads(out)
    assert code == 0 and obj["id"] == "r" and list(obj["grad"]) == ["x1", "x2"]
    assert math.isclose(obj["value"], RANKING_VALUE, rel_tol=1e-15)


def test_batch_names_a_missing_tensor(cli):
    code, out, _ = cli("batch", "-", stdin='{"loss": "triplet", "anchor": [1, 2]}\n')
    assert code == 2 and "missing field 'positive'" in out


def test_compare_refuses_a_loss_of_several_tensors(cli):
    code, _, err = cli("compare", "mse,triplet", "-p", "1", "-t", "2")
    assert code == 2 and "triplet takes --anchor" in err


def test_core_refuses_an_unknown_tensor():
    with pytest.raises(Exception) as err:
        compute("mse", {"pred": [1], "target": [1], "x1": [2]})
    assert "takes no tensor 'x1'" in str(err.value)


def test_margin_ranking_needs_equal_dimensions():
    with pytest.raises(InvalidData):
        compute("margin-ranking", {"x1": [1.0], "x2": [1.0], "target": [[1.0]]})


def test_ctc_check_grad_of_an_infinite_log_prob_warns_nothing(cli):
    """--check-grad maps CTC's log-probs through log_softmax first; an infinite input maps to
    nan there, which the check reports in its one line, with no NumPy warning on stderr (found
    by the multi-input fuzz)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would end the call as an internal error
        code, out, err = cli("ctc", "--log-probs", ";1E309", "--target", "0", "--blank", "0",
                             "--check-grad", "-q")
    assert code == 1 and out == "nan\n", err
    assert err.startswith("losscalc: gradient check failed") and len(err.splitlines()) == 1
