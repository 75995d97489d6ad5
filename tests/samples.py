"""Valid random inputs for every loss, for the property tests (gradients, recorded steps).

One entry per registered loss; test_registry fails when a loss has none. Each maker takes a
NumPy Generator and returns (pred, target, params, reductions). Inputs keep away from kinks
(|d| near 0 or β) where a central difference cannot see PyTorch's one-sided convention.
"""

from __future__ import annotations

import numpy as np

REDUCTIONS = ("mean", "sum", "none")


def _away_from(rng, shape, kinks, gap=1e-2):
    """Differences d with |d − k| > gap for every kink k."""
    d = rng.normal(0, 2, size=shape)
    for k in kinks:
        for sign in (1, -1):
            close = np.abs(d - sign * k) < gap
            d[close] += 3 * gap
    return d


def _shape(rng):
    return [(), (4,), (3, 2), (2, 3, 2)][rng.integers(4)]


def regression(kinks_of):
    def make(rng):
        params = kinks_of(rng)
        kinks = [0.0, *[v for v in params.values()]]
        shape = _shape(rng)
        target = rng.normal(0, 3, size=shape)
        pred = target + _away_from(rng, shape, kinks)
        return pred, target, params, ("mean", "sum", "none")

    return make


def _distribution(rng, shape, axis):
    q = rng.uniform(0.05, 1, size=shape)
    return q / q.sum(axis=axis, keepdims=True)


def _logits(rng, shape, scale=3.0):
    return rng.normal(0, scale, size=shape)


def ce(rng):
    n, c = rng.integers(1, 5), rng.integers(2, 6)
    shape = [(c,), (n, c), (n, c, 3)][rng.integers(3)]
    z = _logits(rng, shape)
    params = {}
    if rng.random() < 0.5:
        params["weight"] = rng.uniform(0.1, 3, size=c)
    if rng.random() < 0.5:
        params["label_smoothing"] = float(rng.uniform(0, 0.5))
    axis = 0 if len(shape) == 1 else 1
    if rng.random() < 0.3:  # probability targets
        return z, _distribution(rng, shape, axis), params, ("mean", "sum", "none")
    idx_shape = shape[:axis] + shape[axis + 1:]
    target = rng.integers(0, c, size=idx_shape).astype(float)
    if target.ndim and rng.random() < 0.5:
        target.reshape(-1)[0] = -100  # one ignored target
    return z, target, params, ("mean", "sum", "none")


def nll(rng):
    z, target, params, reductions = ce(rng)
    axis = 0 if z.ndim == 1 else 1
    if target.shape == z.shape:
        target = np.argmax(target, axis=axis).astype(float)
    logp = z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
    params.pop("label_smoothing", None)
    return logp, target, params, reductions


def bce(rng):
    shape = _shape(rng)
    p = rng.uniform(0.02, 0.98, size=shape)
    y = rng.uniform(0, 1, size=shape) if rng.random() < 0.5 else rng.integers(0, 2, shape) * 1.0
    params = {"weight": rng.uniform(0.1, 2, size=shape[-1:])} if rng.random() < 0.5 else {}
    return p, y, params, ("mean", "sum", "none")


def bce_logits(rng):
    p, y, params, reductions = bce(rng)
    x = np.log(p / (1 - p)) * 2
    if rng.random() < 0.5:
        params["pos_weight"] = rng.uniform(0.1, 4, size=x.shape[-1:])
    return x, y, params, reductions


def multilabel(rng):
    n, c = rng.integers(1, 5), rng.integers(1, 5)
    shape = [(c,), (n, c)][rng.integers(2)]
    params = {"weight": rng.uniform(0.1, 2, size=c)} if rng.random() < 0.5 else {}
    return _logits(rng, shape), rng.integers(0, 2, shape) * 1.0, params, ("mean", "sum", "none")


def kl(rng):
    n, c = rng.integers(1, 4), rng.integers(2, 5)
    shape = [(c,), (n, c), (n, c, 2)][rng.integers(3)]
    logq = np.log(_distribution(rng, shape, -1))
    y = _distribution(rng, shape, -1)
    if rng.random() < 0.3:
        y.reshape(-1)[0] = 0.0  # a zero target contributes 0
    params = {}
    if rng.random() < 0.3:
        params["log_target"] = True
        y = np.log(np.maximum(y, 1e-3))
    return logq, y, params, ("mean", "sum", "none", "batchmean")


# --- the losses PyTorch lacks (docs/zoo.md) ----------------------------------------------------

ALL = ("mean", "sum", "none")


def log_cosh(rng):
    shape = _shape(rng)
    y = rng.normal(0, 3, size=shape)
    return y + rng.normal(0, 2, size=shape), y, {}, ALL


