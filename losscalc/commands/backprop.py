"""`losscalc backprop`: the tutorials' 2-2-2 network, forward and backward, weight by weight."""

from __future__ import annotations

from typing import NamedTuple, Optional

import numpy as np
import typer

from .. import backprop
from ..i18n import N_
from .common import OUTPUT_OPTIONS, Report, command, emit, json_steps, one_stdin, tensor
from .options import choice, encoding_option

Activation = choice("BackpropActivation", backprop.ACTIVATIONS)
Loss = choice("BackpropLoss", tuple(backprop.LOSSES))


# The short forms act and plot give the same tensors: -x the inputs, -t the target.
SHORT = {"x": "-x", "target": "-t"}


def _tensor_option(key: str, what: str):
    names = (f"--{key}", SHORT[key]) if key in SHORT else (f"--{key}",)
    return (Optional[str], None, typer.Option(*names, metavar="TENSOR",
                                              help=f"{what} [default: {backprop.TUTORIAL[key]}]."))


OPTIONS = {
    "x": _tensor_option("x", "The inputs i1, i2, …"),
    "w1": _tensor_option("w1", "Input → hidden weights, one row per hidden neuron "
                               "(PyTorch's layout: [[w1, w2], [w3, w4]])"),
    "b1": _tensor_option("b1", "Hidden biases: one number, or one per hidden neuron"),
    "w2": _tensor_option("w2", "Hidden → output weights, one row per output "
                               "([[w5, w6], [w7, w8]])"),
    "b2": _tensor_option("b2", "Output biases: one number, or one per output"),
    "target": _tensor_option("target", "The targets t1, t2, …"),
    "activation": (Activation, Activation("sigmoid"), typer.Option(
        "--activation", "-a", help="The activation of both layers.")),
    "loss": (Loss, Loss("mse"), typer.Option(
        "--loss", help="mse: PyTorch's MSELoss (mean over the outputs); half-sse: the "
                       "textbook ½·Σ(t − o)². Equal for 2 outputs.")),
    "lr": (float, 0.1, typer.Option("--lr", min=0.0, help="SGD learning rate.")),
    "steps": (int, 1, typer.Option("--steps", min=1, help="How many SGD steps.")),
    **encoding_option(),
    **OUTPUT_OPTIONS,
}

HELP = """Backpropagation through a small network, weight by weight, as PyTorch computes it.

net_h = W1·x + b1, out_h = act(net_h), net_o = W2·out_h + b2, out_o = act(net_o), E = loss
(out_o, target); then the gradient of every weight and bias by the chain rule, and plain SGD
(p ← p − lr·∂E/∂p). With no options it runs the tutorials' 2-2-2 example (x = (0.05, 0.10),
W1 = [[0.15, 0.20], [0.25, 0.30]], b1 = 0.35, W2 = [[0.40, 0.45], [0.50, 0.55]], b2 = 0.60,
target (0.01, 0.99)). Weights are numbered as the tutorials do: w1…w4 through W1 row by row,
then w5…w8 through W2. A single number for a bias gives every neuron that bias (each is then
trained on its own, as nn.Linear's). --explain writes the chain rule for every weight with
its numbers.

\b
Output: plain prints the loss E (before any update); csv one row per
parameter: value, grad, and its value after each step; json {"network",
"activation", "loss", "dtype", "value" (E), "forward": {"net_h",
"out_h", "net_o", "out_o"}, "grad": {"w1", "b1", "w2", "b2"}, "sgd":
[{"step", "loss", "params"}: the loss before each step, the parameters
after it], "params": the inputs, target and lr}.

\b
Examples:
  losscalc backprop --explain
  losscalc backprop --loss half-sse --lr 0.5 --steps 3
  losscalc backprop --x 1,0 --target 1 --w1 '0.5,-0.5; 0.3,0.8' --w2 '1,-1' --b2 0"""


def train_network(opts: dict) -> None:
    keys = ["x", "w1", "b1", "w2", "b2", "target"]
    one_stdin(opts, keys)
    net = backprop.network(**{k: tensor(opts[k], f"--{k}") for k in keys})
    result = backprop.train(net, opts["activation"], opts["loss"], opts["lr"], opts["steps"],
                     opts["dtype"])
    emit(report(result), opts)


