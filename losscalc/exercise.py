"""Problem sets for coursework (`losscalc exercise`): random problems of the chosen losses at
a level, each with its computed answer, written as the files `check` grades.

Every number comes from one ``numpy.random.Generator(PCG64(seed))``, drawn in a fixed order,
so a seed, the options and the version give the same set byte for byte. A loss's inputs are
drawn by its recipe below (what its tensors hold: class indices, probabilities, ±1 labels,
real targets); its parameters and reductions come from its registry entry. A drawn problem is
kept only when it is well conditioned (``well_posed``): a finite value, no note (a clamp, a
clip, a misuse the loss would point out) and no input sitting on a kink; else it is drawn
again from the same generator.

Only NumPy and the core are imported; the rows are written for `check`'s CSV and `batch`'s
JSON Lines (losscalc.grading, losscalc.batch).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from .core import Result, compute, spec_for
from .errors import LosscalcError, UsageError
from .registry import LossSpec
from .report import dumps

LEVELS = (1, 2, 3)
TOL = 1e-3  # the key's tolerance: answers worked by hand are rounded (check's default)
ATTEMPTS = 200  # draws per problem before a loss is said to have no well-conditioned one
KINK_STEP = 1e-6  # one-sided difference quotients this far apart tell a kink from a slope
CURVATURE_STEP = 1e-4  # and one-sided second differences a jump in curvature


class Exercise(NamedTuple):
    """One problem and its computed answer."""

    id: str
    spec: LossSpec
    tensors: dict[str, np.ndarray]  # by the loss's tensor names, in its order
    params: dict[str, Any]  # the parameters the problem states, by name
    reduction: str
    dtype: str
    result: Result


# ---------------------------------------------------------------------------------------------
# Drawing numbers a student can work with


class Draw:
    """The generator, and numbers on the level's grid: one decimal at level 1, two above."""

    def __init__(self, rng: np.random.Generator, level: int):
        self.rng, self.level = rng, level

    @property
    def places(self) -> int:
        return 1 if self.level == 1 else 2

    def grid(self, low: float, high: float, shape=(), places: int | None = None) -> np.ndarray:
        """Numbers in [low, high] with ``places`` decimals (k / 10^places: they print as
        drawn)."""
        scale = 10 ** (self.places if places is None else places)
        k = self.rng.integers(round(low * scale), round(high * scale) + 1, size=shape)
        return k / scale

    def ints(self, low: int, high: int, shape=()) -> np.ndarray:
        return self.rng.integers(low, high + 1, size=shape).astype(float)

    def signs(self, shape=()) -> np.ndarray:
        return np.where(self.rng.integers(0, 2, size=shape) == 1, 1.0, -1.0)

    def pick(self, values):
        return values[int(self.rng.integers(len(values)))]

    def chance(self, p: float = 0.5) -> bool:
        return bool(self.rng.random() < p)

    def shape(self) -> tuple[int, ...]:
        """An elementwise loss's shape: a short vector at level 1, a small batch above."""
        if self.level == 1:
            return (int(self.rng.integers(3, 5)),)
        return (int(self.rng.integers(2, 4)), int(self.rng.integers(2, 4)))

    def class_shape(self, extra_dims: bool = False) -> tuple[int, ...]:
        """(C,) at level 1; (N, C) above; at level 3 (N, C, d) when the loss takes
        K-dimensional targets."""
        if self.level == 1:
            return (3,)
        n, c = int(self.rng.integers(2, 5)), int(self.rng.integers(3, 5))
        if self.level == 3 and extra_dims and self.chance():
            return (n, c, int(self.rng.integers(2, 4)))
        return (n, c)

    def distribution(self, shape, axis: int = -1) -> np.ndarray:
        """Probabilities on the grid that sum to 1 along ``axis``, none below 0.1 at level 1
        (0.05 above)."""
        total = 10 ** self.places
        least = 1 if self.level == 1 else 5
        moved = np.moveaxis(np.empty(shape), axis, -1)
        rows = moved.reshape(-1, moved.shape[-1])
        c = rows.shape[1]
        for row in rows:
            cuts = np.sort(self.rng.integers(0, total - least * c + 1, size=c - 1))
            row[:] = (np.diff(np.concatenate(([0], cuts, [total - least * c]))) + least) / total
        return np.moveaxis(rows.reshape(moved.shape), -1, axis)

    def labels(self, classes: int, shape) -> np.ndarray:
        return self.ints(0, classes - 1, shape)

    def log(self, p: np.ndarray) -> np.ndarray:
        """Log-probabilities, printed to four decimals (rows still sum to 1 within 1e-3)."""
        return np.round(np.log(p), 4)


