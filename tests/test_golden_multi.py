"""The losses of several tensors (gaussian-nll, cosine-embedding, margin-ranking, triplet, ctc)
against values PyTorch 2.13 computed (tests/data/golden_multi.json, made by
scripts/make_golden_multi.py): the value, the per-element losses and the gradient of every
tensor that carries one, in both dtypes and every reduction, including the kinks, variances
below ε, zero vectors, --swap ties, and the inputs PyTorch rejects."""

from __future__ import annotations

from conftest import load
from test_golden import golden_tests

test_matches_pytorch, test_rejects_what_pytorch_rejects = golden_tests(
    load("golden_multi.json")["cases"])
