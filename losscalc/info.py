"""Information measures of discrete distributions: entropy, cross-entropy, KL and
Jensen–Shannon divergence, in nats, bits or hartleys, over the tape.

Each row of --p (and --q) along the last axis is one distribution. Conventions:

* 0·log 0 = 0 (the limit of p·log p as p → 0): a term whose weight p is 0 is 0, whatever q is.
* q = 0 where p > 0 makes cross-entropy and KL infinite (p puts mass where q has none); a note
  says where. Jensen–Shannon stays finite (its mixture m is positive wherever p or q is).
* Rows must sum to 1 (within 1e-6); --normalize divides each row by its sum instead.

References: H(p) is torch.distributions.Categorical(probs=p).entropy(); D_KL is
torch.distributions.kl_divergence of two Categoricals; both in nats (natural log). Base 2
divides by ln 2 (bits), base 10 by ln 10 (hartleys, also called bans or dits).

    >>> from losscalc.info import compute_info
    >>> float(compute_info("entropy", [0.5, 0.5], base="2").value)
    1.0
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Callable, NamedTuple

import numpy as np

from . import tape
from .checks import first_bad, fmt_index, fmt_shape
from .errors import InvalidData, UsageError, ref
from .losses import all_losses
from .names import NAMES, complete_entry, resolve_entry
from .recorder import Tape

SUM_TOLERANCE = 1e-6

# base → (the constant the logs are divided by, the unit, the log's name)
BASES = {
    "e": (None, "nats", "ln"),
    "2": ("ln 2", "bits", "log₂"),
    "10": ("ln 10", "hartleys", "log₁₀"),
}


class Measure(NamedTuple):
    name: str
    fn: Callable
    symbol: str
    formula: str
    reference: str
    aliases: tuple[str, ...] = ()
    needs_q: bool = True


# The measures by canonical name, in the order names.py declares them.
MEASURES: dict[str, Measure] = {}


def measure(name: str, **entry):
    """Register the decorated function as the measure ``name``, declared with its aliases in
    names.py (the one name table)."""

    def decorate(fn):
        MEASURES[name] = Measure(name=name, fn=fn, aliases=NAMES.get("info", name).aliases,
                                 **entry)
        return fn

    return decorate


def resolve(name: str) -> Measure:
    """The measure a user's name means (any spelling); else a usage error whose hint is the
    closest name of any kind (`info mse` → 'losscalc mse')."""
    return resolve_entry(name, "info", "measure", MEASURES, all_losses)


def complete(incomplete: str) -> list[tuple[str, str]]:
    """Shell completion of `info MEASURE`: the names (with their formulas), then the aliases."""
    return complete_entry("info", incomplete, MEASURES)


def _information(t: Tape, a: tape.Node, log_base: tape.Node | None, name: str) -> tape.Node:
    """I = −log_b(a): the information content (surprisal) of each outcome."""
    node = -tape.log(a)
    return t.let(name, node if log_base is None else node / log_base)


def _weighted(t: Tape, w: tape.Node, term: tape.Node, name: str) -> tape.Node:
    """w·term, and 0 where w = 0 (0·log 0 = 0, even against an infinite term)."""
    return t.let(name, tape.where(w.value > 0, w * term, t.const(0), f"{w.name} > 0"))


def _row_sum(t: Tape, terms: tape.Node, name: str) -> tape.Node:
    return t.let(name, tape.total(terms, -1, over="c"))


def _expected_information(t, p, q, log_base, info_name):
    """Σ_c p_c·I(q_c): the information content of q's outcomes, weighted by p."""
    terms = _weighted(t, p, _information(t, q, log_base, info_name), "h")
    return terms, _row_sum(t, terms, "H")


@measure("entropy", symbol="H", needs_q=False,
         formula="H(p) = −Σ_c p_c·log p_c",
         reference="torch.distributions.Categorical(probs=p).entropy()")
def entropy(t, p, q, log_base):
    """Shannon entropy: the expected information content of an outcome drawn from p."""
    return _expected_information(t, p, p, log_base, "I")


