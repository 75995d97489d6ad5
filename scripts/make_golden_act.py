"""Generate tests/data/golden_act.json: PyTorch reference values for `losscalc act`, `info` and
`backprop`. The tests compare losscalc's NumPy code with this file and never import torch.

* act: for every activation and a few parameter settings, on random inputs and on adversarial
  ones (±1000, ±20 around softplus' threshold, 0, ±1e-8), in float64 and float32: the values,
  the autograd gradient of y.sum() and of (y·u).sum() for a random upstream u, and for
  softmax / log-softmax / hardmax the Jacobian of each row (torch.autograd.functional.jacobian,
  its diagonal blocks). Also torch.linspace for --range.
* info: entropy (torch.special.entr), cross-entropy (−torch.special.xlogy(p, q)), KL
  (torch.distributions.kl_divergence of two Categoricals, which implements 0·log 0 = 0 and
  gives inf where q = 0 < p) and Jensen–Shannon (½ KL(p‖m) + ½ KL(q‖m), m = ½(p + q)), in
  nats, divided by ln 2 or ln 10 for bits and hartleys.
* backprop: a 2-layer network F.linear → act → F.linear → act with nn.MSELoss (mean) or
  ½Σ(t − o)², trained with torch.optim.SGD: the forward values, the loss, every parameter's
  gradient and the parameters after each step.

The output is deterministic (fixed seed). To regenerate it, with an interpreter that has
torch 2.13.0 (not the project's own venv):

    python scripts/make_golden_act.py [--out tests/data/golden_act.json]
"""

import argparse
import json
import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch.distributions import Categorical, kl_divergence

DTYPES = {"float64": torch.float64, "float32": torch.float32}
rng = np.random.default_rng(20240613)

ADVERSARIAL = [-1000.0, -100.0, -30.0, -20.5, -20.0, -5.0, -1.0, -1e-8, 0.0, 1e-8, 0.5, 1.0,
               5.0, 9.99, 10.0, 10.01, 19.99, 20.0, 20.01, 30.0, 100.0, 1000.0]


def elementwise(name, params):
    """The torch function for one of losscalc's elementwise activations."""
    return {
        "sigmoid": lambda x: torch.sigmoid(x),
        "tanh": lambda x: torch.tanh(x),
        "relu": lambda x: torch.relu(x),
        "leaky-relu": lambda x: F.leaky_relu(x, params.get("slope", 0.01)),
        "elu": lambda x: F.elu(x, params.get("alpha", 1.0)),
        "gelu": lambda x: F.gelu(x, approximate=params.get("approximate", "none")),
        "softplus": lambda x: F.softplus(x, params.get("beta", 1.0),
                                         params.get("threshold", 20.0)),
        "silu": lambda x: F.silu(x),
    }[name]


def along(name, dim):
    return {
        "softmax": lambda x: torch.softmax(x, dim),
        "log-softmax": lambda x: torch.log_softmax(x, dim),
        "hardmax": lambda x: torch.movedim(
            F.one_hot(torch.argmax(x, dim), x.shape[dim]).to(x.dtype), -1, dim),
    }[name]


def row_jacobians(fn, x, dim):
    """∂y_i/∂x_j for each row along ``dim``: shape (rows…, C, C), the dim moved last."""
    jac = torch.autograd.functional.jacobian(fn, x)  # x.shape + x.shape
    n = x.dim()
    dim = dim % n
    moved = torch.movedim(jac, (dim, n + dim), (n - 1, 2 * n - 1))  # rows…, C, rows…, C
    rows = moved.shape[: n - 1]
    c = x.shape[dim]
    flat = moved.reshape(int(np.prod(rows, dtype=int)), c, int(np.prod(rows, dtype=int)), c)
    blocks = torch.stack([flat[r, :, r, :] for r in range(flat.shape[0])])
    return blocks.reshape(*rows, c, c)


def act_case(name, params, x, label):
    out = {"name": name, "params": params, "case": label, "x": x}
    dim = params.get("dim", -1)
    fn = along(name, dim) if name in ("softmax", "log-softmax", "hardmax") else \
        elementwise(name, params)
    upstream = rng.normal(0, 1, np.shape(x)).tolist()
    out["upstream"] = upstream
    for dname, dtype in DTYPES.items():
        xt = torch.tensor(x, dtype=dtype, requires_grad=True)
        y = fn(xt)
        entry = {"value": y.tolist()}
        if y.requires_grad:
            (g,) = torch.autograd.grad(y.sum(), xt, retain_graph=True)
            (gu,) = torch.autograd.grad((y * torch.tensor(upstream, dtype=dtype)).sum(), xt)
        else:  # hardmax: argmax has no gradient; autograd would say so, losscalc gives 0
            g = gu = torch.zeros_like(xt)
        entry["grad"] = g.tolist()
        entry["grad_upstream"] = gu.tolist()
        if name in ("softmax", "log-softmax", "hardmax"):
            entry["jacobian"] = row_jacobians(fn, xt.detach(), dim).tolist()
        out[dname] = entry
    return out