# ---------------------------------------------------------------------------------------------
# Recipes: what each loss's tensors hold. Each takes a Draw and returns (tensors, params).


def _regression(d: Draw, params: Callable[[Draw], dict] = lambda d: {}):
    shape = d.shape()
    target = d.ints(-3, 5, shape) if d.level == 1 else d.grid(-3, 3, shape)
    pred = np.round(target + d.grid(-2.5, 2.5, shape), d.places)  # a sum of grid numbers
    return {"pred": pred, "target": target}, params(d)


def _param(name: str, level1, above) -> Callable[[Draw], dict]:
    return lambda d: {name: level1 if d.level == 1 else d.pick(above)}


def _positive_regression(low: float):
    def recipe(d: Draw):
        shape = d.shape()
        return {"pred": d.grid(low, 4, shape), "target": d.ints(0, 5, shape)}, {}
    return recipe


def _mape(d: Draw):
    shape = d.shape()
    target = d.signs(shape) * d.ints(1, 5, shape)
    return {"pred": np.round(target + d.grid(-2, 2, shape), d.places), "target": target}, {}


def _class_weight(d: Draw, classes: int) -> dict:
    return {"weight": d.grid(0.5, 2, (classes,), 1)} if d.level > 1 and d.chance() else {}


def _index_target(d: Draw, shape, ignorable: bool):
    """Class indices for a prediction of ``shape`` (class axis 1, or 0 when unbatched); at
    level 3 one of them may be PyTorch's ignore index −100."""
    axis = 0 if len(shape) == 1 else 1
    target = d.labels(shape[axis], shape[:axis] + shape[axis + 1:])
    params = {}
    if ignorable and d.level == 3 and target.size > 1 and d.chance():
        target.reshape(-1)[int(d.rng.integers(target.size))] = -100
        params["ignore_index"] = -100
    return target, params


def _ce(d: Draw):
    shape = d.class_shape(extra_dims=True)
    logits = d.grid(-2, 2, shape)
    params = _class_weight(d, shape[0 if len(shape) == 1 else 1])
    if d.level == 3 and d.chance():
        params["label_smoothing"] = d.pick([0.1, 0.2])
    if d.level > 1 and d.chance(0.3):
        return {"pred": logits, "target": d.distribution(shape, 0 if len(shape) == 1 else 1)}, params
    target, ignore = _index_target(d, shape, ignorable=True)
    return {"pred": logits, "target": target}, {**params, **ignore}


def _nll(d: Draw):
    shape = d.class_shape(extra_dims=True)
    axis = 0 if len(shape) == 1 else 1
    target, ignore = _index_target(d, shape, ignorable=True)
    params = {**_class_weight(d, shape[axis]), **ignore}
    return {"pred": d.log(d.distribution(shape, axis)), "target": target}, params


def _binary_target(d: Draw, shape) -> np.ndarray:
    return d.ints(0, 1, shape)


def _bce(d: Draw):
    shape = d.shape()
    params = {"weight": d.grid(0.5, 2, shape[-1:], 1)} if d.level > 1 and d.chance() else {}
    return {"pred": d.grid(0.1, 0.9, shape), "target": _binary_target(d, shape)}, params


def _bce_logits(d: Draw):
    shape = d.shape()
    params = {}
    if d.level > 1:
        params = {k: d.grid(0.5, 2, shape[-1:], 1) for k in ("weight", "pos_weight")
                  if d.chance()}
    return {"pred": d.grid(-2, 2, shape), "target": _binary_target(d, shape)}, params


def _multilabel(d: Draw):
    shape = d.class_shape()
    return ({"pred": d.grid(-2, 2, shape), "target": _binary_target(d, shape)},
            _class_weight(d, shape[-1]))


