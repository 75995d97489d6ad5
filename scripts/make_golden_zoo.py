"""Generate tests/data/golden_zoo.json: reference values for the losses PyTorch lacks.

Keras 3 on the torch/jax backends computes float64 partly in float32 (docs/zoo.md), so the
values here are not taken from Keras: every loss is written again below from its reference
formula (docs/zoo.md's table) with mpmath at 50 significant digits, independently of losscalc,
and the gradient is the central difference of that high-precision value (h = 1e-25), which is
exact to far below float64's rounding. float32 cases round the inputs and the constants (ε,
q, …) to float32 first and the results to float32 at the end, as the computation in float32
would see them. Focal loss comes from torch (autograd) with torchvision's
sigmoid_focal_loss written out exactly as torchvision's source defines it.

Same schema as tests/data/golden.json (id, loss, inputs {pred, target}, params, reduction,
dtype, value, elementwise, grad {pred}). The output is deterministic (fixed seed). Run with an
interpreter that has torch and mpmath (not the project's venv):

    python scripts/make_golden_zoo.py [--out tests/data/golden_zoo.json]
"""

import argparse
import json
from pathlib import Path

import mpmath as mp
import numpy as np

mp.mp.dps = 50
H = mp.mpf("1e-25")
KERAS_EPSILON = 1e-7
DTYPES = ("float64", "float32")
REDUCTIONS = ("mean", "sum", "none")

rng = np.random.default_rng(2024)


def randn(*shape, scale=1.0):
    return np.round(rng.normal(0.0, scale, shape), 4).tolist()


def unif(*shape, lo=0.01, hi=0.99):
    return np.round(rng.uniform(lo, hi, shape), 4).tolist()


def labels01(*shape):
    return rng.integers(0, 2, shape).astype(float).tolist()


# --- mpmath helpers: elementwise functions over object arrays of mpf ---------------------------

def _f(fn, n=1):
    u = np.frompyfunc(fn, n, 1)
    return lambda *a: np.asarray(u(*a), dtype=object)


LOG, EXP, COSH, ABS = _f(mp.log), _f(mp.exp), _f(mp.cosh), _f(abs)
MAX = _f(lambda a, b: a if a >= b else b, 2)


def mparray(values, dtype):
    a = np.asarray(values, dtype=float)
    if dtype == "float32":
        a = a.astype(np.float32).astype(float)
    return np.asarray(_f(mp.mpf)(a), dtype=object)


def const(v, dtype):
    return mp.mpf(float(np.float32(v)) if dtype == "float32" else float(v))


def keras_mean(terms):
    """Keras' per-sample value: the mean over the last axis (0-d: the term itself)."""
    terms = np.asarray(terms, dtype=object)
    if terms.ndim == 0:
        return terms
    return np.asarray(np.sum(terms, axis=-1) / terms.shape[-1], dtype=object)


def one_hot(x, y):
    """Class indices (shape x.shape[:-1]) as one-hot rows; a target of x's shape as given."""
    if y.shape == x.shape:
        return y
    idx = np.asarray(y, dtype=float).astype(int)
    return np.asarray((idx[..., None] == np.arange(x.shape[-1])), dtype=object) * mp.mpf(1)


# --- the references (docs/zoo.md's formulas), elementwise as docs/zoo.md defines it ------------

def log_cosh(x, y, p, dt):
    return keras_mean(LOG(COSH(x - y)))


def mape(x, y, p, dt):
    return keras_mean(ABS(y - x) / MAX(ABS(y), const(KERAS_EPSILON, dt))) * 100


def msle(x, y, p, dt):
    e = const(KERAS_EPSILON, dt)
    return keras_mean((LOG(MAX(x, e) + 1) - LOG(MAX(y, e) + 1)) ** 2)


def poisson(x, y, p, dt):
    return keras_mean(x - y * LOG(x + const(KERAS_EPSILON, dt)))


def _pm1(y):
    return 2 * y - 1 if all(v in (0, 1) for v in y.reshape(-1)) else y