def mape(rng):
    shape = _shape(rng)
    y = rng.choice([-1, 1], size=shape) * rng.uniform(0.5, 5, size=shape)
    return y + _away_from(rng, shape, [0.0]), y, {}, ALL


def msle(rng):
    shape = _shape(rng)
    return rng.uniform(0.1, 5, size=shape), rng.uniform(0.1, 5, size=shape), {}, ALL


def poisson(rng):
    shape = _shape(rng)
    return rng.uniform(0.1, 4, size=shape), rng.integers(0, 6, size=shape) * 1.0, {}, ALL


def hinge(rng):
    shape = _shape(rng)
    y = rng.integers(0, 2, size=shape) * 1.0
    signs = 2 * y - 1
    if rng.random() < 0.5:
        y = signs  # ±1 given directly
    margin = _away_from(rng, shape, [0.0])  # 1 − y·ŷ, away from the kink at 0
    return signs * (1 - margin), y, {}, ALL


def _class_scores(rng, gap=1e-2):
    """Scores (C,) or (N, C) and targets (indices or one-hot) away from the hinge's kinks."""
    n, c = rng.integers(1, 5), rng.integers(2, 5)
    shape = [(c,), (n, c)][rng.integers(2)]
    z = _logits(rng, shape)
    labels = rng.integers(0, c, size=shape[:-1])
    onehot = (labels[..., None] == np.arange(c)) * 1.0
    margin = np.max((1 - onehot) * z, -1) - np.sum(onehot * z, -1) + 1
    z = z + np.where(np.abs(margin) < gap, 3 * gap, 0)[..., None] * onehot
    return z, labels * 1.0 if rng.random() < 0.5 else onehot


def categorical_hinge(rng):
    z, y = _class_scores(rng)
    return z, y, {}, ALL


def quantile(rng):
    shape = [(4,), (3, 2)][rng.integers(2)]
    y = rng.normal(0, 3, size=shape)
    return y - _away_from(rng, shape, [0.0]), y, {"q": float(rng.choice([0.1, 0.5, 0.9]))}, ALL


def focal(rng):
    shape = _shape(rng)
    params = {"alpha": float(rng.choice([0.25, 0.5, -1.0])),
              "gamma": float(rng.choice([0.0, 1.0, 1.5, 2.0]))}
    return _logits(rng, shape), rng.integers(0, 2, size=shape) * 1.0, params, ALL


def cosine_similarity(rng):
    shape = [(3,), (4, 2), (2, 2, 3)][rng.integers(3)]
    return rng.normal(0, 2, size=shape), rng.normal(0, 2, size=shape), {}, ALL


def dice(rng):
    shape = _shape(rng)
    y = rng.integers(0, 2, size=shape) * 1.0 if rng.random() < 0.7 else rng.uniform(0, 1, shape)
    return rng.uniform(0.02, 0.98, size=shape), y, {}, ALL


def tversky(rng):
    p, y, _, reductions = dice(rng)
    return p, y, {"alpha": float(rng.uniform(0, 1)), "beta": float(rng.uniform(0, 1))}, reductions


def _class_targets(rng, z, probabilities=True):
    """Class indices, one-hot rows or (when ``probabilities``) distributions for z (…, C)."""
    c = z.shape[-1]
    labels = rng.integers(0, c, size=z.shape[:-1])
    kind = rng.integers(3 if probabilities else 2)
    if kind == 0:
        return labels * 1.0
    if kind == 1:
        return (labels[..., None] == np.arange(c)) * 1.0
    return _distribution(rng, z.shape, -1)


def _class_logits(rng, scale=3.0):
    n, c = rng.integers(1, 5), rng.integers(2, 5)
    return _logits(rng, [(c,), (n, c), (n, 2, c)][rng.integers(3)], scale)


def poly1(rng):
    z = _class_logits(rng)
    return z, _class_targets(rng, z), {"epsilon": float(rng.choice([0.0, 1.0, 2.0]))}, ALL


def categorical_focal(rng):
    z = _class_logits(rng, 2.0)  # softmax stays inside Keras' clip [1e-7, 1 − 1e-7]
    params = {"alpha": float(rng.choice([0.25, 1.0])),
              "gamma": float(rng.choice([0.0, 1.0, 1.5, 2.0]))}
    return z, _class_targets(rng, z), params, ALL


def generalized_ce(rng):
    z = _class_logits(rng, 1.0)  # p_y not tiny: p_y^(q − 1) curves too fast for a difference
    p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    return p, _class_targets(rng, z, False), {"q": float(rng.choice([0.2, 0.5, 0.9]))}, ALL


