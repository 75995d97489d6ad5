"""Generate tests/data/golden_torch2.json: PyTorch's values for the margin losses and its
Poisson NLL (losscalc/losses/margin.py), in the schema of tests/data/golden.json.

For every case in CASES below and every reduction and dtype, this runs the matching torch.nn
loss and records the reduced value, the reduction='none' per-element loss and d(value)/d(pred)
by autograd (for reduction 'none', the gradient of value.sum()). Cases where torch raises are
recorded with its exception message under "error" (their names hold "-err-"). Inputs include
the kinks (z = 0 exactly, x = margin exactly), overflow (soft-margin at x·y = −1000), rates of
0 and below, duplicate and out-of-range class indices. The tests never import torch.

The output is deterministic (fixed seed). To regenerate it (outside the project's own venv):

    pip install torch==2.13.0 && python scripts/make_golden_torch2.py [--out PATH]
"""

import warnings

import numpy as np
import torch
import torch.nn as nn
from make_golden import DTYPES, enc, output_path, run, save  # the same record and calls

LOSSES = {
    "poisson-nll": nn.PoissonNLLLoss,
    "soft-margin": nn.SoftMarginLoss,
    "multi-margin": nn.MultiMarginLoss,
    "multilabel-margin": nn.MultiLabelMarginLoss,
    "hinge-embedding": nn.HingeEmbeddingLoss,
}
INDEX_TARGETS = ("multi-margin", "multilabel-margin")  # class indices: int64 targets

rng = np.random.default_rng(2013)
INF = float("inf")  # spelled "inf" in the JSON, as the outputs are


def randn(*shape, scale=1.0):
    return np.round(rng.normal(0.0, scale, shape), 4).tolist()


def unif(*shape, lo=0.01, hi=0.99):
    return np.round(rng.uniform(lo, hi, shape), 4).tolist()


def counts(*shape, high=6):
    return rng.integers(0, high, shape).astype(float).tolist()


def signs(*shape):
    return rng.choice([-1.0, 1.0], shape).tolist()


def classes(n_classes, *shape):
    return rng.integers(0, n_classes, shape).tolist()


def case(loss, name, pred, target, **params):
    return {"loss": loss, "name": name, "pred": pred, "target": target, "params": params}