app = command(train_network, OPTIONS, "backprop", HELP)


# ---------------------------------------------------------------------------------------------


def _sizes(result: backprop.BackpropResult) -> str:
    return "-".join(str(n) for n in result.network.sizes)


def _detail(result: backprop.BackpropResult) -> str:
    return (f"{_sizes(result)} network · {result.activation} · loss {result.loss_name} · "
            f"lr {result.lr:g} · {result.dtype}")


class _Param(NamedTuple):
    name: str  # w1 … or b_h1 …
    key: str  # the layer's parameter: w1, b1, w2, b2
    index: tuple
    value: float
    grad: float  # ∂E/∂param before the first step
    after: list  # the value after each SGD step


def _parameters(result: backprop.BackpropResult) -> list[_Param]:
    first = result.first
    grads = result.steps[0].grads
    rows = []
    for key, nodes in (("w1", first.w1), ("b1", first.b1), ("w2", first.w2), ("b2", first.b2)):
        for index in np.ndindex(*np.shape(grads[key])):
            node = nodes[index[0]][index[1]] if len(index) == 2 else nodes[index[0]]
            rows.append(_Param(node.name, key, index, node.value, grads[key][index],
                               [step.params[key][index] for step in result.steps]))
    return rows


SHOWN_STEPS = 4  # columns of parameters after a step in the table (then only the last)


def report(result: backprop.BackpropResult) -> Report:
    from ..report import nested

    first = result.first
    values = lambda nodes: nested(np.array([n.value for n in nodes]))  # noqa: E731
    forward = {"net_h": values(first.net_h), "out_h": values(first.out_h),
               "net_o": values(first.net_o), "out_o": values(first.out_o)}
    net = result.network
    obj = {
        "network": list(net.sizes), "activation": result.activation, "loss": result.loss_name,
        "dtype": result.dtype, "value": nested(result.value), "forward": forward,
        "grad": {k: nested(v) for k, v in result.steps[0].grads.items()},
        "sgd": [{"step": k + 1, "loss": s.loss, "params": {p: nested(v) for p, v in
                                                           s.params.items()}}
                for k, s in enumerate(result.steps)],
        "params": {"x": nested(net.x), "target": nested(net.target),
                   **{k: nested(v) for k, v in net.params().items()}, "lr": result.lr},
    }
    after = [f"after_step_{k + 1}" for k in range(len(result.steps))]
    rows = [[p.name, p.value, p.grad, *p.after] for p in _parameters(result)]
    return Report(
        name="backprop", detail=_detail(result), value=result.value, json=obj,
        csv_header=["param", "value", "grad", *after], csv_rows=rows,
        grids=lambda digits, full: _grids(result, digits),
        explanation=lambda digits, full: explain(result, digits, full),
        steps=lambda: json_steps(first.tape.steps) + _chain_json(result),
        notes=list(result.notes),
        shown_value=lambda digits: _fmt(result.value, digits) + f"  (E, loss {result.loss_name})",
    )


def _fmt(v, digits):
    from ..render.explain import fmt_value

    return fmt_value(v, digits)


def _grids(result: backprop.BackpropResult, digits: int):
    from ..render.table import Grid

    first = result.first
    neurons = [[n.name.removeprefix("net_"), _fmt(n.value, digits), _fmt(o.value, digits)]
               for n, o in zip(first.net_h + first.net_o, first.out_h + first.out_o)]
    grids = [Grid("Forward pass", ["neuron", "net", "out"], neurons)]
    steps = len(result.steps)
    shown = list(range(steps)) if steps <= SHOWN_STEPS else [0, steps - 1]
    after = [f"after step {k + 1}" for k in shown]
    grids.append(Grid(f"Gradients and SGD (lr {result.lr:g})",
                      ["param", "value", "∂E/∂param", *after],
                      [[p.name, _fmt(p.value, digits), _fmt(p.grad, digits),
                        *[_fmt(p.after[k], digits) for k in shown]] for p in _parameters(result)]))
    if steps > 1:
        grids.append(Grid("Loss", ["step", "E before the step"],
                          [[str(k + 1), _fmt(s.loss, digits)]
                           for k, s in enumerate(result.steps)]))
    return grids


