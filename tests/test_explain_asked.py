"""Explanations learners asked for (issue 13 item 7): rows of a matrix are labelled rows, kl's
batchmean on one distribution says what it divides by, backprop shows where a tutorial's
larger E comes from."""

from __future__ import annotations

import pytest


def test_a_matrix_is_explained_row_by_row(cli):
    code, out, _ = cli("mse", "-p", "1,2;3,4", "-t", "1,1;1,1", "--explain", "-f", "plain")
    assert code == 0
    assert "row 0:" in out and "row 1:" in out and "element 0:" not in out
    code, out, _ = cli("mse", "-p", "1,2", "-t", "1,1", "--explain", "-f", "plain")
    assert "element 0:" in out and "element 1:" in out


def test_kl_batchmean_of_one_distribution_says_what_it_divides_by(cli):
    # PyTorch: kl_div(input of shape (3,), …, reduction='batchmean') divides by input.size(0)
    # = 3, the number of classes.
    code, out, _ = cli("kl", "--log-probs=-1.2,-0.5,-1.6", "-t", "0.2,0.5,0.3", "-r",
                       "batchmean", "--explain", "-f", "plain")
    assert code == 0
    assert "N = 3: for one 1-D distribution that is its number of classes, not 1" in out
    code, out, _ = cli("kl", "--log-probs=-1.2,-0.5,-1.6;-1,-1,-1.4", "-t",
                       "0.2,0.5,0.3;0.3,0.3,0.4", "-r", "batchmean", "--explain", "-f", "plain")
    assert "batch size N = 2" in out and "number of classes" not in out


def test_backprop_shows_where_the_tutorials_032193_comes_from(cli):
    # The tutorial's network: outputs 0.75136507, 0.77292847 against targets 0.01, 0.99;
    # its code 0.5*(o1-0.01)**2 + (o2-0.99)**2 gives 0.32193113 (its stated loss):
    # 0.5*0.74136507**2 = 0.27481108, 0.21707153**2 = 0.04712005, sum 0.32193113.
    code, out, _ = cli("backprop", "--explain", "-f", "plain")
    assert code == 0
    assert "(operator precedence)" in out and "= 0.321931, not E" in out


def _branches(cli, *args) -> list[str]:
    code, out, _ = cli(*args, "--explain", "-f", "plain")
    assert code == 0
    return [line.strip() for line in out.splitlines() if line.strip().startswith("branch:")]


def test_huber_shows_the_branch_each_element_took(cli):
    # d = x − y = 1.5, 0, −0.5 against δ = 1: |1.5| ≥ 1 is linear, δ(|d| − ½δ) = 1;
    # |0| and |−0.5| are < 1, quadratic ½d² (PyTorch's test is |d| < δ).
    assert _branches(cli, "huber", "-p", "4.5,5,2", "-t", "3,5,2.5", "--delta", "1") == [
        "branch: |1.5| < 1 is false, so not |d| < δ → δ·(|d| − 0.5·δ)",
        "branch: |0| < 1 is true, so |d| < δ → 0.5·d²",
        "branch: |−0.5| < 1 is true, so |d| < δ → 0.5·d²"]


def test_smooth_l1_names_beta(cli):
    # d = 0.3 − 0 = 0.3 < β = 0.5: ½d²/β; d = 2 ≥ 0.5: |d| − ½β.
    assert _branches(cli, "smooth-l1", "-p", "0.3,2", "-t", "0,0", "--beta", "0.5") == [
        "branch: |0.3| < 0.5 is true, so |d| < β → 0.5·d² / β",
        "branch: |2| < 0.5 is false, so not |d| < β → |d| − 0.5·β"]


def test_l1_at_zero_says_the_subgradient_is_zero(cli):
    # d = 0 for the first two elements: torch.sign(0) = 0 is L1Loss's gradient there.
    lines = _branches(cli, "l1", "-p", "1,2,3", "-t", "1,2,5")
    assert lines == ["branch: d = 0, the kink of |d|: PyTorch's gradient there is sign(0) = 0"] * 2