def _kl(d: Draw):
    shape = d.class_shape()
    target = d.distribution(shape)
    log_target = d.level > 1 and d.chance()
    return ({"pred": d.log(d.distribution(shape)),
             "target": d.log(target) if log_target else target},
            {"log_target": True} if log_target else {})


def _poisson_nll(d: Draw):
    shape = d.shape()
    log_input = d.level == 1 or d.chance()
    pred = d.grid(-1, 1.5, shape) if log_input else d.grid(0.5, 4, shape)
    params = {"log_input": log_input}
    if d.level > 1:
        params["full"] = d.chance()
    return {"pred": pred, "target": d.ints(0, 5, shape)}, params


def _signed(low: float, high: float, params=lambda d: {}):
    def recipe(d: Draw):
        shape = d.shape()
        return {"pred": d.grid(low, high, shape), "target": d.signs(shape)}, params(d)
    return recipe


def _scores_and_labels(d: Draw):
    shape = d.class_shape()
    return {"pred": d.grid(-2, 2, shape), "target": d.labels(shape[-1], shape[:-1])}


def _multi_margin(d: Draw):
    tensors = _scores_and_labels(d)
    params = {"p": 1, "margin": 1.0}
    if d.level > 1:
        params = {"p": d.pick([1, 2]), "margin": d.pick([0.5, 1.0, 2.0]),
                  **_class_weight(d, tensors["pred"].shape[-1])}
    return tensors, params


def _multilabel_margin(d: Draw):
    shape = d.class_shape()
    c = shape[-1]
    rows = np.full((int(np.prod(shape[:-1])), c), -1.0)
    for row in rows:
        k = int(d.rng.integers(1, c))
        row[:k] = d.rng.permutation(c)[:k]
    return {"pred": d.grid(-2, 2, shape), "target": rows.reshape(shape)}, {}


def _margin_param(d: Draw, level1: float, above) -> dict:
    return {"margin": level1 if d.level == 1 else d.pick(above)}


def _cosine_embedding(d: Draw):
    shape = (3,) if d.level == 1 else (int(d.rng.integers(2, 4)), 3)
    return ({"x1": d.grid(-2, 2, shape), "x2": d.grid(-2, 2, shape),
             "target": d.signs(shape[:-1])}, _margin_param(d, 0.0, [0.0, 0.2, 0.5]))


def _margin_ranking(d: Draw):
    shape = d.shape()
    return ({"x1": d.grid(-2, 2, shape), "x2": d.grid(-2, 2, shape), "target": d.signs(shape)},
            _margin_param(d, 0.0, [0.0, 0.5, 1.0]))


def _triplet(d: Draw):
    shape = (2,) if d.level == 1 else (int(d.rng.integers(2, 4)), 3)
    params = {"margin": 1.0, "p": 2.0}
    if d.level > 1:
        params = {"margin": d.pick([0.5, 1.0, 2.0]), "p": d.pick([1.0, 2.0]),
                  "swap": d.chance()}
    return {k: d.grid(-2, 2, shape) for k in ("anchor", "positive", "negative")}, params


def _gaussian_nll(d: Draw):
    shape = d.shape()
    tensors = {"pred": d.grid(-2, 2, shape), "target": d.ints(-2, 2, shape),
               "var": d.grid(0.5, 3, shape)}
    return tensors, ({"full": d.chance()} if d.level > 1 else {})


