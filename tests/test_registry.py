"""The registry as a whole: nothing registered without a test, aliases as docs/contract.md
lists them, and every entry complete (formula, reference, example, docstring)."""

from __future__ import annotations

import shlex

import pytest
from conftest import load
from samples import SAMPLES

from losscalc.losses import all_losses, resolve
from losscalc.registry import normalize

GOLDEN_LOSSES = {c["loss"] for name in ("golden.json", "golden_zoo.json", "golden_torch2.json",
                                        "golden_multi.json")
                 for c in load(name)["cases"]}

# docs/contract.md §2's table: canonical name → aliases.
CONTRACT_ALIASES = {
    "l1": ["mae", "l1loss"],
    "mse": ["l2", "mseloss"],
    "smooth-l1": ["smoothl1loss"],
    "huber": ["huberloss"],
    "ce": ["cross-entropy", "crossentropyloss"],
    "nll": ["nllloss"],
    "bce": ["bceloss"],
    "bce-logits": ["bcewithlogitsloss", "sigmoid-cross-entropy"],
    "multilabel-soft-margin": ["multilabelsoftmarginloss"],
    "kl": ["kl-div", "kldivloss"],
}


def test_every_loss_has_samples_and_golden_data():
    names = set(all_losses())
    assert names - set(SAMPLES) == set(), "losses without property-test samples"
    assert names - GOLDEN_LOSSES == set(), "losses without golden values from the reference"


@pytest.mark.parametrize("canonical, aliases", CONTRACT_ALIASES.items())
def test_contract_aliases_resolve(canonical, aliases):
    for alias in [canonical, *aliases]:
        for spelling in (alias, alias.upper(), alias.replace("-", "_"), alias.title()):
            assert resolve(spelling).name == canonical, spelling


@pytest.mark.parametrize("spelling, canonical", [
    ("CrossEntropyLoss", "ce"), ("cross_entropy", "ce"), ("BCEWithLogitsLoss", "bce-logits"),
    ("SmoothL1Loss", "smooth-l1"), ("smooth_l1", "smooth-l1"), ("KLDivLoss", "kl"),
    ("MultiLabelSoftMarginLoss", "multilabel-soft-margin"), ("PoissonNLLLoss", "poisson-nll"),
    ("SoftMarginLoss", "soft-margin"), ("MultiMarginLoss", "multi-margin"),
    ("MultiLabelMarginLoss", "multilabel-margin"), ("HingeEmbeddingLoss", "hinge-embedding"),
    ("poisson_nll", "poisson-nll"), ("multilabel_margin", "multilabel-margin"),
])
def test_pytorch_class_names_resolve(spelling, canonical):
    assert resolve(spelling).name == canonical


def test_unknown_name_does_not_resolve():
    assert resolve("no-such-loss") is None


@pytest.mark.parametrize("spec", all_losses().values(), ids=lambda s: s.name)
def test_entry_is_complete(spec):
    assert spec.summary and spec.details, "docstring: summary line and conventions"
    assert spec.formula and spec.reference
    words = shlex.split(spec.example)
    assert words[:2] == ["losscalc", spec.name], "the example runs the loss by its name"
    assert normalize(spec.name) == spec.name