def act_cases():
    settings = [
        ("sigmoid", {}), ("tanh", {}), ("relu", {}),
        ("leaky-relu", {}), ("leaky-relu", {"slope": 0.1}), ("leaky-relu", {"slope": 0.2}),
        ("elu", {}), ("elu", {"alpha": 0.5}), ("elu", {"alpha": 2.0}),
        ("gelu", {}), ("gelu", {"approximate": "tanh"}),
        ("softplus", {}), ("softplus", {"beta": 2.0, "threshold": 5.0}),
        ("softplus", {"beta": 0.5}),
        ("silu", {}),
    ]
    cases = []
    for name, params in settings:
        cases.append(act_case(name, params, rng.normal(0, 3, 16).tolist(), "random"))
        cases.append(act_case(name, params, rng.normal(0, 1, (3, 4)).tolist(), "random-2d"))
        cases.append(act_case(name, params, ADVERSARIAL, "adversarial"))
    rows = [[1000.0, -1000.0, 0.0], [1e4, -1e4, 0.0], [0.0, 0.0, 0.0], [3.0, 3.0, 1.0],
            [-1000.0, -1000.0, -999.0]]
    for name in ("softmax", "log-softmax", "hardmax"):
        cases.append(act_case(name, {}, rng.normal(0, 3, 7).tolist(), "random-1d"))
        cases.append(act_case(name, {}, rng.normal(0, 3, (4, 5)).tolist(), "random"))
        cases.append(act_case(name, {"dim": 0}, rng.normal(0, 3, (4, 5)).tolist(), "dim0"))
        cases.append(act_case(name, {"dim": 1}, rng.normal(0, 2, (2, 3, 4)).tolist(), "dim1"))
        cases.append(act_case(name, {}, rows, "adversarial"))
    return cases


def linspaces():
    out = []
    for start, end, num in [(-10, 10, 100), (-5, 5, 11), (0, 1, 7), (-1000, 1000, 9),
                            (2, 3, 1)]:
        entry = {"start": start, "end": end, "num": num}
        for dname, dtype in DTYPES.items():
            entry[dname] = torch.linspace(start, end, num, dtype=dtype).tolist()
        out.append(entry)
    return out


# ---------------------------------------------------------------------------------------------
# info


def distribution(*shape, zeros=0):
    p = rng.uniform(0.05, 1, shape)
    flat = p.reshape(-1, shape[-1])
    for row in flat:
        row[rng.choice(shape[-1], zeros, replace=False)] = 0.0
    return (p / p.sum(-1, keepdims=True)).tolist()


def info_values(measure, p, q):
    """In nats."""
    if measure == "entropy":
        return torch.special.entr(p).sum(-1), torch.special.entr(p)
    if measure == "cross-entropy":
        terms = -torch.special.xlogy(p, q)
        return terms.sum(-1), terms
    if measure == "kl":
        value = kl_divergence(Categorical(probs=p), Categorical(probs=q))
        terms = F.kl_div(q.log(), p, reduction="none")  # p·(ln p − ln q), xlogy for p = 0
        return value, None if torch.isnan(terms).any() else terms
    m = 0.5 * (p + q)
    value = 0.5 * (kl_divergence(Categorical(probs=p), Categorical(probs=m))
                   + kl_divergence(Categorical(probs=q), Categorical(probs=m)))
    return value, None


def info_cases():
    inputs = [
        ("random-1d", distribution(5), distribution(5)),
        ("random-2d", distribution(3, 4), distribution(3, 4)),
        ("zeros-in-p", distribution(3, 5, zeros=2), distribution(3, 5)),
        ("zeros-in-both", [[0.5, 0.5, 0.0], [0.2, 0.0, 0.8]], [[0.25, 0.75, 0.0],
                                                               [0.2, 0.0, 0.8]]),
        ("q-zero-where-p-positive", [0.5, 0.25, 0.25], [0.5, 0.5, 0.0]),
        ("seed-004", [0.7, 0.2, 0.1], [0.6, 0.3, 0.1]),
        ("one-hot", [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], [[0.1, 0.8, 0.1], [0.3, 0.3, 0.4]]),
        ("uniform", [0.25, 0.25, 0.25, 0.25], [0.7, 0.1, 0.1, 0.1]),
    ]
    cases = []
    for label, p, q in inputs:
        for measure in ("entropy", "cross-entropy", "kl", "js"):
            for base in ("e", "2", "10"):
                scale = {"e": 1.0, "2": math.log(2), "10": math.log(10)}[base]
                case = {"measure": measure, "case": label, "base": base, "p": p}
                if measure != "entropy":
                    case["q"] = q
                for dname, dtype in DTYPES.items():
                    value, terms = info_values(measure, torch.tensor(p, dtype=dtype),
                                               torch.tensor(q, dtype=dtype))
                    case[dname] = {"value": (value / scale).tolist(),
                                   "terms": None if terms is None else (terms / scale).tolist()}
                cases.append(case)
    return cases