def contrastive(rng):
    shape = _shape(rng)
    margin = float(rng.choice([0.5, 1.0, 2.0]))
    d = np.abs(margin + _away_from(rng, shape, [0.0]) / 2)  # away from the margin's kink
    return d, rng.integers(0, 2, size=shape) * 1.0, {"margin": margin}, ALL


def sparsemax(rng):
    n, c = rng.integers(1, 5), rng.integers(2, 6)
    z = _logits(rng, [(c,), (n, c)][rng.integers(2)], 1.5)
    return z, rng.integers(0, c, size=z.shape[:-1]) * 1.0, {}, ALL


def info_nce(rng):
    n = rng.integers(1, 5)
    params = {"temperature": float(rng.choice([0.1, 0.5, 1.0]))}
    if rng.random() < 0.5:  # without a target: the diagonal
        return rng.uniform(-1, 1, size=(n, n)), None, params, ALL
    m = rng.integers(2, 6)
    s = rng.uniform(-1, 1, size=[(m,), (n, m)][rng.integers(2)])
    return s, rng.integers(0, m, size=s.shape[:-1]) * 1.0, params, ALL


# --- PyTorch's margin losses and Poisson NLL (losscalc/losses/margin.py) -------------------------


def poisson_nll(rng):
    shape = _shape(rng)
    params = {"log_input": bool(rng.random() < 0.5), "full": bool(rng.random() < 0.5)}
    y = rng.integers(0, 6, size=shape) * 1.0
    if params["log_input"]:
        return rng.normal(0, 1, size=shape), y, params, ALL
    return rng.uniform(0.1, 4, size=shape), y, params, ALL


def soft_margin(rng):
    shape = _shape(rng)
    return rng.normal(0, 2, size=shape), rng.choice([-1.0, 1.0], size=shape), {}, ALL


def multi_margin(rng):
    """Scores with every z = margin − x_y + x_c away from the kink at 0."""
    n, c = rng.integers(1, 5), rng.integers(2, 5)
    shape = [(c,), (n, c)][rng.integers(2)]
    margin = float(rng.choice([0.5, 1.0, 2.0]))
    labels = rng.integers(0, c, size=shape[:-1])
    onehot = labels[..., None] == np.arange(c)
    z = _away_from(rng, shape, [0.0])  # the margins z_c themselves
    x = np.where(onehot, 0.0, z - margin)  # x_y = 0, so z_c = margin + x_c
    params = {"p": int(rng.choice([1, 2])), "margin": margin}
    if rng.random() < 0.5:
        params["weight"] = rng.uniform(0.1, 3, size=c)
    return x, labels * 1.0, params, ALL


def multilabel_margin(rng):
    """Target lists padded with −1; scores keep every 1 − x_t + x_i away from 0."""
    n, c = rng.integers(1, 4), rng.integers(2, 5)
    shape = [(c,), (n, c)][rng.integers(2)]
    rows = np.full((n if len(shape) == 2 else 1, c), -1.0)
    for row in rows:
        k = rng.integers(0, c + 1)
        row[:k] = rng.permutation(c)[:k]
    while True:  # every pair's 1 − x_a + x_b at least 0.02 from the kink at 0
        x = rng.normal(0, 1, size=shape)
        flat = x.reshape(-1, c)
        if np.all(np.abs(1 - flat[:, :, None] + flat[:, None, :]) > 0.02):
            return x, rows.reshape(shape), {}, ALL


def hinge_embedding(rng):
    shape = _shape(rng)
    margin = float(rng.choice([0.5, 1.0, 2.0]))
    y = rng.choice([-1.0, 1.0], size=shape)
    x = margin + _away_from(rng, shape, [0.0])  # away from the kink at x = margin
    return x, y, {"margin": margin}, ALL


# Losses of several tensors: the first item is a dict of them (compute() takes it as it is).
def gaussian_nll(rng):
    shape = _shape(rng)
    pred, target = rng.normal(0, 2, size=shape), rng.normal(0, 2, size=shape)
    var_shape = shape[:-1] if shape and rng.random() < 0.4 else shape  # one per row
    var = rng.uniform(0.1, 3, size=var_shape)
    params = {"full": bool(rng.random() < 0.5)}
    return {"pred": pred, "target": target, "var": var}, None, params, REDUCTIONS


def _pairs(rng, batched=True):
    n, d = rng.integers(1, 5), rng.integers(2, 5)
    shape = (n, d) if batched else (d,)
    return rng.normal(0, 1, size=shape), rng.normal(0, 1, size=shape), shape


def cosine_embedding(rng):
    x1, x2, shape = _pairs(rng, batched=rng.random() < 0.8)
    target = rng.choice([-1.0, 1.0], size=shape[:-1])
    margin = float(rng.choice([0.0, 0.2, -0.3]))
    cos = np.sum(x1 * x2, -1) / np.sqrt(np.sum(x1 * x1, -1) * np.sum(x2 * x2, -1))
    x2 = np.where(np.expand_dims(np.abs(cos - margin) < 1e-2, -1), -x2, x2)  # off the kink
    return {"x1": x1, "x2": x2, "target": target}, None, {"margin": margin}, REDUCTIONS