@measure("cross-entropy", symbol="H(p, q)",
         formula="H(p, q) = −Σ_c p_c·log q_c",
         reference="−torch.special.xlogy(p, q).sum(-1)")
def cross_entropy(t, p, q, log_base):
    """Cross-entropy: the expected information content under q of outcomes drawn from p."""
    return _expected_information(t, p, q, log_base, "I_q")


def _kl_terms(t, p, info_p, info_q, name):
    return _weighted(t, p, info_q - info_p, name)


@measure("kl", symbol="D_KL(p ‖ q)",
         formula="D_KL(p ‖ q) = Σ_c p_c·(log p_c − log q_c) = H(p, q) − H(p)",
         reference="torch.distributions.kl_divergence(Categorical(p), Categorical(q))")
def kl(t, p, q, log_base):
    """Kullback–Leibler divergence of q from p: the extra information q costs when the data
    follow p. Not symmetric; 0 only when p = q."""
    info_p = _information(t, p, log_base, "I_p")
    info_q = _information(t, q, log_base, "I_q")
    terms = _kl_terms(t, p, info_p, info_q, "d")
    return terms, _row_sum(t, terms, "D")


@measure("js", symbol="JS(p, q)",
         formula="JS(p, q) = ½·D_KL(p ‖ m) + ½·D_KL(q ‖ m), m = ½·(p + q)",
         reference="½·(kl_divergence(p, m) + kl_divergence(q, m)) with torch Categoricals")
def js(t, p, q, log_base):
    """Jensen–Shannon divergence: symmetric, finite, at most ln 2 (1 bit).

    scipy.spatial.distance.jensenshannon returns its square root (a distance), not this.
    """
    half = t.const(0.5)
    m = t.let("m", half * (p + q))
    info_p = _information(t, p, log_base, "I_p")
    info_q = _information(t, q, log_base, "I_q")
    info_m = _information(t, m, log_base, "I_m")
    d_p = _kl_terms(t, p, info_p, info_m, "d_p")
    d_q = _kl_terms(t, q, info_q, info_m, "d_q")
    terms = t.let("j", half * (d_p + d_q))
    return terms, _row_sum(t, terms, "JS")


class InfoResult(NamedTuple):
    measure: str
    base: str
    unit: str
    dtype: str
    p: np.ndarray
    q: np.ndarray | None
    value: np.ndarray  # one number per distribution (row)
    elementwise: np.ndarray  # the terms each row sums
    normalize: bool
    steps: list
    notes: list
    remarks: list