def hinge(x, y, p, dt):
    return keras_mean(MAX(1 - _pm1(y) * x, mp.mpf(0)))


def squared_hinge(x, y, p, dt):
    return keras_mean(MAX(1 - _pm1(y) * x, mp.mpf(0)) ** 2)


def categorical_hinge(x, y, p, dt):
    y = one_hot(x, y)
    pos = np.sum(y * x, axis=-1)
    neg = np.max((1 - y) * x, axis=-1)
    return MAX(np.asarray(neg - pos + 1, dtype=object), mp.mpf(0))


def quantile(x, y, p, dt):
    q = const(p.get("q", 0.5), dt)
    u = y - x
    return np.asarray(_f(lambda v: q * v if v >= 0 else (q - 1) * v)(u), dtype=object)


def cosine_similarity(x, y, p, dt):
    e = const(KERAS_EPSILON, dt)

    def unit(v):
        norm = _f(mp.sqrt)(np.sum(v * v, axis=-1, keepdims=True))
        return v / MAX(norm, e)

    return -np.sum(unit(x) * unit(y), axis=-1)


def dice(x, y, p, dt):
    return np.asarray(1 - 2 * np.sum(y * x) / (np.sum(y) + np.sum(x) + const(KERAS_EPSILON, dt)),
                      dtype=object)


def tversky(x, y, p, dt):
    a, b = const(p.get("alpha", 0.5), dt), const(p.get("beta", 0.5), dt)
    tp, fp, fn = np.sum(y * x), np.sum((1 - y) * x), np.sum(y * (1 - x))
    return np.asarray(1 - tp / (tp + a * fp + b * fn + const(KERAS_EPSILON, dt)), dtype=object)


