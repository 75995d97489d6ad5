"""Every loss against values PyTorch 2.13 computed (tests/data/golden.json, made by
scripts/make_golden.py): the value, the per-element losses and the gradient, in both dtypes,
every reduction, including adversarial inputs (logits ±1e4, probabilities exactly 0 and 1,
ignored targets, smoothing with weights, K-dimensional targets)."""

from __future__ import annotations

import pytest
from conftest import as_array, assert_close, load

from losscalc.core import compute
from losscalc.errors import LosscalcError

CASES = load("golden.json")["cases"]


def _params(case):
    """The parameters as given (lists as arrays; "inf" spelled as in the outputs)."""
    return {k: as_array(v) if isinstance(v, list) else float(v) if isinstance(v, str) else v
            for k, v in case["params"].items()}


def _run(case):
    inputs = {name: as_array(v) for name, v in case["inputs"].items()}
    return compute(case["loss"], inputs, None, _params(case), case["reduction"], case["dtype"])


def check_matches(case):
    """The value, per-element losses and the gradient of every tensor are the recorded ones."""
    r = _run(case)
    assert_close(r.value, case["value"], case["dtype"], "value")
    assert_close(r.elementwise, case["elementwise"], case["dtype"], "elementwise")
    assert set(r.grad) == set(case["grad"])
    for name, grad in case["grad"].items():
        assert_close(r.grad[name], grad, case["dtype"], f"grad {name}")


def check_rejects(case):
    """A case torch raised for is a usage error or invalid data."""
    with pytest.raises(LosscalcError) as err:
        _run(case)
    assert err.value.exit_code in (2, 3)


def golden_tests(cases):
    """The two tests over a golden file's cases (test_golden_torch2.py makes its own)."""

    @pytest.mark.parametrize("case", [c for c in cases if "error" not in c],
                             ids=lambda c: c["id"])
    def test_matches_pytorch(case):
        check_matches(case)

    @pytest.mark.parametrize("case", [c for c in cases if "error" in c], ids=lambda c: c["id"])
    def test_rejects_what_pytorch_rejects(case):
        check_rejects(case)

    return test_matches_pytorch, test_rejects_what_pytorch_rejects


test_matches_pytorch, test_rejects_what_pytorch_rejects = golden_tests(CASES)
