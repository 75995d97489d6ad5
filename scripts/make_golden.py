"""Generate tests/data/golden.json: reference values from PyTorch for losscalc's tests.

For every case in CASES below (a loss, its inputs and parameters) and every reduction and
dtype, this runs the matching torch.nn loss and records the reduced value, the
reduction='none' elementwise loss and d(value)/d(pred) by autograd (for reduction 'none', the
gradient of value.sum()). Cases where torch raises are recorded with its exception message
under "error" instead. The tests compare losscalc's NumPy code against this file and never
import torch.

The output is deterministic (fixed seed). To regenerate it (outside the project's own venv):

    pip install torch==2.13.0 && python scripts/make_golden.py [--out tests/data/golden.json]
"""

import argparse
import json
import math
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

LOSSES = {
    "l1": nn.L1Loss,
    "mse": nn.MSELoss,
    "smooth-l1": nn.SmoothL1Loss,
    "huber": nn.HuberLoss,
    "ce": nn.CrossEntropyLoss,
    "nll": nn.NLLLoss,
    "bce": nn.BCELoss,
    "bce-logits": nn.BCEWithLogitsLoss,
    "multilabel-soft-margin": nn.MultiLabelSoftMarginLoss,
    "kl": nn.KLDivLoss,
}
TENSOR_PARAMS = ("weight", "pos_weight")
DTYPES = {"float64": torch.float64, "float32": torch.float32}

rng = np.random.default_rng(1234)


def randn(*shape, scale=1.0):
    return np.round(rng.normal(0.0, scale, shape), 4).tolist()


def unif(*shape, lo=0.01, hi=0.99):
    return np.round(rng.uniform(lo, hi, shape), 4).tolist()


def classes(n_classes, *shape):
    return rng.integers(0, n_classes, shape).tolist()


def log_softmax(*shape, dim=-1):
    return torch.log_softmax(torch.tensor(randn(*shape), dtype=torch.float64), dim).tolist()


def softmax(*shape, dim=-1):
    return torch.softmax(torch.tensor(randn(*shape), dtype=torch.float64), dim).tolist()


def shifted(pred, diffs):
    """Targets such that pred - target == diffs exactly (values chosen to be exact in binary)."""
    return (np.asarray(pred) - np.asarray(diffs)).tolist()


def case(loss, name, pred, target, **params):
    return {"loss": loss, "name": name, "pred": pred, "target": target, "params": params}


def kl_target(*shape, zeros=()):
    p = np.asarray(softmax(*shape))
    for idx in zeros:
        p[idx] = 0.0
    return p.tolist()


EXACT = [[0.5, -0.5, 1.0], [-1.0, 2.0, -2.0], [0.0, 0.25, -3.0], [1.5, -1.25, 0.75]]
EXTREME_LOGITS = [[1000.0, -1000.0, 0.0], [1e4, -1e4, 0.0], [-1000.0, 1e4, -1e4]]
EXTREME_TARGETS = [[1.0, 0.0, 1.0], [0.0, 1.0, 0.5], [0.5, 0.0, 1.0]]

