"""The margin losses and Poisson NLL (losscalc/losses/margin.py) against values PyTorch 2.13
computed (tests/data/golden_torch2.json, made by scripts/make_golden_torch2.py): the value, the
per-element losses and the gradient, in both dtypes, every reduction, including PyTorch's
conventions at the kinks (z = 0, x = margin), overflow to inf/nan, and the inputs PyTorch
rejects (class indices out of range, shapes, p = 3)."""

from __future__ import annotations

from conftest import load
from test_golden import golden_tests

test_matches_pytorch, test_rejects_what_pytorch_rejects = golden_tests(
    load("golden_torch2.json")["cases"])
