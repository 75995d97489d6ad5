"""Generate tests/data/golden_multi.json: PyTorch's values for the losses of several tensors
(gaussian-nll, cosine-embedding, margin-ranking, triplet, ctc), in the schema of
tests/data/golden.json but with every tensor under "inputs" by its losscalc name and a
gradient for each tensor that carries one (for reduction 'none', of value.sum()).

Cases where torch raises are recorded with its message under "error" (names hold "-err-").
Inputs include the kinks (a hinge exactly at 0, cosine exactly at the margin), ties of --swap,
variances below ε, zero vectors, and CTC's impossible alignments (inf, zero_infinity) and
repeated labels. The tests never import torch. Deterministic (fixed seed); to regenerate:

    pip install torch==2.13.0 && python scripts/make_golden_multi.py [--out PATH]
"""

import warnings

import numpy as np
import torch
import torch.nn as nn
from make_golden import DTYPES, enc, output_path, save

rng = np.random.default_rng(2026)

# Each loss: the torch.nn class, its tensors in torch's argument order (losscalc names), the
# ones that carry a gradient, and the ones that hold integers.
LOSSES = {
    "gaussian-nll": (nn.GaussianNLLLoss, ("pred", "target", "var"), ("pred", "var"), ()),
    "cosine-embedding": (nn.CosineEmbeddingLoss, ("x1", "x2", "target"), ("x1", "x2"), ()),
    "margin-ranking": (nn.MarginRankingLoss, ("x1", "x2", "target"), ("x1", "x2"), ()),
    "triplet": (nn.TripletMarginLoss, ("anchor", "positive", "negative"),
                ("anchor", "positive", "negative"), ()),
    "ctc": (nn.CTCLoss, ("pred", "target", "input_lengths", "target_lengths"), ("pred",),
            ("target", "input_lengths", "target_lengths")),
}


def randn(*shape, scale=1.0):
    return np.round(rng.normal(0.0, scale, shape), 4).tolist()


def unif(*shape, lo=0.05, hi=2.0):
    return np.round(rng.uniform(lo, hi, shape), 4).tolist()


def signs(*shape):
    return rng.choice([-1.0, 1.0], shape).tolist()


def log_probs(*shape):
    """Normalised log-probabilities along the last axis, as log_softmax gives them."""
    z = torch.tensor(rng.normal(0.0, 1.5, shape))
    return torch.log_softmax(z, -1).tolist()


def case(loss, name, params=None, **inputs):
    return {"loss": loss, "name": name, "inputs": inputs, "params": params or {}}