def softmax(z):
    e = EXP(z - np.max(z, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def poly1(x, y, p, dt):
    y, sm = one_hot(x, y), softmax(x)
    eps = const(p.get("epsilon", 2.0), dt)
    return np.asarray(-np.sum(y * LOG(sm), axis=-1) + eps * np.sum(y * (1 - sm), axis=-1),
                      dtype=object)


def categorical_focal(x, y, p, dt):
    y = one_hot(x, y)
    e = const(KERAS_EPSILON, dt)
    sm = MAX(-MAX(-softmax(x), -(1 - e)), e)  # clip(softmax, ε, 1 − ε)
    a, g = const(p.get("alpha", 0.25), dt), const(p.get("gamma", 2.0), dt)
    return np.asarray(np.sum(-a * (1 - sm) ** g * y * LOG(sm), axis=-1), dtype=object)


def generalized_ce(x, y, p, dt):
    q = const(p.get("q", 0.5), dt)
    p_y = np.asarray(np.sum(one_hot(x, y) * x, axis=-1), dtype=object)
    return (1 - p_y ** q) / q


def contrastive(x, y, p, dt):
    m = const(p.get("margin", 1.0), dt)
    return y * x * x / 2 + (1 - y) * MAX(m - x, mp.mpf(0)) ** 2 / 2


def _sparsemax(z):
    """The projection of one row z onto the simplex: τ by bisection on Σ max(z − τ, 0) = 1,
    then exactly from the support it finds (independent of the sort-based formula)."""
    lo, hi = min(z) - 1, max(z)
    for _ in range(300):
        mid = (lo + hi) / 2
        if sum(max(v - mid, 0) for v in z) > 1:
            lo = mid
        else:
            hi = mid
    support = [v for v in z if v > lo]
    tau = (sum(support) - 1) / len(support)
    return [max(v - tau, mp.mpf(0)) for v in z]


def sparsemax(x, y, p, dt):
    rows = x.reshape(-1, x.shape[-1])
    labels = np.asarray(y, dtype=float).reshape(-1).astype(int)
    out = []
    for z, label in zip(rows, labels):
        pr = _sparsemax(list(z))
        out.append(sum(pc * (zc - z[label]) for pc, zc in zip(pr, z))
                   + (1 - sum(pc * pc for pc in pr)) / 2)
    return np.asarray(out, dtype=object).reshape(x.shape[:-1])


def info_nce(x, y, p, dt):
    if y is None:  # the diagonal
        y = np.asarray(np.arange(x.shape[0]), dtype=object)
    s = x / const(p.get("temperature", 0.07), dt)
    return np.asarray(-np.sum(one_hot(s, y) * LOG(softmax(s)), axis=-1), dtype=object)


REFERENCES = {
    "info-nce": info_nce,
    "contrastive": contrastive,
    "sparsemax": sparsemax,
    "poly1": poly1,
    "categorical-focal": categorical_focal,
    "generalized-ce": generalized_ce,
    "cosine-similarity": cosine_similarity,
    "dice": dice,
    "tversky": tversky,
    "log-cosh": log_cosh,
    "mape": mape,
    "msle": msle,
    "poisson": poisson,
    "hinge": hinge,
    "squared-hinge": squared_hinge,
    "categorical-hinge": categorical_hinge,
    "quantile": quantile,
}


def reduce(elem, reduction):
    elem = np.asarray(elem, dtype=object)
    if reduction == "none":
        return elem
    total = np.sum(elem) if elem.ndim else elem[()]
    return total / elem.size if reduction == "mean" else total


def mp_case(loss, pred, target, params, reduction, dtype):
    fn = REFERENCES[loss]
    x = mparray(pred, dtype)
    y = None if target is None else mparray(target, dtype)
    elem = fn(x, y, params, dtype)
    value = reduce(elem, reduction)

    def f(xs):
        return np.sum(reduce(fn(xs, y, params, dtype), reduction))

    grad = np.empty(x.shape, dtype=object)
    for index in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[index] += H
        down[index] -= H
        grad[index] = (f(up) - f(down)) / (2 * H)
    return value, elem, grad


def torch_focal(pred, target, params, reduction, dtype):
    import torch
    import torch.nn.functional as F

    dt = {"float64": torch.float64, "float32": torch.float32}[dtype]
    inputs = torch.tensor(pred, dtype=dt, requires_grad=True)
    targets = torch.tensor(target, dtype=dt)
    alpha, gamma = params.get("alpha", 0.25), params.get("gamma", 2.0)
    # torchvision/ops/focal_loss.py, sigmoid_focal_loss, verbatim:
    p = torch.sigmoid(inputs)
    ce_loss = F.binary_cross_entropy_with_logits(inputs, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = ce_loss * ((1 - p_t) ** gamma)
    if alpha >= 0:
        alpha_t = alpha * targets + (1 - alpha) * (1 - targets)
        loss = alpha_t * loss
    value = {"none": loss, "mean": loss.mean(), "sum": loss.sum()}[reduction]
    value.sum().backward()
    return value.detach().numpy(), loss.detach().numpy(), inputs.grad.numpy()


def to_json(a, dtype):
    a = np.asarray(a, dtype=object if isinstance(np.asarray(a).flat[0], mp.mpf) else float)
    f = np.vectorize(lambda v: float(np.float32(float(v))) if dtype == "float32" else float(v),
                     otypes=[float])
    out = f(a) if a.ndim else f(a[()])
    out = np.asarray(out, dtype=float)
    return out.tolist() if out.ndim else float(out)


def case(loss, name, pred, target, **params):
    return {"loss": loss, "name": name, "pred": pred, "target": target, "params": params}


CASES = [
    case("log-cosh", "1d", randn(5), randn(5)),
    case("log-cosh", "2d", randn(3, 4, scale=2), randn(3, 4)),
    case("log-cosh", "column", randn(4, 1), randn(4, 1)),
    case("log-cosh", "scalar", 0.7, -0.2),
    case("log-cosh", "large", [[1000.0, -800.0, 30.0], [-25.5, 1e4, 0.25]],
         [[0.0, 0.0, -1.0], [0.5, -1e4, 0.0]]),
    case("mape", "1d", randn(5, scale=3), randn(5, scale=3)),
    case("mape", "2d", randn(2, 3, scale=5), randn(2, 3, scale=5)),
    case("mape", "zero-target", [1.0, 0.5, 2.0], [0.0, 1.0, 3.0]),
    case("msle", "2d", unif(3, 3, lo=0, hi=5), unif(3, 3, lo=0, hi=5)),
    case("msle", "clamped", [[2.5, -0.5, 0.0, 8.0], [1e-9, 3.0, 0.2, -2.0]],
         [[3.0, 1.0, 0.5, 7.0], [0.1, -0.5, 0.2, 2.0]]),
    case("poisson", "1d", unif(6, lo=0.05, hi=4), rng.integers(0, 6, 6).astype(float).tolist()),
    case("poisson", "2d", unif(2, 4, lo=0.05, hi=4), rng.integers(0, 6, (2, 4)).astype(float)
         .tolist()),
    case("poisson", "zero-rate", [0.0, 1.0, 2.5], [0.0, 1.0, 2.0]),
    case("hinge", "pm1", randn(2, 4, scale=2), (2 * np.asarray(labels01(2, 4)) - 1).tolist()),
    case("hinge", "01", randn(6, scale=2), labels01(6)),
    case("hinge", "other-labels", [0.3, -1.2, 2.0], [0.5, -2.0, 1.0]),
    case("squared-hinge", "pm1", randn(3, 3, scale=2),
         (2 * np.asarray(labels01(3, 3)) - 1).tolist()),
    case("squared-hinge", "01", randn(2, 3, scale=2), labels01(2, 3)),
    case("categorical-hinge", "indices", randn(4, 3, scale=2), [0, 2, 1, 2]),
    case("categorical-hinge", "onehot", randn(3, 4, scale=2),
         np.eye(4)[[3, 0, 1]].tolist()),
    case("categorical-hinge", "unbatched", [-0.5, -1.5, -2.0], 0),
    case("quantile", "1d", randn(6, scale=2), randn(6, scale=2)),
    case("quantile", "q0.9", randn(3, 2, scale=2), randn(3, 2, scale=2), q=0.9),
    case("quantile", "q0.1", randn(5), randn(5), q=0.1),
    case("cosine-similarity", "1d", randn(4), randn(4)),
    case("cosine-similarity", "2d", randn(3, 3, scale=2), randn(3, 3)),
    case("cosine-similarity", "zero-vectors", [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [0.5, -1.0, 2.0]],
         [[1.0, 2.0, 2.0], [0.0, 0.0, 0.0], [-1.0, 0.5, 0.25]]),
    case("cosine-similarity", "3d", randn(2, 2, 3), randn(2, 2, 3)),
    case("dice", "2d", unif(3, 4, lo=0, hi=1), labels01(3, 4)),
    case("dice", "soft", unif(5, lo=0, hi=1), unif(5, lo=0, hi=1)),
    case("dice", "empty-mask", [0.2, 0.1, 0.05], [0.0, 0.0, 0.0]),
    case("tversky", "default", unif(2, 5, lo=0, hi=1), labels01(2, 5)),
    case("tversky", "a0.3-b0.7", unif(3, 3, lo=0, hi=1), labels01(3, 3), alpha=0.3, beta=0.7),
    case("tversky", "a0.8-b0.2", unif(6, lo=0, hi=1), labels01(6), alpha=0.8, beta=0.2),
    case("poly1", "indices", randn(4, 3, scale=2), [0, 2, 1, 1]),
    case("poly1", "probs-eps1", randn(2, 4, scale=2), [[0.1, 0.2, 0.3, 0.4], [0.0, 0.0, 1.0, 0.0]],
         epsilon=1.0),
    case("poly1", "unbatched", [1.0, -0.5, 2.0], 2),
    case("poly1", "large", [[1000.0, -1000.0, 0.0], [0.0, 50.0, -50.0]], [1, 2]),
    case("categorical-focal", "indices", randn(4, 3, scale=2), [0, 2, 1, 1]),
    case("categorical-focal", "onehot", randn(3, 4, scale=2), np.eye(4)[[1, 3, 0]].tolist(),
         alpha=0.5, gamma=1.5),
    case("categorical-focal", "clipped", [[40.0, 0.0, -40.0], [-30.0, 30.0, 0.0]], [2, 1]),
    case("categorical-focal", "gamma0", [0.3, -1.0, 2.0], 0, gamma=0.0),
    case("generalized-ce", "indices", (np.asarray(unif(3, 4)) /
                                       np.asarray(unif(3, 4)).sum()).round(4).tolist(), [0, 3, 1]),
    case("generalized-ce", "q0.7", [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]], [[1, 0, 0], [0, 0, 1]],
         q=0.7),
    case("generalized-ce", "unbatched", [0.25, 0.5, 0.25], 1, q=0.2),
    case("contrastive", "1d", unif(6, lo=0, hi=2), labels01(6)),
    case("contrastive", "margin2", unif(2, 4, lo=0, hi=3), labels01(2, 4), margin=2.0),
    case("contrastive", "zero-distance", [0.0, 0.0, 1.2], [1.0, 0.0, 0.0]),
    case("sparsemax", "batch", randn(4, 5, scale=2), [0, 4, 2, 1]),
    case("sparsemax", "unbatched", [1.5, 1.0, -1.0], 0),
    case("sparsemax", "one-hot-p", [[0.2, 0.1, 2.0], [5.0, 0.0, 0.0]], [1, 0]),
    case("sparsemax", "large", [[1000.0, 999.5, -1000.0], [1e4, 1e4 - 0.25, 0.0]], [1, 0]),
    case("info-nce", "diagonal", unif(4, 4, lo=-1, hi=1), None),
    case("info-nce", "targets", unif(3, 5, lo=-1, hi=1), [4, 0, 2], temperature=0.1),
    case("info-nce", "tau1", randn(2, 3), [1, 2], temperature=1.0),
    case("info-nce", "unbatched", [0.5, -0.2, 0.9], 2, temperature=0.2),
    case("focal", "1d", randn(6, scale=2), labels01(6)),
    case("focal", "2d", randn(3, 4, scale=3), labels01(3, 4)),
    case("focal", "no-alpha", randn(5, scale=2), labels01(5), alpha=-1.0),
    case("focal", "gamma0", randn(4, scale=2), labels01(4), gamma=0.0),
    case("focal", "gamma1.5", randn(2, 3, scale=2), labels01(2, 3), alpha=0.5, gamma=1.5),
    case("focal", "soft", randn(5, scale=2), unif(5, lo=0, hi=1)),
    case("focal", "large", [30.0, -30.0, 12.0, -12.0], [1.0, 0.0, 0.0, 1.0]),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent.parent / "tests" /
                                         "data" / "golden_zoo.json"))
    args = ap.parse_args()
    out = []
    for c in CASES:
        for dtype in DTYPES:
            for reduction in REDUCTIONS:
                if c["loss"] == "focal":
                    value, elem, grad = torch_focal(c["pred"], c["target"], c["params"],
                                                    reduction, dtype)
                else:
                    value, elem, grad = mp_case(c["loss"], c["pred"], c["target"],
                                                c["params"], reduction, dtype)
                out.append({
                    "id": f"{c['loss']}-{c['name']}-{'f64' if dtype == 'float64' else 'f32'}"
                          f"-{reduction}",
                    "loss": c["loss"],
                    "inputs": {"pred": c["pred"], "target": c["target"]},
                    "params": c["params"],
                    "reduction": reduction,
                    "dtype": dtype,
                    "value": to_json(value, dtype),
                    "elementwise": to_json(elem, dtype),
                    "grad": {"pred": to_json(grad, dtype)},
                })
    Path(args.out).write_text(json.dumps({
        "generator": "scripts/make_golden_zoo.py",
        "reference": "formulas of docs/zoo.md in mpmath (50 digits); focal: torch "
                     "autograd of torchvision's sigmoid_focal_loss",
        "cases": out,
    }, indent=1) + "\n")
    print(f"{len(out)} cases -> {args.out}")


if __name__ == "__main__":
    main()
