"""The margin losses and Poisson NLL (losscalc/losses/margin.py) against values PyTorch 2.13
computed (tests/data/golden_torch2.json, made by scripts/make_golden_torch2.py): the value, the
per-element losses and the gradient, in both dtypes, every reduction, including PyTorch's
conventions at the kinks (z = 0, x = margin), overflow to inf/nan, and the inputs PyTorch
rejects (class indices out of range, shapes, p = 3)."""

from __future__ import annotations

import pytest
from conftest import as_array, load
from test_golden import golden_tests

from losscalc.core import compute
from losscalc.errors import InvalidData

test_matches_pytorch, test_rejects_what_pytorch_rejects = golden_tests(
    load("golden_torch2.json")["cases"])


@pytest.mark.parametrize("loss, pred, target, where", [
    ("multi-margin", [[0.1, 0.2], [0.3, 0.4]], [0, 2], "[1]"),
    ("multilabel-margin", [[0.1, 0.2], [0.3, 0.4]], [[0, -1], [1, 7]], "[1, 1]"),
    ("multilabel-margin", [[0.1, 0.2], [0.3, 0.4]], [[0, 0.5], [1, -1]], "[0, 1]"),
])
def test_invalid_class_indices_name_their_position(loss, pred, target, where):
    with pytest.raises(InvalidData) as err:
        compute(loss, as_array(pred), as_array(target))
    assert err.value.exit_code == 3 and where in err.value.message