CASES = [
    # --- gaussian nll ------------------------------------------------------------------------
    case("gaussian-nll", "scalar", pred=0.3, target=1.0, var=0.5),
    case("gaussian-nll", "rand-4x3", pred=randn(4, 3), target=randn(4, 3), var=unif(4, 3)),
    case("gaussian-nll", "full", {"full": True}, pred=randn(4, 3), target=randn(4, 3),
         var=unif(4, 3)),
    case("gaussian-nll", "var-per-row", pred=randn(4, 3), target=randn(4, 3), var=unif(4)),
    case("gaussian-nll", "var-per-row-kept", pred=randn(4, 3), target=randn(4, 3),
         var=unif(4, 1)),
    case("gaussian-nll", "var-one-axis", pred=randn(2, 3, 4), target=randn(2, 3, 4),
         var=unif(2, 1, 4)),
    case("gaussian-nll", "var-scalar", pred=randn(5), target=randn(5), var=0.7),
    case("gaussian-nll", "var-below-eps", pred=randn(5), target=randn(5),
         var=[0.0, 1e-9, 1e-6, 2e-6, 1.0]),
    case("gaussian-nll", "eps-0.1", {"eps": 0.1}, pred=randn(5), target=randn(5),
         var=[0.0, 0.05, 0.1, 0.2, 1.0]),
    case("gaussian-nll", "broadcast-target", pred=randn(3, 4), target=randn(4), var=unif(3, 4)),
    case("gaussian-nll", "err-negative-var", pred=randn(3), target=randn(3),
         var=[1.0, -0.5, 1.0]),
    case("gaussian-nll", "err-var-shape", pred=randn(3, 4), target=randn(3, 4), var=unif(2)),
    case("gaussian-nll", "err-var-two-axes", pred=randn(2, 3, 4), target=randn(2, 3, 4),
         var=unif(2, 1, 1)),
    # --- cosine embedding --------------------------------------------------------------------
    case("cosine-embedding", "unbatched-similar", x1=randn(4), x2=randn(4), target=1.0),
    case("cosine-embedding", "unbatched-dissimilar", x1=randn(4), x2=randn(4), target=-1.0),
    case("cosine-embedding", "rand-5x3", x1=randn(5, 3), x2=randn(5, 3), target=signs(5)),
    case("cosine-embedding", "margin", {"margin": 0.3}, x1=randn(6, 4), x2=randn(6, 4),
         target=signs(6)),
    case("cosine-embedding", "negative-margin", {"margin": -0.5}, x1=randn(4, 3),
         x2=randn(4, 3), target=[-1.0, -1.0, 1.0, -1.0]),
    # cos exactly at the margin (0 for orthogonal vectors), parallel and opposite vectors
    case("cosine-embedding", "kinks", x1=[[1.0, 0.0], [0.0, 2.0], [1.0, 1.0], [3.0, 0.0]],
         x2=[[0.0, 1.0], [5.0, 0.0], [2.0, 2.0], [-1.0, 0.0]], target=[-1.0, -1.0, 1.0, -1.0]),
    case("cosine-embedding", "zero-vector", x1=[[0.0, 0.0], [1.0, 2.0]],
         x2=[[1.0, 1.0], [0.0, 0.0]], target=[1.0, -1.0]),
    case("cosine-embedding", "other-labels", x1=randn(4, 3), x2=randn(4, 3),
         target=[0.0, 1.0, 2.0, -1.0]),
    case("cosine-embedding", "broadcast-x2", x1=randn(4, 3), x2=randn(1, 3), target=signs(4)),
    case("cosine-embedding", "large", x1=[[1e150, 1e150], [1e-150, 0.0]],
         x2=[[1e150, -1e150], [1e-150, 1e-150]], target=[1.0, 1.0]),
    case("cosine-embedding", "err-2d-target", x1=randn(2, 3), x2=randn(2, 3),
         target=[[1.0], [1.0]]),
    case("cosine-embedding", "err-1d-inputs-1d-target", x1=randn(3), x2=randn(3),
         target=[1.0, 1.0, 1.0]),
    case("cosine-embedding", "err-2d-inputs-scalar-target", x1=randn(2, 3), x2=randn(2, 3),
         target=1.0),
    # --- margin ranking ----------------------------------------------------------------------
    case("margin-ranking", "scalar", x1=0.3, x2=0.5, target=1.0),
    case("margin-ranking", "rand-6", x1=randn(6), x2=randn(6), target=signs(6)),
    case("margin-ranking", "rand-3x4-margin", {"margin": 0.5}, x1=randn(3, 4), x2=randn(3, 4),
         target=signs(3, 4)),
    case("margin-ranking", "kinks", x1=[0.5, 0.5, 1.0, 0.0], x2=[0.5, 0.5, 0.0, 1.0],
         target=[1.0, -1.0, 1.0, -1.0]),
    case("margin-ranking", "kinks-margin", {"margin": 1.0}, x1=[1.5, 0.0, 2.0],
         x2=[0.5, 1.0, 1.0], target=[1.0, -1.0, 1.0]),
    case("margin-ranking", "other-labels", x1=randn(4), x2=randn(4), target=[0.0, 2.0, 0.5, -3.0]),
    case("margin-ranking", "broadcast", x1=randn(3, 1), x2=randn(1, 4), target=signs(3, 4)),
    case("margin-ranking", "err-dims", x1=randn(3), x2=randn(3), target=signs(1, 3)),
    case("margin-ranking", "err-shapes", x1=randn(3), x2=randn(4), target=signs(3)),
    # --- triplet -----------------------------------------------------------------------------
    case("triplet", "unbatched", anchor=randn(4), positive=randn(4), negative=randn(4)),
    case("triplet", "rand-5x3", anchor=randn(5, 3), positive=randn(5, 3), negative=randn(5, 3)),
    case("triplet", "p1", {"p": 1.0}, anchor=randn(5, 3), positive=randn(5, 3),
         negative=randn(5, 3)),
    case("triplet", "p3-margin", {"p": 3.0, "margin": 0.5}, anchor=randn(5, 3),
         positive=randn(5, 3), negative=randn(5, 3)),
    case("triplet", "p1.5", {"p": 1.5}, anchor=randn(4, 3), positive=randn(4, 3),
         negative=randn(4, 3)),
    case("triplet", "p0.5", {"p": 0.5}, anchor=randn(4, 3), positive=randn(4, 3),
         negative=randn(4, 3)),
    case("triplet", "p-inf", {"p": float("inf")}, anchor=randn(5, 3), positive=randn(5, 3),
         negative=randn(5, 3)),
    case("triplet", "p-inf-ties", {"p": float("inf"), "eps": 0.0},
         anchor=[[0.0, 0.0], [1.0, 1.0]], positive=[[1.0, -1.0], [0.0, 0.0]],
         negative=[[3.0, 3.0], [1.5, 1.0]]),
    case("triplet", "p0.5-zeros", {"p": 0.5, "eps": 0.0}, anchor=[[1.0, 2.0, 0.0], [0.5, -0.5, 1.0]],
         positive=[[1.0, 0.0, 0.0], [0.5, 0.5, 3.0]], negative=[[0.0, 0.0, 0.0], [2.0, -0.5, 1.0]]),
    case("triplet", "swap", {"swap": True}, anchor=randn(6, 3), positive=randn(6, 3),
         negative=randn(6, 3)),
    case("triplet", "eps-0", {"eps": 0.0}, anchor=randn(4, 3), positive=randn(4, 3),
         negative=randn(4, 3)),
    # a − pos + ε = 0 (a zero distance), a hinge exactly at 0, swap ties
    case("triplet", "zero-distance", {"eps": 0.0},
         anchor=[[1.0, 2.0], [0.0, 0.0], [1.0, 1.0]],
         positive=[[1.0, 2.0], [3.0, 4.0], [1.0, 2.0]],
         negative=[[2.0, 2.0], [0.0, 0.0], [1.0, 1.0]]),
    case("triplet", "hinge-at-0", {"eps": 0.0, "margin": 1.0},
         anchor=[[0.0, 0.0], [0.0, 0.0]], positive=[[1.0, 0.0], [0.0, 3.0]],
         negative=[[2.0, 0.0], [0.0, 4.0]]),
    case("triplet", "swap-tie", {"swap": True, "eps": 0.0},
         anchor=[[0.0, 0.0], [1.0, 0.0]], positive=[[1.0, 0.0], [0.0, 0.0]],
         negative=[[2.0, 0.0], [1.0, 1.0]]),
    case("triplet", "broadcast-positive", anchor=randn(4, 3), positive=randn(1, 3),
         negative=randn(4, 3)),
    case("triplet", "err-dims", anchor=randn(4, 3), positive=randn(3), negative=randn(4, 3)),
    # --- ctc ---------------------------------------------------------------------------------
    case("ctc", "unbatched", pred=log_probs(5, 4), target=[1, 2, 3]),
    case("ctc", "unbatched-lengths", pred=log_probs(6, 4), target=[[1, 2, 3, 1]],
         input_lengths=5, target_lengths=2),
    case("ctc", "err-unbatched-target-length", pred=log_probs(6, 4), target=[1, 2, 3, 1],
         target_lengths=2),
    case("ctc", "repeats", pred=log_probs(6, 3), target=[1, 1, 2]),
    case("ctc", "padded", pred=log_probs(6, 3, 5), target=[[1, 2, 3, 4], [2, 2, 0, 0],
                                                           [4, 3, 1, 0]],
         input_lengths=[6, 5, 4], target_lengths=[4, 2, 3]),
    case("ctc", "padded-default-lengths", pred=log_probs(7, 2, 4), target=[[1, 2, 3], [3, 3, 1]]),
    case("ctc", "concatenated", pred=log_probs(6, 3, 5), target=[1, 2, 3, 4, 2, 2, 4, 3, 1],
         input_lengths=[6, 5, 4], target_lengths=[4, 2, 3]),
    case("ctc", "empty-target", pred=log_probs(4, 2, 3), target=[[1, 2], [0, 0]],
         target_lengths=[2, 0]),
    case("ctc", "no-steps", pred=log_probs(4, 2, 3), target=[[1, 2], [0, 0]],
         input_lengths=[0, 4], target_lengths=[0, 2]),
    case("ctc", "impossible", pred=log_probs(3, 2, 4), target=[[1, 1, 2], [1, 2, 3]]),
    case("ctc", "impossible-zero-infinity", {"zero_infinity": True}, pred=log_probs(3, 2, 4),
         target=[[1, 1, 2], [1, 2, 3]]),
    case("ctc", "no-steps-impossible-zero-infinity", {"zero_infinity": True},
         pred=log_probs(3, 2, 4), target=[[1, 2], [2, 1]], input_lengths=[0, 3]),
    case("ctc", "blank-2", {"blank": 2}, pred=log_probs(5, 2, 4), target=[[0, 1], [3, 3]]),
    case("ctc", "blank-in-target", pred=log_probs(5, 4), target=[1, 0, 2]),
    case("ctc", "long", pred=log_probs(60, 2, 6), target=[[1, 2, 3, 4, 5, 1, 2, 3, 4, 5],
                                                          [5, 5, 5, 1, 1, 1, 2, 2, 0, 0]],
         target_lengths=[10, 8]),
    case("ctc", "near-impossible", pred=[[0.0, -1e4, -1e4], [-1e4, 0.0, -1e4], [0.0, -1e4, -1e4],
                                         [-1e4, -1e4, 0.0]], target=[1, 2]),
    case("ctc", "unnormalised", pred=randn(5, 4, scale=2.0), target=[1, 3]),
    case("ctc", "err-input-length-above-T", pred=log_probs(4, 2, 3), target=[[1, 2], [2, 1]],
         input_lengths=[5, 4]),
    case("ctc", "err-negative-input-length", pred=log_probs(4, 2, 3), target=[[1, 2], [2, 1]],
         input_lengths=[-1, 4]),
    case("ctc", "err-target-length-above-S", pred=log_probs(4, 2, 3), target=[[1, 2], [2, 1]],
         target_lengths=[3, 1]),
    case("ctc", "err-concatenated-sum", pred=log_probs(4, 2, 3), target=[1, 2, 2],
         target_lengths=[2, 2]),
    case("ctc", "err-blank-out-of-range", {"blank": 3}, pred=log_probs(4, 2, 3),
         target=[[1, 2], [2, 1]]),
    case("ctc", "err-lengths-shape", pred=log_probs(4, 2, 3), target=[[1, 2], [2, 1]],
         input_lengths=[4, 4, 4]),
    case("ctc", "err-rows", pred=log_probs(4, 2, 3), target=[[1, 2], [2, 1], [1, 1]]),
]