def margin_ranking(rng):
    shape = _shape(rng)
    x1, target = rng.normal(0, 2, size=shape), rng.choice([-1.0, 1.0], size=shape)
    margin = float(rng.choice([0.0, 0.5]))
    gap = _away_from(rng, shape, [0.0])  # −y·(x1 − x2) + margin = gap, away from the kink
    x2 = x1 + (gap - margin) / target
    return {"x1": x1, "x2": x2, "target": target}, None, {"margin": margin}, REDUCTIONS


def triplet(rng):
    a, pos, shape = _pairs(rng, batched=rng.random() < 0.8)
    neg = rng.normal(0, 1, size=shape)
    params = {"margin": float(rng.choice([0.5, 1.0, 2.0])),
              "p": float(rng.choice([0.5, 1, 2, 3, np.inf])), "swap": bool(rng.random() < 0.5)}
    if params["p"] <= 1:  # |·| has a kink where a component of a difference is 0: keep
        # the three apart, each component a permutation of base + 0.5·(0, 1, 2) (± 0.1)
        order = rng.permuted(np.broadcast_to(np.arange(3.0), shape + (3,)), axis=-1)
        spread = 0.5 * order + rng.uniform(-0.1, 0.1, size=order.shape)
        a, pos, neg = np.moveaxis(a[..., None] + spread, -1, 0)
    return {"anchor": a, "positive": pos, "negative": neg}, None, params, REDUCTIONS


def ctc(rng):
    """Normalised log-probs (as log_softmax gives them) and feasible label sequences."""
    steps, classes = int(rng.integers(3, 8)), int(rng.integers(3, 6))
    batch = int(rng.integers(1, 4)) if rng.random() < 0.7 else None
    n = batch or 1
    z = rng.normal(0, 1.5, size=(steps, n, classes))
    lp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    blank = int(rng.integers(classes)) if rng.random() < 0.3 else 0
    labels = [c for c in range(classes) if c != blank]
    width = int(rng.integers(1, steps // 2 + 1))  # 2·width steps align any labels
    target = rng.choice(labels, size=(n, width))
    lengths = rng.integers(0, width + 1, size=n)
    params = {"blank": blank, "zero_infinity": bool(rng.random() < 0.3)}
    if batch is None:
        tensors = {"pred": lp[:, 0], "target": target[0]}
    else:
        tensors = {"pred": lp, "target": target, "target_lengths": lengths,
                   "input_lengths": rng.integers(2 * width, steps + 1, size=n)}
    return tensors, None, params, REDUCTIONS


SAMPLES = {
    "l1": regression(lambda rng: {}),
    "mse": regression(lambda rng: {}),
    "smooth-l1": regression(lambda rng: {"beta": float(rng.choice([0.0, 0.5, 1.0, 2.0]))}),
    "huber": regression(lambda rng: {"delta": float(rng.choice([0.5, 1.0, 2.0]))}),
    "ce": ce,
    "nll": nll,
    "bce": bce,
    "bce-logits": bce_logits,
    "multilabel-soft-margin": multilabel,
    "kl": kl,
    "focal": focal,
    "log-cosh": log_cosh,
    "mape": mape,
    "msle": msle,
    "poisson": poisson,
    "hinge": hinge,
    "squared-hinge": hinge,
    "categorical-hinge": categorical_hinge,
    "quantile": quantile,
    "cosine-similarity": cosine_similarity,
    "dice": dice,
    "tversky": tversky,
    "poly1": poly1,
    "categorical-focal": categorical_focal,
    "generalized-ce": generalized_ce,
    "contrastive": contrastive,
    "sparsemax": sparsemax,
    "info-nce": info_nce,
    "poisson-nll": poisson_nll,
    "soft-margin": soft_margin,
    "multi-margin": multi_margin,
    "multilabel-margin": multilabel_margin,
    "hinge-embedding": hinge_embedding,
    "gaussian-nll": gaussian_nll,
    "cosine-embedding": cosine_embedding,
    "margin-ranking": margin_ranking,
    "triplet": triplet,
    "ctc": ctc,
}


def tensor_args(pred, target) -> list[str]:
    """The command-line options that give these tensors (a dict: one option per tensor)."""
    import json

    tensors = pred if isinstance(pred, dict) else {"pred": pred, "target": target}
    return [arg for name, value in tensors.items() if value is not None
            for arg in ("--" + name.replace("_", "-"), json.dumps(np.asarray(value).tolist()))]
