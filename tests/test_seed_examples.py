"""The tutorials' worked examples (tests/data/seed-examples.json, each checked against
PyTorch) for the ten losses of the foundation: we compare with the `torch_float64` and
`torch_float32` values, not with the tutorials' rounded (and sometimes wrong) `stated` ones.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_close, load

from losscalc.core import compute
from losscalc.errors import InvalidData

SEEDS = {e["id"]: e for e in load("seed-examples.json")}
BCE_TABLE = ("logits", "labels")


def _log(values):
    return np.log(np.asarray(values, dtype=float))


# id → (loss, pred, target, params, reduction); pred/target taken from the example's inputs.
def _calls(e):
    i, p = e["inputs"], e["params"]
    red = p.get("reduction", "mean")
    if red == "elementwise_mean":  # the pre-1.0 spelling of "mean" (004-ce-elementwise-mean)
        red = "mean"
    op = e["op"]
    if op.startswith(("nn.L1Loss", "nn.MSELoss", "nn.SmoothL1Loss")) and "input" in i:
        loss = {"nn.L1": "l1", "nn.MS": "mse", "nn.Sm": "smooth-l1"}[op[:5]]
        params = {"beta": p["beta"]} if "beta" in p else {}
        return [(loss, i["input"], i["target"], params, red)]
    if e["id"] in ("001-ce-a", "001-ce-b"):  # one loss per target class k
        return [("ce", i["input"], [k], {}, red) for [k] in i["target"]]
    if op.startswith("nn.CrossEntropyLoss") and "input" in i:
        return [("ce", i["input"], i["target"], {}, red)]
    if op.startswith("nn.BCELoss"):
        return [("bce", i["input"], i["target"], {}, red)]
    if op.startswith("nn.BCEWithLogitsLoss"):
        params = {"weight": p["weight"]} if p.get("weight") else {}
        return [("bce-logits", i["logits"], i["labels"], params, red)]
    if op.startswith("nn.MultiLabelSoftMarginLoss"):
        params = {"weight": p["weight"]} if p.get("weight") else {}
        return [("multilabel-soft-margin", i["logits"], i["labels"], params, red)]
    if op.startswith("nn.CrossEntropyLoss") and p.get("target_kind") == "probabilities":
        return [("ce", i["logits"], i["labels"], {}, red)]
    if e["id"] == "003-fmnist-ce":  # NLLLoss on log(q) for one unbatched sample
        return [("nll", _log(i["q"]), i["p_onehot_class"], {}, red)]
    if op.startswith("nn.NLLLoss(") and "pred" in i:  # NLLLoss on torch.log(pred)
        return [("nll", _log(i["pred"]), i["target"], {}, red)]
    return None


# Examples that concern the ten losses but have no valid value: the tool must refuse them.
INVALID = {
    # targets 2 and 3 outside [0, 1]: torch 2.13 raises "all elements of target should be
    # between 0 and 1"; the tutorial's -13.8155 came from a legacy formula.
    "001-bce": ("bce", [[1.0, 1.0], [1.0, 1.0]], [[0.0, 1.0], [2.0, 3.0]]),
    # NLLLoss2d on a 2x2 input with a 2x2 float target: torch raises (multi-target).
    "001-nllloss2d": ("nll", [[1.0, 1.0], [1.0, 1.0]], [[0.0, 1.0], [2.0, 3.0]]),
}
COVERED = {k: c for k, e in SEEDS.items() if k not in INVALID and (c := _calls(e))}


def test_every_foundation_example_is_covered():
    # Every example computed by one of the ten torch.nn losses on given numbers (the 002-bp
    # examples are the backprop network's MSE: they belong to `losscalc backprop`).
    foundation = [k for k, e in SEEDS.items() if "Loss" in e["op"] and not k.startswith("002-bp")]
    missing = [k for k in foundation if k not in COVERED and k not in INVALID
               and k != "001-keras-bce-swapped"]  # tested separately below
    assert not missing, missing
    assert all(SEEDS[k]["torch_float64"] is None for k in INVALID if k != "001-bce")
    assert len(COVERED) >= 25


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("key", sorted(COVERED))
def test_seed_example(key, dtype):
    e = SEEDS[key]
    calls = COVERED[key]
    values = [compute(loss, np.asarray(x, float), np.asarray(y, float), params, red, dtype).value
              for loss, x, y, params, red in calls]
    expected = e[f"torch_{dtype}"]
    actual = values[0] if len(calls) == 1 else np.array(values)
    assert_close(actual, expected, dtype, key)


def test_float32_prints_like_torch_item():
    # 002-l1 states 0.6666666865348816: torch's float32 .item() of 2/3.
    r = compute("l1", [4.5, 5.0, 2.0], [3.0, 5.0, 2.5], dtype="float32")
    assert repr(float(r.value)) == "0.6666666865348816" == repr(SEEDS["002-l1"]["stated"])


def test_keras_swapped_arguments_reproduced_as_bce_logits():
    # 001-keras-bce-swapped: Keras' binary_crossentropy(y_true=logits, y_pred=labels) is
    # bce-logits with x = logit(clip(labels, 1e-7, 1 − 1e-7)) and the logits as "targets".
    e = SEEDS["001-keras-bce-swapped"]
    labels = np.clip(np.asarray(e["inputs"]["labels"], float), 1e-7, 1 - 1e-7)
    x = np.log(labels / (1 - labels))
    r = compute("bce-logits", x, e["inputs"]["logits"], reduction="none")
    assert_close(r.elementwise.mean(-1), e["torch_float64"], "float64", "keras-swapped")


@pytest.mark.parametrize("key", sorted(INVALID))
def test_invalid_examples_are_refused(key):
    loss, x, y = INVALID[key]
    with pytest.raises(InvalidData):
        compute(loss, x, y)