def run(c, reduction, dtype):
    cls, order, with_grad, integers = LOSSES[c["loss"]]
    dt = DTYPES[dtype]
    rec = {"id": f"{c['loss']}-{c['name']}-{dtype.replace('float', 'f')}-{reduction}",
           "loss": c["loss"], "inputs": {k: enc(v) for k, v in c["inputs"].items()},
           "params": {k: enc(v) for k, v in c["params"].items()}, "reduction": reduction,
           "dtype": dtype}
    tensors = {k: torch.tensor(v, dtype=torch.int64 if k in integers else dt,
                               requires_grad=k in with_grad)
               for k, v in c["inputs"].items()}
    if c["loss"] == "ctc":  # torch needs the lengths: ours default to T and S
        lp, target = tensors["pred"], tensors["target"]
        batch = () if lp.ndim == 2 else (lp.shape[1],)
        tensors.setdefault("input_lengths", torch.full(batch, lp.shape[0]))
        tensors.setdefault("target_lengths", torch.full(batch, target.shape[-1]))
    args = [tensors[k] for k in order if k in tensors]
    try:
        value = cls(reduction=reduction, **c["params"])(*args)
        elementwise = cls(reduction="none", **c["params"])(
            *[a.detach() if a.requires_grad else a for a in args])
        value.sum().backward()
    except Exception as e:  # torch rejects the data: record its message
        rec["error"] = str(e)
        return rec
    rec.update(value=enc(value.tolist()), elementwise=enc(elementwise.tolist()),
               grad={k: enc(tensors[k].grad.tolist()) for k in with_grad if k in tensors})
    return rec


def main():
    out = output_path("golden_multi.json")
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")  # broadcasting shapes warn
    records = [run(c, reduction, dtype)
               for c in CASES for reduction in ("mean", "sum", "none") for dtype in DTYPES]
    save(records, out, "scripts/make_golden_multi.py")


if __name__ == "__main__":
    main()
