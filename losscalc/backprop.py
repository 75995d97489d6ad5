"""Backpropagation through the tutorials' small network, one scalar at a time.

inputs i → hidden h → outputs o, fully connected, PyTorch's layout (nn.Linear):
net_h = W1·i + b1, out_h = act(net_h), net_o = W2·out_h + b2, out_o = act(net_o), and the
error E of out_o against the target: PyTorch's MSELoss (mean over the outputs) or the
textbook ½·Σ(t − o)² — the same number for two outputs.

Every weight, bias and neuron is a scalar node on the tape (micrograd's way), named as the
tutorials name them: inputs i1, i2, …; weights w1, w2, … through W1 row by row, then W2
(w5…w8 in the 2-2-2 network); biases b_h1, …, b_o1, …; targets t1, …. So the forward pass,
the local derivatives (∂out/∂net from the activation, ∂E/∂out from the loss), the gradients
(``tape.backward``) and the chain rule the explanation writes out all come from one graph: the
activation's and the loss's backward *are* their recorded derivative nodes.

Plain SGD (torch.optim.SGD, no momentum): p ← p − lr·∂E/∂p, --steps times.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import activations, tape
from .checks import fmt_shape
from .errors import InvalidData, UsageError, ref
from .i18n import N_
from .limits import MAX_STEPS
from .recorder import Tape

ACTIVATIONS = ("sigmoid", "tanh", "relu")
LOSSES = {
    "mse": N_("PyTorch's nn.MSELoss (mean over the outputs): E = Σ_k (out_ok − t_k)² / n"),
    "half-sse": N_("the textbook total error E = ½·Σ_k (t_k − out_ok)² (the ½ cancels the 2 "
                   "of the derivative)"),
}


class Network(NamedTuple):
    """The inputs, parameters (PyTorch's layout: W1 is hidden × inputs) and target."""

    x: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    target: np.ndarray

    @property
    def sizes(self) -> tuple[int, int, int]:
        return self.x.size, self.w1.shape[0], self.w2.shape[0]

    def params(self) -> dict[str, np.ndarray]:
        return {"w1": self.w1, "b1": self.b1, "w2": self.w2, "b2": self.b2}


# The tutorials' example (Matt Mazur's "A Step by Step Backpropagation Example").
TUTORIAL = {"x": [0.05, 0.10], "w1": [[0.15, 0.20], [0.25, 0.30]], "b1": 0.35,
            "w2": [[0.40, 0.45], [0.50, 0.55]], "b2": 0.60, "target": [0.01, 0.99]}


def network(x=None, w1=None, b1=None, w2=None, b2=None, target=None) -> Network:
    """The network from the given arrays (the tutorial's where None), shapes checked; a scalar
    bias is one bias per neuron, all equal (nn.Linear has one per neuron). x and target may
    be a batch of one sample, (1, n), and a bias (1, n), as the tutorials write them."""
    given = {"x": x, "w1": w1, "b1": b1, "w2": w2, "b2": b2, "target": target}
    v = {k: np.asarray(TUTORIAL[k] if a is None else a, dtype=float) for k, a in given.items()}
    for key in ("x", "target"):
        a = np.atleast_1d(v[key])
        if a.ndim == 2 and a.shape[0] == 1:  # a batch of one sample, as nn.Linear takes it
            a = a[0]
        if a.ndim != 1:
            raise InvalidData(f"backprop: {ref(key)} must be one sample (a vector), got shape "
                              f"{fmt_shape(v[key].shape)}", subjects=(key,))
        v[key] = a
    inputs, outputs = v["x"].size, v["target"].size
    for key, rows, cols, what in (("w1", None, inputs, "hidden × inputs"),
                                  ("w2", outputs, None, "outputs × hidden")):
        w = v[key]
        if w.ndim != 2 or (cols is not None and w.shape[1] != cols) or \
                (rows is not None and w.shape[0] != rows):
            raise InvalidData(f"backprop: {ref(key)} has shape {fmt_shape(w.shape)}; it must be "
                              f"{what} ({'?' if rows is None else rows}, "
                              f"{'?' if cols is None else cols}) for {inputs} inputs and "
                              f"{outputs} outputs", subjects=(key,))
    hidden = v["w1"].shape[0]
    if v["w2"].shape[1] != hidden:
        raise InvalidData(f"backprop: {ref('w2')} has {v['w2'].shape[1]} columns but "
                          f"{ref('w1')} has {hidden} rows (hidden neurons); they must agree",
                          subjects=("w2", "w1"))
    for key, n in (("b1", hidden), ("b2", outputs)):
        if v[key].size not in (1, n) or v[key].ndim > 2:  # (1, n) as the tutorial writes it
            raise InvalidData(f"backprop: {ref(key)} has shape {fmt_shape(v[key].shape)}; give "
                              f"one number or {n} (one per neuron)", subjects=(key,))
        v[key] = np.broadcast_to(v[key].reshape(-1), (n,)).copy()
    if v["x"].size == 0 or hidden == 0:
        raise InvalidData("backprop: the network needs at least one input, hidden neuron "
                          "and output")
    for key, a in v.items():
        if not np.isfinite(a).all():
            raise InvalidData(f"backprop: {ref(key)} must hold finite numbers",
                              subjects=(key,))
    return Network(**v)


class Pass(NamedTuple):
    """One forward and backward pass: the tape and the named nodes of the graph."""

    tape: Tape
    inputs: list  # i1, …
    w1: list  # [[w1, w2], [w3, w4]]: nodes, PyTorch's layout
    b1: list
    w2: list
    b2: list
    targets: list
    net_h: list
    out_h: list
    d_h: list  # ∂out_h/∂net_h
    net_o: list
    out_o: list
    d_o: list  # ∂out_o/∂net_o
    d_e: list  # ∂E/∂out_o
    loss: tape.Node
    grads: dict  # id(node) → ∂E/∂node, from tape.backward

    def grad(self, node: tape.Node) -> np.ndarray:
        return self.grads.get(id(node), np.zeros_like(node.value))

    def param_grads(self) -> dict[str, np.ndarray]:
        def of(nodes):
            return np.array([[self.grad(n) for n in row] if isinstance(row, list) else
                             self.grad(row) for row in nodes], dtype=self.tape.dtype)

        return {"w1": of(self.w1), "b1": of(self.b1), "w2": of(self.w2), "b2": of(self.b2)}


def weight_names(sizes) -> tuple[list[list[str]], list[list[str]]]:
    """w1, w2, … through W1 row by row, then on through W2 (the tutorials' w1…w8)."""
    inputs, hidden, outputs = sizes
    first = [[f"w{j * inputs + i + 1}" for i in range(inputs)] for j in range(hidden)]
    start = hidden * inputs
    second = [[f"w{start + k * hidden + j + 1}" for j in range(hidden)] for k in range(outputs)]
    return first, second


def _layer(t, ins, weights, biases, names, activation, stage):
    nets, outs, locals_ = [], [], []
    spec = activations.resolve(activation)
    for row, bias, name in zip(weights, biases, names):
        total = row[0] * ins[0]
        for w, i in zip(row[1:], ins[1:]):
            total = total + w * i
        net = t.let(f"net_{name}", total + bias, stage)
        out, local = activations.apply(t, spec, net, {}, f"out_{name}", f"∂out_{name}/∂net_{name}",
                             stage, "local")
        nets.append(net)
        outs.append(out)
        locals_.append(local)
    return nets, outs, locals_


def forward_backward(net: Network, activation: str = "sigmoid", loss: str = "mse",
                     dtype: str = "float64") -> Pass:
    """The forward pass, the loss and every gradient of the network, on one tape."""
    t = Tape(dtype)
    inputs, hidden, outputs = net.sizes
    first, second = weight_names(net.sizes)

    def leaves(values, names, grad=True):
        return [t.input(v, n, requires_grad=grad, batched=False) for v, n in zip(values, names)]

    with np.errstate(all="ignore"):
        ins = leaves(net.x, [f"i{i + 1}" for i in range(inputs)], grad=False)
        w1 = [leaves(row, names) for row, names in zip(net.w1, first)]
        b1 = leaves(net.b1, [f"b_h{j + 1}" for j in range(hidden)])
        w2 = [leaves(row, names) for row, names in zip(net.w2, second)]
        b2 = leaves(net.b2, [f"b_o{k + 1}" for k in range(outputs)])
        targets = leaves(net.target, [f"t{k + 1}" for k in range(outputs)], grad=False)
        h_names = [f"h{j + 1}" for j in range(hidden)]
        o_names = [f"o{k + 1}" for k in range(outputs)]
        net_h, out_h, d_h = _layer(t, ins, w1, b1, h_names, activation, "forward")
        net_o, out_o, d_o = _layer(t, out_h, w2, b2, o_names, activation, "forward")
        loss_node, d_e = _loss(t, out_o, targets, loss)
        grads = tape.backward(loss_node)
    return Pass(t, ins, w1, b1, w2, b2, targets, net_h, out_h, d_h, net_o, out_o, d_o, d_e,
                loss_node, grads)


def _loss(t, outs, targets, loss):
    """E and ∂E/∂out_k; E's backward is g·∂E/∂out_k, read from those nodes."""
    if loss not in LOSSES:
        raise UsageError(f"unknown loss {loss!r}; choose mse or half-sse")
    squares = None
    for o, y in zip(outs, targets):
        term = tape.square(o - y) if loss == "mse" else tape.square(y - o)
        squares = term if squares is None else squares + term
    n = len(outs)
    half = t.const(0.5)
    expr = squares / t.const(n, "n") if loss == "mse" else half * squares
    derivatives = []
    node = t.let("E", tape.fused(expr, outs, lambda g: tuple(g * d.value for d in derivatives)),
                 "loss")
    for k, (o, y) in enumerate(zip(outs, targets)):
        # mse: d/do (o − t)²/n = 2·(o − t)/n, PyTorch's 2/n·(o − t); half-sse: ½·2·(o − t).
        d = 2 * (o - y) / t.const(n, "n") if loss == "mse" else half * 2 * (o - y)
        derivatives.append(t.let(f"∂E/∂out_o{k + 1}", d, "local"))
    return node, derivatives


class Step(NamedTuple):
    """One SGD step: the loss and gradients before it, the parameters after it."""

    loss: float
    grads: dict
    params: dict


class BackpropResult(NamedTuple):
    network: Network
    activation: str
    loss_name: str
    lr: float
    dtype: str
    first: Pass  # the first forward/backward pass (the one the explanation writes out)
    steps: list  # one Step per SGD step
    notes: list

    @property
    def value(self) -> np.ndarray:
        return self.first.loss.value


def sgd(params: dict, grads: dict, lr: float, dtype) -> dict:
    """p ← p − lr·∂E/∂p, in the computation's dtype (torch.optim.SGD without momentum)."""
    rate = np.asarray(lr, dtype=dtype)
    return {k: (np.asarray(p, dtype=dtype) - rate * grads[k]).astype(dtype)
            for k, p in params.items()}


def train(net: Network, activation: str = "sigmoid", loss: str = "mse", lr: float = 0.1,
          steps: int = 1, dtype: str = "float64") -> BackpropResult:
    """Forward, backward and an SGD update, ``steps`` times."""
    if activation not in ACTIVATIONS:
        raise UsageError(f"unknown activation {activation!r}; choose sigmoid, tanh or relu")
    tape.check_dtype(dtype)
    if not (np.isfinite(lr) and lr >= 0):
        raise UsageError(f"The 'lr' parameter of backprop must be a finite number >= 0. "
                         f"Got {lr} instead.")
    if steps < 1:
        raise UsageError(f"{ref('steps')} must be at least 1, got {steps}",
                         subjects=("steps",))
    if steps > MAX_STEPS:  # each step is computed and kept for the report
        raise UsageError(f"{ref('steps')} must be at most {MAX_STEPS:,}, got {steps:,}",
                         subjects=("steps",))
    history, first = [], None
    current = net
    for _ in range(steps):
        run = forward_backward(current, activation, loss, dtype)
        first = first or run
        grads = run.param_grads()
        after = sgd(current.params(), grads, lr, dtype)
        history.append(Step(float(run.loss.value), grads, after))
        current = current._replace(**after)
    notes = []
    if loss == "mse" and net.sizes[2] != 2:
        notes.append(f"with {net.sizes[2]} outputs MSELoss (÷ {net.sizes[2]}) and ½·Σ (t − o)² "
                     "differ; they agree only for 2 outputs")
    return BackpropResult(net, activation, loss, lr, dtype, first, history, notes)


__all__ = ["ACTIVATIONS", "BackpropResult", "LOSSES", "Network", "TUTORIAL",
           "forward_backward", "network", "sgd", "train", "weight_names"]