def _distributions(values, tensor: str, name: str, normalize_rows: bool, notes: list,
                   as_given: bool = False):
    """``tensor`` ("p" or "q") checked as distributions (each row sums to 1), or normalised;
    ``as_given``: a row that does not sum to 1 is used as it is, with a note (cross-entropy's
    q, as the tutorials compute −Σ p·ln q with rounded q)."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 0 or values.size == 0:
        raise InvalidData(f"{name}: {ref(tensor)} must hold at least one distribution (a vector, "
                          "or a matrix with one per row)", subjects=(tensor,))
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        at = first_bad(bad)
        raise InvalidData(f"{name}: {ref(tensor)} must hold probabilities >= 0; got "
                          f"{values[at]:g} at index {fmt_index(at)}", subjects=(tensor,))
    with np.errstate(over="ignore"):  # 1e308 + 1e308: inf, and far from 1
        sums = values.sum(-1)
    off = np.abs(sums - 1) > SUM_TOLERANCE
    if not off.any():
        return values
    at = first_bad(off)
    if as_given and not normalize_rows:
        notes.append(f"{_row(values, at, '--' + tensor)} sums to {sums[at]:.10g}, not 1: "
                     f"{name} is computed with it as given (--normalize divides each row by "
                     "its sum)")
        return values
    if not normalize_rows:
        raise InvalidData(f"{name}: {_row(values, at, ref(tensor))} sums to "
                          f"{sums[at]:.10g}, not 1",
                          "add --normalize to divide each row by its sum", subjects=(tensor,))
    peak = values.max(-1)
    if (peak == 0).any():
        at = first_bad(peak == 0)
        raise InvalidData(f"{name}: {_row(values, at, ref(tensor))} sums to 0 and cannot be "
                          "normalised", subjects=(tensor,))
    option = f"--{tensor}"  # a note is advice for the command line, where --normalize is
    notes.append(f"{_row(values, at, option)} summed to {sums[at]:.10g}; --normalize divided "
                 f"every row of {option} by its sum")
    # Scaled by its largest entry first, a row's sum lies in [1, n]: it neither overflows
    # (1e308, 1e308) nor loses the digits of subnormal entries (1e-320, 1e-320).
    scaled = values / peak[..., None]
    return scaled / scaled.sum(-1)[..., None]


def _row(values: np.ndarray, at, whole: str) -> str:
    """Where a row of ``whole`` (the tensor as a message names it) is: `row 1 of …`."""
    return f"row {fmt_index(at)[1:-1]} of {whole}" if values.ndim > 1 else whole


def compute_info(name, p, q=None, base: str = "e", dtype: str = "float64",
                 normalize_rows: bool = False) -> InfoResult:
    """``name`` (entropy, cross-entropy, kl, js) of each distribution (row) of p (and q)."""
    spec = name if isinstance(name, Measure) else resolve(name)
    if base not in BASES:
        raise UsageError(f"unknown base {base!r}; choose e, 2 or 10")
    tape.check_dtype(dtype)
    notes: list[str] = []
    if spec.needs_q and q is None:
        raise UsageError(f"{spec.name} needs {ref('p')} and {ref('q')}",
                         f"for example: losscalc info {spec.name} --p 0.7,0.2,0.1 "
                         "--q 0.6,0.3,0.1", subjects=("p", "q"))
    if not spec.needs_q and q is not None:
        raise UsageError(f"{spec.name} takes only {ref('p')}; for two distributions use "
                         "cross-entropy, kl or js", subjects=("p",))
    p = _distributions(p, "p", spec.name, normalize_rows, notes)
    if q is not None:
        q = _distributions(q, "q", spec.name, normalize_rows, notes,
                           as_given=spec.name == "cross-entropy")
        if q.shape != p.shape:
            raise InvalidData(f"{spec.name}: {ref('q')} has shape {fmt_shape(q.shape)} but "
                              f"{ref('p')} has shape {fmt_shape(p.shape)}; they must be the same",
                              subjects=("q", "p"))
    t = Tape(dtype)
    constant, unit, _ = BASES[base]
    with np.errstate(all="ignore"):
        pn = t.input(p, "p")
        qn = None if q is None else t.input(q, "q")
        log_base = None if constant is None else t.const(np.log(float(base)), constant)
        terms, value = spec.fn(t, pn, qn, log_base)
    for note in notes:
        t.note(note)
    if q is not None and spec.name in ("cross-entropy", "kl"):
        infinite = (p > 0) & (q == 0)
        if infinite.any():
            at = first_bad(infinite)
            t.note(f"q = 0 where p > 0 (at index {fmt_index(at)}): p puts mass where q has "
                   f"none, so {spec.name} is infinite")
    return InfoResult(spec.name, base, unit, dtype, pn.value, None if qn is None else qn.value,
                      value.value, terms.value, normalize_rows, t.steps, t.notes, t.remarks)


class _CallableModule(ModuleType):
    """``losscalc.info`` is this module once it is loaded (the import system sets it on the
    package), and it is also the Python door's ``losscalc.info(measure, p, q, base)``: the
    module answers the call by handing it to that door (losscalc/library.py). The door sits
    above this module, which therefore finds it by name rather than importing it."""

    def __call__(self, measure, p, q=None, base="e", **options):
        from importlib import import_module

        return import_module("losscalc.library").info(measure, p, q, base, **options)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["BASES", "InfoResult", "MEASURES", "Measure", "complete", "compute_info", "resolve"]