# ---------------------------------------------------------------------------------------------
# The chain rule, written out


class _Chain:
    """The chain-rule lines of the first pass: formula with names = with numbers = value.
    Every number is a value of the graph or a gradient tape.backward computed."""

    def __init__(self, result: backprop.BackpropResult, digits: int):
        self.r, self.p, self.digits = result, result.first, digits

    def num(self, v) -> str:
        text = _fmt(v, self.digits)
        return f"({text})" if text.startswith("−") else text

    def line(self, left: str, names: list[str], values: list, result) -> str:
        numbers = "·".join(self.num(v) for v in values)
        return f"{left} = {' · '.join(names)} = {numbers} = {_fmt(result, self.digits)}"

    def delta(self, k: int) -> str:
        p = self.p
        o = f"o{k + 1}"
        return self.line(f"δ_{o} = ∂E/∂net_{o}", [f"∂E/∂out_{o}", f"∂out_{o}/∂net_{o}"],
                         [p.d_e[k].value, p.d_o[k].value], p.grad(p.net_o[k]))

    def output_weight(self, k: int, j: int) -> str:
        p = self.p
        o, w = f"o{k + 1}", p.w2[k][j]
        return self.line(f"∂E/∂{w.name}", [f"∂E/∂out_{o}", f"∂out_{o}/∂net_{o}",
                                           f"∂net_{o}/∂{w.name}"],
                         [p.d_e[k].value, p.d_o[k].value, p.out_h[j].value], p.grad(w))

    def output_bias(self, k: int) -> str:
        p = self.p
        o, b = f"o{k + 1}", p.b2[k]
        return self.line(f"∂E/∂{b.name}", [f"∂E/∂out_{o}", f"∂out_{o}/∂net_{o}",
                                           f"∂net_{o}/∂{b.name}"],
                         [p.d_e[k].value, p.d_o[k].value, 1], p.grad(b))

    def hidden_out(self, j: int) -> str:
        p = self.p
        h = f"h{j + 1}"
        names = [f"δ_o{k + 1}·{p.w2[k][j].name}" for k in range(len(p.out_o))]
        numbers = " + ".join(f"{self.num(p.grad(p.net_o[k]))}·{self.num(p.w2[k][j].value)}"
                             for k in range(len(p.out_o)))
        return (f"∂E/∂out_{h} = {' + '.join(names)} = {numbers} = "
                f"{_fmt(p.grad(p.out_h[j]), self.digits)}")

    def hidden_weight(self, j: int, i: int) -> str:
        p = self.p
        h, w = f"h{j + 1}", p.w1[j][i]
        return self.line(f"∂E/∂{w.name}", [f"∂E/∂out_{h}", f"∂out_{h}/∂net_{h}",
                                           f"∂net_{h}/∂{w.name}"],
                         [p.grad(p.out_h[j]), p.d_h[j].value, p.inputs[i].value], p.grad(w))

    def hidden_bias(self, j: int) -> str:
        p = self.p
        h, b = f"h{j + 1}", p.b1[j]
        return self.line(f"∂E/∂{b.name}", [f"∂E/∂out_{h}", f"∂out_{h}/∂net_{h}",
                                           f"∂net_{h}/∂{b.name}"],
                         [p.grad(p.out_h[j]), p.d_h[j].value, 1], p.grad(b))

    def update(self, name: str, value, grad, new) -> str:
        lr = self.r.lr
        return (f"new {name} = {name} − lr·∂E/∂{name} = {self.num(value)} − "
                f"{_fmt(lr, self.digits)}·{self.num(grad)} = {_fmt(new, self.digits)}")


def _chain_json(result: backprop.BackpropResult) -> list[dict]:
    """The gradient of every parameter, for the JSON steps."""
    return [{"text": f"∂E/∂{p.name}", "value": float(p.grad)} for p in _parameters(result)]