CASES = [
    # --- poisson nll -------------------------------------------------------------------------
    case("poisson-nll", "scalar", randn(), 3.0),
    case("poisson-nll", "rand-4x3", randn(4, 3), counts(4, 3)),
    case("poisson-nll", "rand-2x3x4", randn(2, 3, 4), counts(2, 3, 4)),
    case("poisson-nll", "full", randn(4, 3), counts(4, 3, high=9), full=True),
    case("poisson-nll", "full-y-0-1-2", [0.5, -0.5, 1.0, 2.0, 0.0],
         [0.0, 1.0, 1.5, 2.0, 100.0], full=True),
    case("poisson-nll", "rates", unif(4, 3, lo=0.05, hi=4.0), counts(4, 3), log_input=False),
    case("poisson-nll", "rates-full", unif(2, 3, 4, lo=0.05, hi=4.0), counts(2, 3, 4, high=9),
         log_input=False, full=True),
    case("poisson-nll", "rates-eps", unif(5, lo=0.0, hi=1e-3), counts(5), log_input=False,
         eps=1e-3),
    case("poisson-nll", "rates-zero-and-negative", [0.0, 0.0, 1.0, -1e-8, -0.5],
         [0.0, 2.0, 0.0, 3.0, 1.0], log_input=False),
    case("poisson-nll", "extreme-log-rates", [[50.0, -50.0, 0.0], [700.0, -700.0, 10.0]],
         [[0.0, 3.0, 1.0], [2.0, 0.0, 1e4]]),
    case("poisson-nll", "negative-counts", randn(4), [-1.0, 0.5, 2.0, -3.0]),
    case("poisson-nll", "broadcast-target", randn(3, 4), counts(4)),
    # --- soft margin -------------------------------------------------------------------------
    case("soft-margin", "scalar", randn(), -1.0),
    case("soft-margin", "rand-4x3", randn(4, 3, scale=2), signs(4, 3)),
    case("soft-margin", "rand-2x3x4", randn(2, 3, 4, scale=2), signs(2, 3, 4)),
    case("soft-margin", "zero-margin", [0.0, 0.0, 1.0], [1.0, -1.0, 0.0]),
    case("soft-margin", "non-pm1-labels", randn(5), [0.0, 1.0, 0.5, 2.0, -3.0]),
    case("soft-margin", "extreme", [[30.0, -30.0, 100.0], [-100.0, 1000.0, -1000.0]],
         [[1.0, 1.0, -1.0], [1.0, 1.0, -1.0]]),
    case("soft-margin", "overflow", [1000.0, -1000.0, 0.5, 89.0], [-1.0, 1.0, 1.0, -1.0]),
    case("soft-margin", "broadcast-target", randn(3, 4), signs(4)),
    case("soft-margin", "err-target-larger", randn(3), signs(2, 3)),
    # --- multi margin ------------------------------------------------------------------------
    case("multi-margin", "unbatched", randn(4), 2),
    case("multi-margin", "unbatched-target-1", randn(4), [0]),
    case("multi-margin", "rand-5x4", randn(5, 4), classes(4, 5)),
    case("multi-margin", "p2", randn(5, 4), classes(4, 5), p=2),
    case("multi-margin", "margin-half", randn(5, 4), classes(4, 5), margin=0.5),
    case("multi-margin", "margin-negative", randn(5, 4), classes(4, 5), margin=-0.25),
    case("multi-margin", "weight", randn(5, 4), [0, 1, 2, 3, 3], weight=[0.5, 2.0, 1.0, 0.0]),
    case("multi-margin", "weight-p2-margin2", randn(5, 4), [3, 1, 2, 0, 0], p=2, margin=2.0,
         weight=[0.5, 2.0, 1.0, 3.0]),
    # z = margin − x_y + x_c exactly 0 (kink) and ties
    case("multi-margin", "kinks", [[1.0, 0.0, 2.0], [0.5, -0.5, 0.5], [0.0, 0.0, 0.0]],
         [0, 0, 1]),
    case("multi-margin", "kinks-p2", [[1.0, 0.0, 2.0], [0.5, -0.5, 0.5], [0.0, 0.0, 0.0]],
         [0, 0, 1], p=2),
    case("multi-margin", "one-class", [[0.3], [-2.0]], [0, 0]),
    case("multi-margin", "scalar-pred", 0.7, 0),
    case("multi-margin", "one-row-scalar-target", [[0.1, 0.9, -0.4]], 1),
    case("multi-margin", "extreme", [[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]], [1, 1]),
    case("multi-margin", "infinite", [[INF, 1.0, 0.0], [-INF, 0.5, 0.0], [0.0, 2.0, -INF]],
         [1, 1, 0]),
    case("multi-margin", "err-target-eq-C", randn(2, 3), [0, 3]),
    case("multi-margin", "err-target-minus1", randn(2, 3), [-1, 0]),
    case("multi-margin", "err-target-shape", randn(2, 3), [0, 1, 1]),
    case("multi-margin", "err-3d", randn(2, 3, 2), [[0, 1], [1, 0]]),
    case("multi-margin", "err-weight-size", randn(2, 3), [0, 1], weight=[1.0, 2.0]),
    case("multi-margin", "err-p3", randn(2, 3), [0, 1], p=3),
    # --- multilabel margin -------------------------------------------------------------------
    case("multilabel-margin", "unbatched", randn(4), [3, 0, -1, 1]),
    case("multilabel-margin", "rand-4x5", randn(4, 5),
         [[0, 2, -1, 0, 0], [4, -1, 1, 2, 3], [1, 2, 3, 4, 0], [-1, 0, 1, 2, 3]]),
    case("multilabel-margin", "duplicates", randn(3, 4),
         [[1, 1, -1, 0], [2, 0, 2, -1], [3, 3, 3, 3]]),
    case("multilabel-margin", "kinks", [[1.0, 0.0, 2.0], [0.5, -0.5, 0.5]],
         [[0, -1, -1], [1, -1, 0]]),
    case("multilabel-margin", "square-3x3", randn(3, 3), [[0, -1, 2], [1, 2, -1], [2, 1, 0]]),
    case("multilabel-margin", "scalar-pred", 0.5, 0),
    case("multilabel-margin", "one-class", [[0.5], [-1.0]], [[0], [-1]]),
    case("multilabel-margin", "extreme", [[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0]],
         [[0, -1, 0], [2, 1, -1]]),
    case("multilabel-margin", "infinite", [[INF, 1.0, 0.0], [-INF, 0.5, 0.0]],
         [[1, -1, 0], [1, 2, -1]]),
    case("multilabel-margin", "err-target-eq-C", randn(2, 3), [[0, 3, -1], [1, -1, 0]]),
    case("multilabel-margin", "err-after-padding", randn(2, 3), [[0, -1, 5], [1, -1, 0]]),
    case("multilabel-margin", "err-minus2", randn(2, 3), [[0, -2, 1], [1, -1, 0]]),
    case("multilabel-margin", "err-target-shape", randn(2, 3), [[0, 2], [1, -1]]),
    case("multilabel-margin", "err-unbatched-shape", randn(3), [0, 1]),
    case("multilabel-margin", "err-3d", randn(1, 2, 3), [[[0, 1, -1], [1, -1, 0]]]),
    # --- hinge embedding ---------------------------------------------------------------------
    case("hinge-embedding", "scalar", 0.3, -1.0),
    case("hinge-embedding", "rand-4x3", unif(4, 3, lo=0.0, hi=2.0), signs(4, 3)),
    case("hinge-embedding", "rand-2x3x4", randn(2, 3, 4), signs(2, 3, 4)),
    case("hinge-embedding", "margin2", unif(4, 3, lo=0.0, hi=3.0), signs(4, 3), margin=2.0),
    case("hinge-embedding", "at-margin", [1.0, 1.0, 0.5, 2.0, 0.0], [-1.0, 1.0, -1.0, -1.0, -1.0]),
    case("hinge-embedding", "at-margin-0.5", [0.5, 0.5, 0.25], [-1.0, 1.0, -1.0], margin=0.5),
    case("hinge-embedding", "other-labels", [0.3, 1.5, 0.2, -0.5], [0.0, 2.0, 0.5, 1.0]),
    case("hinge-embedding", "broadcast", randn(3), signs(2, 1)),
    case("hinge-embedding", "negative-margin", randn(4), signs(4), margin=-0.5),
]


def main():
    out = output_path("golden_torch2.json")
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")  # broadcasting shapes warn
    records = [run(c, reduction, dtype, LOSSES, lambda loss, _: loss in INDEX_TARGETS)
               for c in CASES for reduction in ("mean", "sum", "none") for dtype in DTYPES]
    for r in records:
        r["inputs"] = {k: enc(v) for k, v in r["inputs"].items()}
    save(records, out, "scripts/make_golden_torch2.py")


if __name__ == "__main__":
    main()