CASES = [
    # --- regression losses -------------------------------------------------------------------
    *[c for loss in ("l1", "mse") for c in (
        case(loss, "scalar", randn(), randn()),
        case(loss, "rand-3", randn(3), randn(3)),
        case(loss, "rand-4x3", randn(4, 3), randn(4, 3)),
        case(loss, "rand-2x3x4", randn(2, 3, 4), randn(2, 3, 4)),
        case(loss, "ties-zero-diff", [[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]],
             [[1.0, -2.0, 1.5], [3.0, 0.0, -1.0]]),
    )],
    case("smooth-l1", "rand-4x3", randn(4, 3), randn(4, 3)),
    case("smooth-l1", "rand-2x3x4-beta2", randn(2, 3, 4, scale=2), randn(2, 3, 4), beta=2.0),
    case("smooth-l1", "beta0-ties", [[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]],
         [[1.0, -2.5, 1.5], [3.0, 0.25, -1.0]], beta=0.0),
    *[case("smooth-l1", f"exact-beta{b:g}", [[0.25] * 3] * 4, shifted([[0.25] * 3] * 4, EXACT),
           beta=b) for b in (0.5, 1.0, 2.0)],
    case("smooth-l1", "err-negative-beta", [1.0, 2.0], [0.0, 0.0], beta=-1.0),
    case("huber", "rand-4x3", randn(4, 3), randn(4, 3)),
    case("huber", "rand-2x3x4-delta2", randn(2, 3, 4, scale=2), randn(2, 3, 4), delta=2.0),
    *[case("huber", f"exact-delta{d:g}", [[0.25] * 3] * 4, shifted([[0.25] * 3] * 4, EXACT),
           delta=d) for d in (0.5, 1.0, 2.0)],
    case("huber", "err-zero-delta", [1.0, 2.0], [0.0, 0.0], delta=0.0),
    # --- cross entropy -----------------------------------------------------------------------
    case("ce", "unbatched", randn(4), 2),
    case("ce", "unbatched-probs", randn(4), softmax(4)),
    case("ce", "rand-4x3", randn(4, 3), classes(3, 4)),
    case("ce", "rand-2x3x4", randn(2, 3, 4), classes(3, 2, 4)),
    case("ce", "rand-2x3x2x2", randn(2, 3, 2, 2), classes(3, 2, 2, 2)),
    case("ce", "probs-4x3", randn(4, 3), softmax(4, 3)),
    case("ce", "probs-2x3x4", randn(2, 3, 4), softmax(2, 3, 4, dim=1)),
    case("ce", "probs-weight-smoothing", randn(4, 3), softmax(4, 3),
         weight=[0.2, 1.0, 2.5], label_smoothing=0.1),
    case("ce", "probs-unnormalized", randn(4, 3), unif(4, 3, lo=0.0, hi=1.5)),
    case("ce", "weight", randn(5, 3), [0, 1, 2, 2, 1], weight=[0.2, 1.0, 2.5]),
    case("ce", "weight-2x3x4", randn(2, 3, 4), classes(3, 2, 4), weight=[0.5, 2.0, 1.0]),
    case("ce", "smoothing", randn(4, 3), classes(3, 4), label_smoothing=0.2),
    case("ce", "ignore-default", randn(5, 3), [0, -100, 2, -100, 1]),
    case("ce", "ignore-1", randn(5, 3), [0, 1, 2, 1, 1], ignore_index=1),
    case("ce", "weight-ignore", randn(5, 3), [0, -100, 2, 2, 1], weight=[0.2, 1.0, 2.5]),
    case("ce", "weight-smoothing-ignore", randn(5, 3), [0, -100, 2, 2, 1],
         weight=[0.2, 1.0, 2.5], label_smoothing=0.15),
    case("ce", "weight-smoothing-ignore-2x3x4", randn(2, 3, 4),
         [[0, -100, 2, 1], [-100, 2, 0, 0]], weight=[0.5, 2.0, 1.0], label_smoothing=0.3),
    case("ce", "all-ignored", randn(3, 3), [-100, -100, -100]),
    case("ce", "all-ignored-weight-smoothing", randn(3, 3), [-100, -100, -100],
         weight=[0.2, 1.0, 2.5], label_smoothing=0.1),
    case("ce", "unbatched-ignored", randn(3), -100),
    case("ce", "extreme-1e4", [[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4], [0.0, 0.0, 1e4]], [1, 1, 0]),
    case("ce", "extreme-1000", [[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]], [1, 2]),
    case("ce", "extreme-1e4-probs-smoothing", [[1e4, -1e4, 0.0], [-1e4, 1e4, -1e4]],
         [[0.5, 0.5, 0.0], [0.0, 1.0, 0.0]], label_smoothing=0.1),
    case("ce", "ties", [[0.0, 0.0, 0.0], [2.0, 2.0, -1.0], [5.0, 5.0, 5.0]], [0, 1, 2]),
    case("ce", "err-target-eq-C", randn(2, 3), [0, 3]),
    case("ce", "err-target-minus1", randn(2, 3), [-1, 0]),
    case("ce", "err-target-eq-C-2x3x4", randn(2, 3, 4), [[0, 3, 1, 1], [0, 0, 0, 0]]),
    case("ce", "err-smoothing-gt1", randn(2, 3), [0, 1], label_smoothing=1.5),
    # --- nll ---------------------------------------------------------------------------------
    case("nll", "unbatched", log_softmax(4), 3),
    case("nll", "rand-4x3", log_softmax(4, 3), classes(3, 4)),
    case("nll", "rand-2x3x4", log_softmax(2, 3, 4, dim=1), classes(3, 2, 4)),
    case("nll", "rand-2x3x2x2", log_softmax(2, 3, 2, 2, dim=1), classes(3, 2, 2, 2)),
    case("nll", "weight", log_softmax(5, 3), [0, 1, 2, 2, 1], weight=[0.2, 1.0, 2.5]),
    case("nll", "weight-2x3x2x2", log_softmax(2, 3, 2, 2, dim=1), classes(3, 2, 2, 2),
         weight=[0.5, 2.0, 1.0]),
    case("nll", "ignore-default", log_softmax(5, 3), [0, -100, 2, -100, 1]),
    case("nll", "ignore-1", log_softmax(5, 3), [0, 1, 2, 1, 1], ignore_index=1),
    case("nll", "weight-ignore", log_softmax(5, 3), [0, -100, 2, 2, 1], weight=[0.2, 1.0, 2.5]),
    case("nll", "all-ignored", log_softmax(3, 3), [-100, -100, -100]),
    case("nll", "all-ignored-weight", log_softmax(3, 3), [-100, -100, -100],
         weight=[0.2, 1.0, 2.5]),
    case("nll", "err-target-eq-C", log_softmax(2, 3), [0, 3]),
    case("nll", "err-target-minus1", log_softmax(2, 3), [-1, 0]),
    # --- binary cross entropy ----------------------------------------------------------------
    case("bce", "rand-3", unif(3), unif(3, lo=0.0, hi=1.0)),
    case("bce", "rand-4x3", unif(4, 3), np.round(unif(4, 3)).tolist()),
    case("bce", "rand-2x3x4", unif(2, 3, 4), unif(2, 3, 4, lo=0.0, hi=1.0)),
    case("bce", "weight-elementwise", unif(4, 3), unif(4, 3, lo=0.0, hi=1.0), weight=unif(4, 3)),
    case("bce", "weight-last-dim", unif(2, 3, 4), unif(2, 3, 4, lo=0.0, hi=1.0),
         weight=[0.5, 2.0, 1.0, 0.0]),
    case("bce", "exact-0-1", [[0.0, 0.0, 1.0, 1.0], [0.0, 1.0, 0.5, 1e-50]],
         [[0.0, 1.0, 0.0, 1.0], [0.5, 0.5, 1.0, 1.0]]),
    case("bce", "exact-0-1-weight", [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]],
         [[0.0, 1.0, 0.25], [0.75, 1.0, 0.0]], weight=[2.0, 0.5, 1.0]),
    case("bce", "err-input-gt1", [0.5, 1.2], [0.0, 1.0]),
    case("bce", "err-input-negative", [-0.1, 0.5], [0.0, 1.0]),
    case("bce", "err-target-gt1", [0.5, 0.2], [0.0, 1.5]),
    # --- bce with logits ---------------------------------------------------------------------
    case("bce-logits", "rand-3", randn(3, scale=2), unif(3, lo=0.0, hi=1.0)),
    case("bce-logits", "rand-4x3", randn(4, 3, scale=2), np.round(unif(4, 3)).tolist()),
    case("bce-logits", "rand-2x3x4", randn(2, 3, 4, scale=2), unif(2, 3, 4, lo=0.0, hi=1.0)),
    case("bce-logits", "weight", randn(4, 3), unif(4, 3, lo=0.0, hi=1.0), weight=unif(4, 3)),
    case("bce-logits", "pos-weight", randn(4, 3), unif(4, 3, lo=0.0, hi=1.0),
         pos_weight=[0.5, 3.0, 1.0]),
    case("bce-logits", "weight-pos-weight-2x3x4", randn(2, 3, 4), unif(2, 3, 4, lo=0.0, hi=1.0),
         weight=[1.0, 0.5, 2.0, 0.0], pos_weight=[2.0, 1.0, 0.25, 4.0]),
    case("bce-logits", "extreme", EXTREME_LOGITS, EXTREME_TARGETS),
    case("bce-logits", "extreme-pos-weight", EXTREME_LOGITS, EXTREME_TARGETS,
         pos_weight=[3.0, 0.5, 2.0]),
    # --- multilabel soft margin --------------------------------------------------------------
    case("multilabel-soft-margin", "rand-3", randn(3), [1.0, 0.0, 1.0]),
    case("multilabel-soft-margin", "rand-4x3", randn(4, 3, scale=2),
         np.round(unif(4, 3)).tolist()),
    case("multilabel-soft-margin", "soft-targets", randn(4, 3), unif(4, 3, lo=0.0, hi=1.0)),
    case("multilabel-soft-margin", "weight", randn(4, 3), np.round(unif(4, 3)).tolist(),
         weight=[0.5, 2.0, 1.0]),
    case("multilabel-soft-margin", "weight-unbatched", randn(4), [0.0, 1.0, 1.0, 0.0],
         weight=[0.5, 2.0, 1.0, 0.0]),
    case("multilabel-soft-margin", "extreme", EXTREME_LOGITS, EXTREME_TARGETS),
    # --- kl divergence -----------------------------------------------------------------------
    case("kl", "rand-3", log_softmax(3), softmax(3)),
    case("kl", "rand-4x3", log_softmax(4, 3), softmax(4, 3)),
    case("kl", "rand-2x3x4", log_softmax(2, 3, 4), softmax(2, 3, 4)),
    case("kl", "zeros-4x3", log_softmax(4, 3), kl_target(4, 3, zeros=[(0, 1), (2, 0), (2, 2)])),
    case("kl", "zeros-1d", log_softmax(5), kl_target(5, zeros=[1, 4])),
    case("kl", "log-target-4x3", log_softmax(4, 3), log_softmax(4, 3), log_target=True),
    case("kl", "log-target-2x3x4", log_softmax(2, 3, 4), log_softmax(2, 3, 4), log_target=True),
    case("kl", "log-target-false-explicit", log_softmax(2, 3), softmax(2, 3), log_target=False),
]