def _precedence_slip(p, digits: int) -> str:
    """Where a tutorial's larger E comes from (0.32193 for its network, against 0.298371):
    its code `0.5*(o1-t1)**2 + (o2-t2)**2` gives the ½ to the first term only, by operator
    precedence. Worked from this pass's outputs and targets."""
    (o1, o2), (t1, t2) = (float(n.value) for n in p.out_o), (float(n.value) for n in p.targets)
    slip = 0.5 * (o1 - t1) ** 2 + (o2 - t2) ** 2
    return N_(f"0.5*(o1-t1)**2 + (o2-t2)**2 in code gives the ½ to the first term only (operator "
            f"precedence): ½·({_fmt(o1, digits)} − {_fmt(t1, digits)})² + ({_fmt(o2, digits)} − "
            f"{_fmt(t2, digits)})² = {_fmt(slip, digits)}, not E; write "
            "0.5*((o1-t1)**2 + (o2-t2)**2)")


def explain(result: backprop.BackpropResult, digits: int = 6, full: bool = False):
    from ..render.explain import Explanation, Prose, SampleView, Section, step_line

    p, chain = result.first, _Chain(result, digits)
    view = SampleView(None, None, digits, full)
    steps = p.tape.steps
    by_stage = lambda stage: [s for s in steps if s.stage == stage]  # noqa: E731
    leaves = [n for group in (p.inputs, *p.w1, p.b1, *p.w2, p.b2, p.targets) for n in group]
    sections = [Section("network", [
        Prose(f"{_sizes(result)}: net = Σ w·in + b, out = {result.activation}(net), in each "
              "layer; w1, w2, … number W1 row by row, then W2"),
        ", ".join(f"{n.name} = {_fmt(n.value, digits)}" for n in leaves),
    ])]
    sections.append(Section("forward pass", [step_line(s, view) for s in by_stage("forward")]))
    loss_lines = [step_line(s, view) for s in by_stage("loss")]
    loss_lines.append(Prose(backprop.LOSSES[result.loss_name]))
    if result.network.sizes[2] == 2:
        loss_lines.append(Prose("for 2 outputs MSELoss's ÷ 2 and the textbook ½ give the same "
                                "E: --loss mse and --loss half-sse agree"))
        loss_lines.append(Prose(_precedence_slip(p, digits)))
    if result.loss_name == "half-sse":
        loss_lines.append(Prose("the ½ multiplies every term: ½·(t1 − out_o1)² + (t2 − "
                                "out_o2)² (½ on the first term only) is a common slip that "
                                "gives a larger E"))
    sections.append(Section("loss", loss_lines))
    local = [step_line(s, view) for s in by_stage("local")]
    w5, w1 = p.w2[0][0], p.w1[0][0]
    local.append(Prose(f"∂net/∂w is the input the weight multiplies (∂net_o1/∂{w5.name} = "
                       f"out_h1 = {_fmt(p.out_h[0].value, digits)}, ∂net_h1/∂{w1.name} = i1 = "
                       f"{_fmt(p.inputs[0].value, digits)}); ∂net/∂b = 1"))
    sections.append(Section("local derivatives", local))

    outputs, hidden = range(len(p.out_o)), range(len(p.out_h))
    out_lines = [chain.delta(k) for k in outputs]
    for k in outputs:
        out_lines += [chain.output_weight(k, j) for j in hidden] + [chain.output_bias(k)]
    sections.append(Section("output layer (chain rule)", out_lines))
    hid_lines = [chain.hidden_out(j) for j in hidden]
    for j in hidden:
        hid_lines += [chain.hidden_weight(j, i) for i in range(len(p.inputs))]
        hid_lines.append(chain.hidden_bias(j))
    if result.activation == "sigmoid":
        hid_lines.append(Prose("∂out_h/∂net_h = out_h·(1 − out_h): out_h is already "
                               "σ(net_h), so σ is not applied again — σ(out_h)·(1 − σ(out_h)), "
                               "a slip in some tutorials, makes the hidden gradients too small"))
    sections.append(Section("hidden layer (chain rule)", hid_lines))
    sections.append(Section(f"SGD update (lr = {result.lr:g})", [
        chain.update(p.name, p.value, p.grad, p.after[0]) for p in _parameters(result)]))
    if len(result.steps) > 1:
        sections.append(Section(f"loss before each of the {len(result.steps)} steps", [
            f"E (step {k + 1}) = {_fmt(s.loss, digits)}" for k, s in enumerate(result.steps)]))
    sections.append(Section(f"E = {_fmt(result.value, digits)}"))
    title = f"backprop: {_detail(result)}"
    return Explanation(title, sections, list(result.notes))