def _ctc(d: Draw):
    """One sequence: log-probs (T, C), labels 1 … C−1 (the blank is 0)."""
    steps, classes = int(d.rng.integers(3, 5)), int(d.rng.integers(3, 5))
    width = int(d.rng.integers(1, steps // 2 + 1))
    return ({"pred": d.log(d.distribution((steps, classes))),
             "target": d.ints(1, classes - 1, (width,))}, {})


def _probabilities_and_binary(params=lambda d: {}):
    def recipe(d: Draw):
        shape = d.shape()
        return {"pred": d.grid(0.1, 0.9, shape), "target": _binary_target(d, shape)}, params(d)
    return recipe


def _class_logits(params: Callable[[Draw], dict]):
    def recipe(d: Draw):
        return _scores_and_labels(d), params(d)
    return recipe


def _generalized_ce(d: Draw):
    shape = d.class_shape()
    return ({"pred": d.distribution(shape), "target": d.labels(shape[-1], shape[:-1])},
            _param("q", 0.5, [0.3, 0.5, 0.7])(d))


def _focal(d: Draw):
    shape = d.shape()
    params = {"alpha": 0.25, "gamma": 2.0} if d.level == 1 else {
        "alpha": d.pick([0.25, 0.5]), "gamma": d.pick([0.0, 1.0, 2.0])}
    return {"pred": d.grid(-2, 2, shape), "target": _binary_target(d, shape)}, params


def _vectors(d: Draw):
    shape = (3,) if d.level == 1 else (int(d.rng.integers(2, 4)), 3)
    return {"pred": d.grid(-2, 2, shape), "target": d.grid(-2, 2, shape)}, {}


def _contrastive(d: Draw):
    shape = d.shape()
    return ({"pred": d.grid(0.1, 2.5, shape), "target": _binary_target(d, shape)},
            _margin_param(d, 1.0, [0.5, 1.0, 2.0]))


def _info_nce(d: Draw):
    n = 2 if d.level == 1 else int(d.rng.integers(2, 5))
    return ({"pred": d.grid(-1, 1, (n, n)), "target": np.arange(n, dtype=float)},
            _param("temperature", 1.0, [0.5, 1.0])(d))


class Recipe(NamedTuple):
    draw: Callable[[Draw], tuple[dict, dict]]
    lowest: int = 1  # the lowest level it has problems for
    why: str = ""  # why not below ``lowest``
    reductions: dict[int, tuple[str, ...]] = {}  # by level, when not the registry's


_KL_REDUCTIONS = {1: ("sum",), 2: ("batchmean", "sum", "none"), 3: ("batchmean", "sum", "none")}

RECIPES: dict[str, Recipe] = {
    "l1": Recipe(_regression),
    "mse": Recipe(_regression),
    "smooth-l1": Recipe(lambda d: _regression(d, _param("beta", 1.0, [0.5, 1.0, 2.0]))),
    "huber": Recipe(lambda d: _regression(d, _param("delta", 1.0, [0.5, 1.0, 2.0]))),
    "gaussian-nll": Recipe(_gaussian_nll),
    "ce": Recipe(_ce),
    "nll": Recipe(_nll),
    "bce": Recipe(_bce),
    "bce-logits": Recipe(_bce_logits),
    "multilabel-soft-margin": Recipe(_multilabel),
    "kl": Recipe(_kl, reductions=_KL_REDUCTIONS),
    "poisson-nll": Recipe(_poisson_nll),
    "soft-margin": Recipe(_signed(-2, 2)),
    "multi-margin": Recipe(_multi_margin),
    "multilabel-margin": Recipe(_multilabel_margin),
    "hinge-embedding": Recipe(_signed(0.1, 3, lambda d: _margin_param(d, 1.0, [0.5, 1.0, 2.0]))),
    "cosine-embedding": Recipe(_cosine_embedding),
    "margin-ranking": Recipe(_margin_ranking),
    "triplet": Recipe(_triplet),
    "ctc": Recipe(_ctc, lowest=2, why="summing over every alignment (the α lattice) is not a "
                                      "computation by hand"),
    "log-cosh": Recipe(_regression),
    "mape": Recipe(_mape),
    "msle": Recipe(_positive_regression(0.1)),
    "poisson": Recipe(_positive_regression(0.5)),
    "hinge": Recipe(_signed(-2, 2)),
    "squared-hinge": Recipe(_signed(-2, 2)),
    "categorical-hinge": Recipe(_class_logits(lambda d: {})),
    "cosine-similarity": Recipe(_vectors),
    "dice": Recipe(_probabilities_and_binary()),
    "tversky": Recipe(_probabilities_and_binary(
        lambda d: {} if d.level == 1 else {"alpha": d.pick([0.3, 0.5, 0.7]),
                                           "beta": d.pick([0.3, 0.5, 0.7])})),
    "categorical-focal": Recipe(_class_logits(
        lambda d: {"alpha": 0.25, "gamma": 2.0} if d.level == 1 else
        {"alpha": d.pick([0.25, 1.0]), "gamma": d.pick([0.0, 1.0, 2.0])})),
    "generalized-ce": Recipe(_generalized_ce),
    "focal": Recipe(_focal),
    "quantile": Recipe(lambda d: _regression(d, _param("q", 0.5, [0.1, 0.25, 0.75, 0.9]))),
    "poly1": Recipe(_class_logits(_param("epsilon", 1.0, [1.0, 2.0]))),
    "contrastive": Recipe(_contrastive),
    "sparsemax": Recipe(_class_logits(lambda d: {})),
    "info-nce": Recipe(_info_nce),
}


# ---------------------------------------------------------------------------------------------
# Well conditioned: what a problem must be to be kept

EXPECTED_NOTES = ("targets equal the ignore index",)  # level 3 ignores a target on purpose


def _kink_free(spec: LossSpec, tensors: dict, params: dict, reduction: str,
               result: Result) -> bool:
    """No input sits on a kink: for every element that carries a gradient, the left and right
    difference quotients agree (a hinge at 0, |d| = 0, a tie between scores), and so do the
    left and right second differences (huber's |d| = δ, where only the curvature jumps but a
    student cannot tell which branch applies)."""
    def value(name, x0, index, step):
        x = x0.copy()
        x[index] += step
        return float(np.sum(compute(spec, {**tensors, name: x}, None, params, reduction).value))

    def differ(a: float, b: float, tol: float) -> bool:
        return abs(a - b) > tol * max(1.0, abs(a), abs(b))

    base = float(np.sum(np.asarray(result.value, dtype=float)))
    h, k = KINK_STEP, CURVATURE_STEP
    for name in result.grad:
        x0 = np.asarray(tensors[name], dtype=float)
        for index in np.ndindex(*x0.shape):
            f = {step: value(name, x0, index, step) for step in (-2 * k, -k, -h, h, k, 2 * k)}
            if differ((f[h] - base) / h, (base - f[-h]) / h, 1e-3):
                return False
            right = (f[2 * k] - 2 * f[k] + base) / k**2
            left = (base - 2 * f[-k] + f[-2 * k]) / k**2
            if differ(right, left, 1e-2):
                return False
    return True


def well_posed(spec: LossSpec, tensors: dict, params: dict, reduction: str,
               dtype: str) -> Result | None:
    """The problem's result when it is well conditioned, else None: it computes, its value is
    finite, no note warns about it (clamps, clips and misuses are notes), and no input sits
    on a kink."""
    try:
        result = compute(spec, tensors, None, params, reduction, dtype)
        exact = compute(spec, tensors, None, params, reduction, "float64")
    except LosscalcError:
        return None
    if not (np.all(np.isfinite(result.value)) and np.all(np.abs(result.value) < 1e3)):
        return None
    if any(not any(e in note for e in EXPECTED_NOTES) for note in result.notes):
        return None
    return result if _kink_free(spec, tensors, params, reduction, exact) else None


# ---------------------------------------------------------------------------------------------
# A problem set


def recipe_for(spec: LossSpec, level: int) -> Recipe:
    """The loss's recipe; a usage error when it has no problems at ``level``."""
    recipe = RECIPES[spec.name]
    if level < recipe.lowest:
        raise UsageError(f"{spec.name} has no level-{level} problems: {recipe.why}",
                         f"use --level {recipe.lowest}")
    return recipe


def losses(names: str) -> list[LossSpec]:
    """The listed losses (comma-separated names or aliases), each once, in the order given."""
    from .names import listed

    specs = listed(names, lambda name: (spec_for(name).name, spec_for(name)), repeats=True)
    if not specs:
        raise UsageError("name at least one loss, such as mse,ce")
    return specs


def _reductions(spec: LossSpec, recipe: Recipe, level: int) -> tuple[str, ...]:
    """Level 1 asks for the mean; levels 2 and 3 go through every reduction in turn."""
    if level in recipe.reductions:
        return recipe.reductions[level]
    return ("mean",) if level == 1 else spec.reductions


def generate(specs: list[LossSpec], count: int, seed: int, level: int) -> list[Exercise]:
    """``count`` problems, the losses taking turns; the same arguments give the same set."""
    recipes = [recipe_for(spec, level) for spec in specs]
    draw = Draw(np.random.Generator(np.random.PCG64(seed)), level)
    width = len(str(count))
    out = []
    for i in range(count):
        spec, recipe = specs[i % len(specs)], recipes[i % len(specs)]
        reductions = _reductions(spec, recipe, level)
        reduction = reductions[(i // len(specs)) % len(reductions)]
        out.append(_one(f"q{i + 1:0{width}d}", spec, recipe, draw, reduction))
    return out


def _one(ident: str, spec: LossSpec, recipe: Recipe, draw: Draw, reduction: str) -> Exercise:
    for _ in range(ATTEMPTS):
        tensors, params = recipe.draw(draw)
        dtype = "float32" if draw.level == 3 and draw.chance() else "float64"
        result = well_posed(spec, tensors, params, reduction, dtype)
        if result is not None:
            return Exercise(ident, spec, tensors, params, reduction, dtype, result)
    raise UsageError(f"no well-conditioned {spec.name} problem at level {draw.level} in "
                     f"{ATTEMPTS} draws", "try another --seed or --level")


# ---------------------------------------------------------------------------------------------
# The files: check's CSV columns and batch's JSON Lines


def number_text(x: float) -> str:
    """A number as it reads back exactly: 2 for an integer, else the shortest repr."""
    x = float(x)
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)


def _plain(value: np.ndarray):
    """Nested lists of ints and floats (integers without ".0")."""
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        x = float(value)
        return int(x) if x.is_integer() and abs(x) < 1e15 else x
    return [_plain(v) for v in value]


def tensor_text(value: np.ndarray) -> str:
    """A tensor as the command line writes it: 1,2,3 · '1,2; 3,4' · JSON from 3 axes on."""
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return number_text(value)
    if value.ndim == 1:
        return ",".join(number_text(x) for x in value)
    if value.ndim == 2:
        return "; ".join(",".join(number_text(x) for x in row) for row in value)
    return dumps(_plain(value))


def param_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, np.ndarray):
        return tensor_text(value)
    return number_text(value)


def expect_value(result: Result):
    """The answer: a number, or nested lists for reduction none."""
    return _plain(np.asarray(result.value, dtype=float))


def csv_blocked(specs: list[LossSpec]) -> None:
    """check's CSV reads a prediction and a target: a loss of more tensors needs JSON Lines."""
    for spec in specs:
        extra = [t.name for t in spec.tensors if t.required and t.name not in ("pred", "target")]
        if extra:
            raise UsageError(f"{spec.name} takes the tensor(s) {', '.join(extra)}, and the CSV "
                             "of check has columns for pred and target only",
                             "use --format jsonl")


def param_columns(exercises: list[Exercise]) -> list[str]:
    """Every parameter some problem states, in the order first stated."""
    return list(dict.fromkeys(k for e in exercises for k in e.params))


def csv_text(exercises: list[Exercise], key: bool) -> str:
    """problems.csv (``key`` False) or key.csv: check's columns, one problem per row."""
    import csv
    import io

    params = param_columns(exercises)
    header = ["id", "loss", "pred", "target", *params, "reduction", "dtype"]
    header += ["expect", "tol"] if key else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for e in exercises:
        row = [e.id, e.spec.name, tensor_text(e.tensors["pred"]),
               tensor_text(e.tensors["target"]),
               *(param_text(e.params[p]) if p in e.params else "" for p in params),
               e.reduction, e.dtype]
        if key:
            value = expect_value(e.result)
            row += [dumps(value) if isinstance(value, list) else number_text(value),
                    number_text(TOL)]
        writer.writerow(row)
    return out.getvalue()


def jsonl_text(exercises: list[Exercise], key: bool) -> str:
    """problems.jsonl or key.jsonl: the problems of `batch`, one per line."""
    lines = []
    for e in exercises:
        obj: dict = {"id": e.id, "loss": e.spec.name}
        obj.update({name: _plain(value) for name, value in e.tensors.items()})
        if e.params:
            obj["params"] = {k: (_plain(v) if isinstance(v, np.ndarray) else v)
                             for k, v in e.params.items()}
        obj.update({"reduction": e.reduction, "dtype": e.dtype})
        if key:
            obj.update({"expect": expect_value(e.result), "tol": TOL})
        lines.append(dumps(obj) + "\n")
    return "".join(lines)


TABLES = {"csv": csv_text, "jsonl": jsonl_text}