def is_class_index(loss, target):
    flat = np.asarray(target).ravel()
    return loss in ("ce", "nll") and flat.dtype.kind == "i"


def enc(x):
    """Nested lists of floats with non-finite values spelled as strings."""
    if isinstance(x, list):
        return [enc(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    return x


def run(c, reduction, dtype, losses=LOSSES, is_index=is_class_index):
    """Run torch for one case with one reduction and dtype; return the JSON record.

    ``losses`` maps the loss names to torch.nn classes; ``is_index(loss, target)`` says when
    the target holds class indices (int64). scripts/make_golden_torch2.py passes its own."""
    dt = DTYPES[dtype]
    rec = {"id": f"{c['loss']}-{c['name']}-{dtype.replace('float', 'f')}-{reduction}",
           "loss": c["loss"], "inputs": {"pred": c["pred"], "target": c["target"]},
           "params": c["params"], "reduction": reduction, "dtype": dtype}
    kw = {k: torch.tensor(v, dtype=dt) if k in TENSOR_PARAMS else v
          for k, v in c["params"].items()}
    pred = torch.tensor(c["pred"], dtype=dt, requires_grad=True)
    target = torch.tensor(c["target"], dtype=torch.int64 if is_index(c["loss"], c["target"])
                          else dt)
    try:
        value = losses[c["loss"]](reduction=reduction, **kw)(pred, target)
        elementwise = losses[c["loss"]](reduction="none", **kw)(pred.detach(), target)
        value.sum().backward()
    except Exception as e:  # torch rejects the data: record its message
        rec["error"] = str(e)
        return rec
    rec.update(value=enc(value.tolist()), elementwise=enc(elementwise.tolist()),
               grad={"pred": enc(pred.grad.tolist())})
    return rec


def output_path(name: str) -> Path:
    """--out, by default tests/data/NAME (shared by the golden-data scripts)."""
    ap = argparse.ArgumentParser(description="Generate " + name + " from PyTorch.")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent
                                         / "tests" / "data" / name))
    return Path(ap.parse_args().out)


def save(records: list[dict], out: Path, generator: str) -> None:
    """Check that exactly the -err- cases raised, then write the file."""
    for r in records:
        if ("error" in r) != ("-err-" in r["id"]):
            raise SystemExit(f"unexpected outcome for {r['id']}: {r.get('error', 'no error')}")
    out.parent.mkdir(parents=True, exist_ok=True)
    doc = {"generator": generator, "torch": torch.__version__, "cases": records}
    out.write_text(json.dumps(doc, indent=1, allow_nan=False) + "\n")
    print(f"wrote {len(records)} cases to {out}")


def main():
    out = output_path("golden.json")
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")  # KLDivLoss 'mean' warns about batchmean
    records = []
    for c in CASES:
        reductions = ["mean", "sum", "none"] + (["batchmean"] if c["loss"] == "kl" else [])
        for reduction in reductions:
            for dtype in DTYPES:
                records.append(run(c, reduction, dtype))
    save(records, out, "scripts/make_golden.py")


if __name__ == "__main__":
    main()