def test_a_hinge_says_whether_it_is_active(cli):
    # margin-ranking, margin 0.1: −y·(x1 − x2) + margin = −0.5 + 0.1 = −0.4 (inactive),
    # −(−1)·(−0.4) + 0.1 = −0.3 (inactive), −1·0 + 0.1 = 0.1 (active).
    lines = _branches(cli, "margin-ranking", "--x1", "0.8,0.2,0.5", "--x2", "0.3,0.6,0.5",
                      "-t", "1,-1,1", "--margin", "0.1")
    assert lines[0].startswith("branch: −y·d + margin = −0.4 ≤ 0, so")
    assert lines[0].endswith("= 0 (inactive: no gradient)")
    assert lines[1].startswith("branch: −y·d + margin = −0.3 ≤ 0")
    assert lines[2].startswith("branch: −y·d + margin = 0.1 > 0") and "active: the gradient" \
        in lines[2]
    # At the kink (x1 − x2 = 0, margin 0) clamp_min's backward still passes the gradient.
    lines = _branches(cli, "margin-ranking", "--x1", "0.5", "--x2", "0.5", "-t", "1")
    assert lines == ["branch: −y·d + margin = 0, the kink of max(−y·d + margin, 0): PyTorch "
                     "passes the gradient there"]


def test_multi_margin_names_the_classes_that_count(cli):
    # Row 0, y = 3: z_c = 1 − x_3 + x_c = 0.3, 0.4, 0.6 for c = 0, 1, 2 (all > 0), c = 3 is y.
    lines = _branches(cli, "multi-margin", "-p", "0.1,0.2,0.4,0.8", "-t", "3")
    assert "branch: z > 0 and c ≠ y holds at index 0, 1, 2; fails at index 3" in lines


def test_relu_at_zero_takes_the_zero_branch(cli):
    # torch.relu's backward at 0 is 0: the test is x > 0.
    lines = _branches(cli, "act", "relu", "--x", "-1,0,2")
    assert lines == ["branch: −1 > 0 is false, so not x > 0 → 0",
                     "branch: 0 > 0 is false, so not x > 0 → 0",
                     "branch: 2 > 0 is true, so x > 0 → 1"]


@pytest.mark.parametrize("logit, shown, not_shown", [
    # x = 3, y = 0: σ(3) = 1/(1 + e^−3) = 0.952574126822; the textbook −ln(1 − σ(3)) and the
    # stable max(x, 0) − x·y + ln(1 + e^−|x|) = 3 + ln(1 + e^−3) = 3.04858735157 agree.
    ("3", ["σ(x) = 1 / (1 + exp(−3)) = 0.952574",
           "ℓ_σ = −(0·ln(0.952574) + (1 − 0)·ln(1 − 0.952574)) = 3.04859",
           "ℓ_σ = ℓ: the same value", "never forms exp(−x) of a large |x|"],
     ["the textbook form overflows"]),
    # x = 40, y = 0: σ(40) = 1 − 4.2e−18 is 1 in float64, so ln(1 − σ) = ln 0 = −∞; the
    # stable form gives 40 + ln(1 + e^−40) = 40.
    ("40", ["ℓ_σ = −(0·ln(1) + (1 − 0)·ln(1 − 1)) = ∞",
            "the textbook form overflows; the stable form gives ℓ = 40"],
     ["ℓ_σ = ℓ: the same value"]),
], ids=["moderate", "overflow"])
def test_bce_logits_shows_sigma_and_the_textbook_form(cli, logit, shown, not_shown):
    code, out, _ = cli("bce-logits", "--logits", logit, "--target", "0", "--explain", "-f",
                       "plain")
    assert code == 0
    for line in shown:
        assert line in out
    for line in not_shown:
        assert line not in out


def test_the_textbook_form_is_the_computed_value():
    """ℓ_σ, built from the tape's primitives, equals the stable ℓ wherever σ(x) is not within
    rounding of 0 or 1 (|x| ≤ 10 here: σ(−10) = 1 − σ(10) = 4.5e−5 keeps 11 digits), for both
    losses that show it."""
    import numpy as np

    from losscalc.core import compute

    x = np.linspace(-10, 10, 41)
    y = (np.arange(41) % 3) / 2  # 0, 0.5, 1: soft targets too
    for loss, pred, target, stable in (("bce-logits", x, y, "ℓ"),
                                       ("multilabel-soft-margin", x.reshape(41, 1),
                                        y.reshape(41, 1), "ℓ_c")):
        steps = {s.name: s.value for s in compute(loss, pred, target, reduction="none").steps}
        assert np.allclose(steps["ℓ_σ"], steps[stable], rtol=1e-9, atol=0)
        # and σ(x) is 1/(1 + e^−x) computed independently
        assert np.allclose(steps["σ(x)"].ravel(), [1 / (1 + np.exp(-v)) for v in x], rtol=1e-12)
