"""The losses PyTorch lacks (docs/zoo.md) against reference values that
scripts/make_golden_zoo.py computed independently of losscalc (tests/data/golden_zoo.json: the
formulas of docs/zoo.md in 50-digit mpmath, gradients by high-precision central differences;
focal from torch autograd of torchvision's formula), plus worked examples derived by hand and
Keras' edge rules."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import as_array, assert_close, load

from losscalc.core import compute

CASES = load("golden_zoo.json")["cases"]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_matches_reference(case):
    target = case["inputs"]["target"]  # None: the loss's default target (info-nce's diagonal)
    r = compute(case["loss"], as_array(case["inputs"]["pred"]),
                None if target is None else as_array(target), case["params"],
                case["reduction"], case["dtype"])
    assert_close(r.value, case["value"], case["dtype"], "value")
    assert_close(r.elementwise, case["elementwise"], case["dtype"], "elementwise")
    assert_close(r.grad["pred"], case["grad"]["pred"], case["dtype"], "grad")


def value(loss, pred, target, reduction="mean", **params):
    return compute(loss, np.asarray(pred, float), np.asarray(target, float), params,
                   reduction)


# --- worked examples, by hand ----------------------------------------------------------------


def test_focal_worked_example():
    # x = 0, y = 1: p = 0.5, ce = ln 2, p_t = 0.5, (1 − p_t)² = 0.25, α_t = 0.25:
    # ℓ = 0.25·0.25·ln 2 = 0.0433216987…; x = 0, y = 0: p_t = 0.5, α_t = 0.75: ℓ = 3× that.
    r = value("focal", [0.0, 0.0], [1.0, 0.0], "none")
    assert r.elementwise.tolist() == pytest.approx([0.0625 * math.log(2), 0.1875 * math.log(2)],
                                                   rel=1e-15)


def test_log_cosh_worked_example():
    # d = 1 − 0 = 1 and d = −2: (ln cosh 1 + ln cosh 2)/2 = (0.4337808 + 1.3250027)/2.
    r = value("log-cosh", [1.0, -2.0], [0.0, 0.0])
    assert float(r.value) == pytest.approx((math.log(math.cosh(1)) + math.log(math.cosh(2))) / 2,
                                           rel=1e-15)
    # No overflow for large |d|: ln cosh 1000 = 1000 − ln 2.
    assert float(value("log-cosh", [1000.0], [0.0]).value) == pytest.approx(1000 - math.log(2),
                                                                             rel=1e-15)


def test_mape_worked_example_and_zero_target():
    # |100 − 110|/100 = 0.1, |50 − 45|/50 = 0.1, |4 − 3|/4 = 0.25: 100·0.45/3 = 15 (percent).
    assert float(value("mape", [110, 45, 3], [100, 50, 4]).value) == pytest.approx(15.0)
    # y = 0: divided by ε = 1e-7, so |0 − 1|/1e-7 = 1e7, ×100 = 1e9.
    r = value("mape", [1.0], [0.0])
    assert float(r.value) == pytest.approx(1e9) and any("1e-7" in n for n in r.notes)


def test_msle_clamps_below_epsilon_with_zero_gradient():
    # ŷ = −0.5 and 0 are clamped to 1e-7: ln(1 + 1e-7)² against y = 1e-7 (also clamped) is 0.
    # ŷ = e − 1, y = 0 (→ 1e-7): (1 − ln(1 + 1e-7))² / 3 for the mean over 3.
    r = value("msle", [-0.5, 0.0, math.e - 1], [0.0, 0.0, 0.0], "sum")
    assert float(r.value) == pytest.approx((1 - math.log1p(1e-7)) ** 2 / 3, rel=1e-14)
    assert r.grad["pred"][:2].tolist() == [0.0, 0.0]


def test_poisson_worked_example():
    # ŷ = 2, y = 3: 2 − 3·ln(2 + 1e-7); ŷ = 1, y = 0: 1. Mean over the last axis of 2.
    r = value("poisson", [2.0, 1.0], [3.0, 0.0])
    assert float(r.value) == pytest.approx((2 - 3 * math.log(2 + 1e-7) + 1) / 2, rel=1e-15)


def test_poisson_rejects_negative_rates():
    from losscalc.errors import InvalidData

    with pytest.raises(InvalidData, match="rates"):
        value("poisson", [-1.0, 1.0], [0.0, 1.0])


def test_hinge_maps_01_labels_only_when_every_target_is_01():
    # 0/1 labels → ±1: y = (1, −1), ŷ = (0.5, 0.5): max(1 − 0.5, 0) + max(1 + 0.5, 0) = 2 → 1.
    assert float(value("hinge", [0.5, 0.5], [1.0, 0.0]).value) == 1.0
    # ±1 given directly: the same.
    assert float(value("hinge", [0.5, 0.5], [1.0, -1.0]).value) == 1.0
    # A label 2 among them: nothing is mapped, y = (1, 0, 2): (0.5 + 1 + 0)/3 = 0.5.
    assert float(value("hinge", [0.5, 0.5, 0.5], [1.0, 0.0, 2.0]).value) == pytest.approx(0.5)
    # squared: (0.5² + 1.5²)/2 = 1.25.
    assert float(value("squared-hinge", [0.5, 0.5], [1.0, 0.0]).value) == 1.25


def test_one_dimensional_input_is_one_keras_sample():
    assert value("hinge", [0.5, 0.5], [1.0, 0.0], "none").elementwise.shape == ()
    assert value("hinge", [[0.5], [0.5]], [[1.0], [0.0]], "none").elementwise.shape == (2,)


def test_categorical_hinge_worked_example():
    # ŷ = (1, 1.5, 0.1), class 0: pos = 1, neg = max(0, 1.5, 0.1) = 1.5: 1.5 − 1 + 1 = 1.5.
    # ŷ = (−1, −2, −3), class 0: neg = max(0, −2, −3) = 0 (the true class's 0 counts):
    # max(0 − (−1) + 1, 0) = 2.
    r = value("categorical-hinge", [[1, 1.5, 0.1], [-1, -2, -3]], [0, 0], "none")
    assert r.elementwise.tolist() == [1.5, 2.0]
    onehot = value("categorical-hinge", [[1, 1.5, 0.1]], [[1.0, 0.0, 0.0]], "none")
    assert onehot.elementwise.tolist() == [1.5]


def test_quantile_worked_example():
    # q = 0.9: u = 2.5 − 2 = 0.5 → 0.45; u = 2 − 3 = −1 → 0.1; u = 7 − 5 = 2 → 1.8.
    r = value("quantile", [2, 3, 5], [2.5, 2, 7], "none", q=0.9)
    assert r.elementwise.tolist() == pytest.approx([0.45, 0.1, 1.8], rel=1e-14)


def test_cosine_similarity_worked_example_and_zero_vector():
    # (1, 2, 3)·(1, 2, 2) = 11, ‖·‖ = √14 and 3: −11/(3√14) = −0.97995788…; (0, 1, 0) ⟂ (1, 0, 0).
    r = value("cosine-similarity", [[1, 2, 3], [0, 1, 0]], [[1, 2, 2], [1, 0, 0]], "none")
    assert r.elementwise.tolist() == pytest.approx([-11 / (3 * math.sqrt(14)), 0.0], abs=1e-15)
    # A zero vector is divided by ε = 1e-7 instead of 0: similarity 0, not nan.
    zero = value("cosine-similarity", [[0, 0, 0]], [[1, 2, 2]], "none")
    assert zero.elementwise.tolist() == [0.0] and any("zero vectors" in n for n in zero.notes)
    # Its gradient is that of x/ε: −v/ε = −(1, 2, 2)/3 / 1e-7.
    assert zero.grad["pred"][0].tolist() == pytest.approx([-1e7 / 3, -2e7 / 3, -2e7 / 3])


def test_dice_pools_the_batch():
    # Σyx = 0.9 + 0.7 + 0.1 = 1.7, Σy = 3, Σx = 1.9: 1 − 3.4/(4.9 + 1e-7).
    r = value("dice", [[0.9, 0.2], [0.7, 0.1]], [[1, 0], [1, 1]], "none")
    assert r.elementwise.shape == () and float(r.value) == pytest.approx(1 - 3.4 / (4.9 + 1e-7),
                                                                         rel=1e-15)


def test_tversky_alpha_weighs_false_positives():
    # TP = 1.7, FP = Σ(1 − y)x = 0.2, FN = Σy(1 − x) = 0.1 + 0.3 + 0.9 = 1.3.
    # α = 0.3 on FP, β = 0.7 on FN (PR #23333): 1 − 1.7/(1.7 + 0.06 + 0.91 + 1e-7).
    p, y = [[0.9, 0.2], [0.7, 0.1]], [[1, 0], [1, 1]]
    r = value("tversky", p, y, alpha=0.3, beta=0.7)
    assert float(r.value) == pytest.approx(1 - 1.7 / (1.7 + 0.06 + 0.91 + 1e-7), rel=1e-14)
    # α = β = 0.5 is Dice, up to where ε sits: TP/(½(Σx + Σy) + ε) = 2TP/(Σx + Σy + 2ε).
    assert float(value("tversky", p, y).value) == pytest.approx(1 - 3.4 / (4.9 + 2e-7),
                                                                rel=1e-15)


def test_poly1_worked_example():
    # z = (0, 0), class 0: p = (½, ½), ce = ln 2, 1 − p_t = ½: ℓ = ln 2 + 2·½ = ln 2 + 1.
    r = value("poly1", [0.0, 0.0], 0, "none")
    assert float(r.elementwise) == pytest.approx(math.log(2) + 1, rel=1e-15)
    # ε = 0 is cross entropy.
    ce = value("ce", [[2.0, 1.0, 0.1]], [0], "none").elementwise
    assert value("poly1", [[2.0, 1.0, 0.1]], [0], "none", epsilon=0.0).elementwise.tolist() \
        == pytest.approx(ce.tolist(), rel=1e-15)


def test_categorical_focal_worked_example_and_clip():
    # z = (0, 0), class 1: p = ½, ℓ = −0.25·(1 − ½)²·ln ½ = 0.0625·ln 2.
    r = value("categorical-focal", [0.0, 0.0], 1, "none")
    assert float(r.elementwise) == pytest.approx(0.0625 * math.log(2), rel=1e-15)
    # z = (40, −40), class 1: softmax e^−80 is clipped to 1e-7: ℓ = −0.25·(1 − 1e-7)²·ln 1e-7,
    # and no gradient flows through the clipped probabilities.
    c = value("categorical-focal", [40.0, -40.0], 1, "none")
    assert float(c.elementwise) == pytest.approx(-0.25 * (1 - 1e-7) ** 2 * math.log(1e-7),
                                                 rel=1e-15)
    assert c.grad["pred"].tolist() == [0.0, 0.0] and any("clipped" in n for n in c.notes)


def test_generalized_ce_worked_example():
    # p_y = 0.25 (class 1 of (0.5, 0.25, 0.25)), q = 0.5: (1 − √0.25)/0.5 = 1.
    r = value("generalized-ce", [0.5, 0.25, 0.25], 1, "none")
    assert float(r.elementwise) == pytest.approx(1.0, rel=1e-15)
    # ∂ℓ/∂p_y = −p_y^(q − 1) = −0.25^−0.5 = −2.
    assert r.grad["pred"].tolist() == pytest.approx([0.0, -2.0, 0.0])


def test_contrastive_worked_example():
    # m = 1: similar d = 0.3 → ½·0.09 = 0.045; dissimilar d = 0.8 → ½·0.2² = 0.02;
    # dissimilar d = 1.5 beyond the margin → 0.
    r = value("contrastive", [0.3, 0.8, 1.5], [1, 0, 0], "none")
    assert r.elementwise.tolist() == pytest.approx([0.045, 0.02, 0.0], rel=1e-14)
    # ∂ℓ/∂d = y·d − (1 − y)·max(m − d, 0) = (0.3, −0.2, 0).
    assert r.grad["pred"].tolist() == pytest.approx([0.3, -0.2, 0.0], rel=1e-14)


def test_sparsemax_worked_example():
    # z = (1.5, 1, −1): the top two are in the support, τ = (1.5 + 1 − 1)/2 = 0.75, so
    # p* = (0.75, 0.25, 0). Class 0: ℓ = 0.75·0 + 0.25·(1 − 1.5) + ½(1 − 0.625) = 0.0625.
    r = value("sparsemax", [1.5, 1.0, -1.0], 0, "none")
    assert float(r.elementwise) == pytest.approx(0.0625, rel=1e-15)
    assert r.grad["pred"].tolist() == pytest.approx([-0.25, 0.25, 0.0])  # p* − onehot
    # p* one-hot at the target: loss 0.
    assert float(value("sparsemax", [5.0, 0.0, 0.0], 0).value) == 0.0


def test_info_nce_worked_example_and_diagonal_default():
    # s = [[1, 0], [0, 1]], τ = 0.5: s/τ = [[2, 0], [0, 2]], positives on the diagonal:
    # ℓ = ln(e² + 1) − 2 = ln(1 + e^−2) = 0.126928… for both rows.
    s = [[1.0, 0.0], [0.0, 1.0]]
    r = compute("info-nce", np.asarray(s), None, {"temperature": 0.5}, "none")
    assert r.elementwise.tolist() == pytest.approx([math.log1p(math.exp(-2))] * 2, rel=1e-15)
    explicit = value("info-nce", s, [0, 1], "none", temperature=0.5)
    assert explicit.elementwise.tolist() == r.elementwise.tolist()


def test_info_nce_target_is_optional_on_the_command_line(cli):
    code, out, err = cli("info-nce", "-p", "1,0; 0,1", "--temperature", "0.5")
    assert code == 0 and float(out) == pytest.approx(math.log1p(math.exp(-2)), rel=1e-15)
    code, out, err = cli("info-nce", "-p", "1,0,0; 0,1,0")  # not square: needs --target
    assert code == 3 and "diagonal" in err and out == ""
    # Other losses still require --target.
    code, out, err = cli("mse", "-p", "1,2")
    assert code == 2 and "mse needs --target" in err


def test_losses_that_pool_rows_are_not_streamed(cli, tmp_path, monkeypatch):
    # dice pools the whole table and a Keras loss averages a one-column prediction as one
    # sample: chunk by chunk would be wrong, so a large table is refused; a small one is
    # computed at once, also with per-row (csv) output.
    from losscalc import csvsource
    from losscalc import streaming as stream

    path = tmp_path / "t.csv"
    path.write_text("pred,target\n" + "".join(f"0.{i % 9 + 1},{i % 2}\n" for i in range(60)))
    code, out, err = cli("dice", "--csv", path, "-r", "sum", "-f", "csv")
    assert code == 0 and len(out.splitlines()) == 2  # header and the one pooled value
    monkeypatch.setattr(csvsource, "CHUNK_BYTES", 64)
    monkeypatch.setattr(stream, "IN_MEMORY_VALUES", 8)
    for loss in ("dice", "mape"):
        code, out, err = cli(loss, "--csv", path)
        assert code == 2 and out == "" and "pools rows" in err
    # A loss with one value per row still streams.
    code, out, err = cli("quantile", "--csv", path, "--q", "0.9")
    assert code == 0 and "streamed 60 rows" in err


@pytest.mark.parametrize("loss, pred, target, message", [
    ("contrastive", [-1.0, 2.0], [1.0, 0.0], "distances, which must be >= 0"),
    ("contrastive", [1.0, 2.0], [2.0, 0.0], "must lie in [0, 1]"),
    ("sparsemax", [[1.0, 2.0], [3.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]], "class indices of shape"),
    ("sparsemax", [[[1.0, 2.0]]], [[0.0]], "(C) or (N, C)"),
    ("info-nce", [[1.0, 2.0]], [2.0], "out of range"),
    ("categorical-hinge", [[1.0, 2.0]], [0.0, 1.0], "class indices of shape (1,)"),
    ("focal", [1.0, 2.0], [1.0, 2.0], "must lie in [0, 1]"),
])
def test_invalid_inputs_are_one_line_data_errors(loss, pred, target, message):
    from losscalc.errors import InvalidData

    with pytest.raises(InvalidData) as err:
        value(loss, pred, target)
    assert message in err.value.message and err.value.exit_code == 3


def test_batch_problem_may_leave_out_an_optional_target(cli):
    import json

    lines = ('{"loss": "info-nce", "pred": [[1, 0], [0, 1]], "params": {"temperature": 0.5}}\n'
             '{"loss": "mse", "pred": [1, 2]}\n')
    code, out, err = cli("batch", stdin=lines)
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["value"] == pytest.approx(math.log1p(math.exp(-2)), rel=1e-15)
    assert second["error"] == "missing field 'target'" and code == 2