# ---------------------------------------------------------------------------------------------
# backprop

ACTIVATIONS = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}
TUTORIAL = {"x": [0.05, 0.10], "w1": [[0.15, 0.20], [0.25, 0.30]], "b1": 0.35,
            "w2": [[0.40, 0.45], [0.50, 0.55]], "b2": 0.60, "target": [0.01, 0.99]}


def train(net, activation, loss, lr, steps, dtype):
    act = ACTIVATIONS[activation]
    w1 = torch.tensor(net["w1"], dtype=dtype, requires_grad=True)
    w2 = torch.tensor(net["w2"], dtype=dtype, requires_grad=True)
    hidden, outputs = w1.shape[0], w2.shape[0]
    b1 = torch.tensor(np.broadcast_to(net["b1"], (hidden,)).tolist(), dtype=dtype,
                      requires_grad=True)
    b2 = torch.tensor(np.broadcast_to(net["b2"], (outputs,)).tolist(), dtype=dtype,
                      requires_grad=True)
    x = torch.tensor(net["x"], dtype=dtype)
    target = torch.tensor(net["target"], dtype=dtype)
    opt = torch.optim.SGD([w1, b1, w2, b2], lr=lr)
    history = []
    for _ in range(steps):
        net_h = F.linear(x, w1, b1)
        out_h = act(net_h)
        net_o = F.linear(out_h, w2, b2)
        out_o = act(net_o)
        if loss == "mse":
            value = torch.nn.MSELoss()(out_o, target)
        else:
            value = 0.5 * ((target - out_o) ** 2).sum()
        opt.zero_grad()
        value.backward()
        record = {
            "forward": {"net_h": net_h.tolist(), "out_h": out_h.tolist(),
                        "net_o": net_o.tolist(), "out_o": out_o.tolist()},
            "loss": value.item(),
            "grad": {k: p.grad.tolist() for k, p in zip(("w1", "b1", "w2", "b2"),
                                                         (w1, b1, w2, b2))},
        }
        opt.step()
        record["params"] = {k: p.tolist() for k, p in zip(("w1", "b1", "w2", "b2"),
                                                          (w1, b1, w2, b2))}
        history.append(record)
    return history


def random_net(inputs, hidden, outputs):
    return {"x": rng.normal(0, 1, inputs).tolist(),
            "w1": rng.normal(0, 0.7, (hidden, inputs)).tolist(),
            "b1": rng.normal(0, 0.5, hidden).tolist(),
            "w2": rng.normal(0, 0.7, (outputs, hidden)).tolist(),
            "b2": rng.normal(0, 0.5, outputs).tolist(),
            "target": rng.uniform(0, 1, outputs).tolist()}


def backprop_cases():
    runs = [("tutorial", TUTORIAL, a, loss, lr, steps)
            for a in ACTIVATIONS for loss in ("mse", "half-sse")
            for lr, steps in ((0.1, 1), (0.01, 1), (0.5, 3))]
    for label, shape in (("3-4-2", (3, 4, 2)), ("2-3-1", (2, 3, 1)), ("4-2-3", (4, 2, 3))):
        net = random_net(*shape)
        runs += [(label, net, a, loss, 0.3, 2) for a in ACTIVATIONS
                 for loss in ("mse", "half-sse")]
    cases = []
    for label, net, activation, loss, lr, steps in runs:
        case = {"case": label, "net": net, "activation": activation, "loss": loss, "lr": lr,
                "steps": steps}
        for dname, dtype in DTYPES.items():
            case[dname] = train(net, activation, loss, lr, steps, dtype)
        cases.append(case)
    return cases


def finite_or_string(value):
    """Non-finite numbers as the strings "inf", "-inf", "nan" (strict JSON, as golden.json)."""
    if isinstance(value, dict):
        return {k: finite_or_string(v) for k, v in value.items()}
    if isinstance(value, list):
        return [finite_or_string(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return value


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent.parent
                                              / "tests" / "data" / "golden_act.json"))
    args = parser.parse_args()
    torch.manual_seed(0)
    data = {"torch": torch.__version__.split("+")[0], "act": act_cases(),
            "linspace": linspaces(), "info": info_cases(), "backprop": backprop_cases()}
    data = finite_or_string(data)
    Path(args.out).write_text(json.dumps(data, separators=(",", ":"), allow_nan=False) + "\n")
    print(f"wrote {args.out}: {len(data['act'])} activation cases, {len(data['info'])} info "
          f"cases, {len(data['backprop'])} backprop runs")


if __name__ == "__main__":
    main()
