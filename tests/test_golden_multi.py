"""The losses of several tensors (gaussian-nll, cosine-embedding, margin-ranking, triplet, ctc)
against values PyTorch 2.13 computed (tests/data/golden_multi.json, made by
scripts/make_golden_multi.py): the value, the per-element losses and the gradient of every
tensor that carries one, in both dtypes and every reduction, including the kinks, variances
below ε, zero vectors, --swap ties, CTC's impossible alignments and the blank among the
labels, and the inputs PyTorch rejects."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import as_array, load
from test_golden import _run, golden_tests

CASES = load("golden_multi.json")["cases"]


def _long_float32(case) -> bool:
    return case["id"].startswith("ctc-long-f32")


test_matches_pytorch, test_rejects_what_pytorch_rejects = golden_tests(
    [c for c in CASES if not _long_float32(c)])


@pytest.mark.parametrize("case", [c for c in CASES if _long_float32(c)], ids=lambda c: c["id"])
def test_long_ctc_in_float32_within_float32_cancellation(case):
    # 60 steps: nll ≈ 10², and PyTorch's gradient exp(lp) − exp(lcab + nll − lp) cancels
    # lcab ≈ lp − nll in float32, so both sides carry errors of about 10²·2⁻²⁴ ≈ 1e-5 from
    # their own expf/logf (PyTorch's float32 result is itself that far from the float64 one).
    r = _run(case)
    for actual, expected in ((r.value, case["value"]), (r.elementwise, case["elementwise"]),
                             (r.grad["pred"], case["grad"]["pred"])):
        expected = as_array(expected)
        scale = max(1.0, float(np.max(np.abs(expected))))
        assert np.max(np.abs(np.asarray(actual, float) - expected)) / scale < 1e-4
