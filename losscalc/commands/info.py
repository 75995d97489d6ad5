"""`losscalc info entropy|cross-entropy|kl|js --p … [--q …] [--base e|2|10]`."""

from __future__ import annotations

from typing import Optional

import numpy as np
import typer

from .. import info
from .common import OUTPUT_OPTIONS, Report, command, emit, json_steps, one_stdin, tensor
from .options import TENSOR_HELP, choice, encoding_option

Base = choice("Base", tuple(info.BASES))

OPTIONS = {
    "measure": (str, ..., typer.Argument(metavar="MEASURE", show_default=False,
                                         help="entropy, cross-entropy, kl or js.",
                                         autocompletion=info.complete)),
    "p": (Optional[str], None, typer.Option("--p", "-p", metavar="TENSOR",
                                            help=f"Probabilities, one distribution per row. "
                                                 f"{TENSOR_HELP}")),
    "q": (Optional[str], None, typer.Option("--q", metavar="TENSOR",
                                            help="The second distribution(s), --p's shape.")),
    "base": (Base, Base("e"), typer.Option("--base", "-b",
                                           help="Logarithm base: e (nats), 2 (bits), 10 "
                                                "(hartleys).")),
    "normalize": (bool, False, typer.Option("--normalize",
                                            help="Divide each row by its sum (otherwise rows "
                                                 "must sum to 1).")),
    **encoding_option(),
    **OUTPUT_OPTIONS,
}


def _help() -> str:
    rows = "\n".join(f"  {m.name:<14}{m.formula}" for m in info.MEASURES.values())
    return f"""Entropy, cross-entropy, KL and Jensen–Shannon divergence of distributions.

\b
{rows}

Each row of --p (and --q) is one distribution; the value is one number per row. 0·log 0 = 0;
q = 0 where p > 0 makes cross-entropy and KL infinite (with a note). Rows must sum to 1
unless --normalize. ln is the natural log: the default unit is the nat; --base 2 gives bits,
--base 10 hartleys.

\b
Output: plain prints the value(s), one per line; csv one row per
element (index, p, q, its term of the sum); json {{"info", "unit",
"dtype", "value", "elementwise", "shape", "params"}}.

\b
Examples:
  losscalc info entropy --p 0.7,0.2,0.1 --explain
  losscalc info kl --p 0.5,0.5 --q 0.9,0.1 --base 2"""


def measure_information(opts: dict) -> None:
    spec = info.resolve(opts["measure"])
    one_stdin(opts, ["p", "q"])
    if opts["p"] is None:
        from ..errors import UsageError

        raise UsageError(f"{spec.name} needs --p" + (" and --q" if spec.needs_q else ""),
                         "for example: losscalc info entropy --p 0.7,0.2,0.1")
    result = info.compute_info(spec, tensor(opts["p"], "--p"), tensor(opts["q"], "--q"),
                            opts["base"], opts["dtype"], opts["normalize"])
    emit(report(result, spec), opts)


app = command(measure_information, OPTIONS, "info", _help())


def _detail(result: info.InfoResult) -> str:
    return f"base {result.base} ({result.unit}) · {result.dtype}"


def _columns(result: info.InfoResult) -> dict:
    out = {"p": result.p}
    if result.q is not None:
        out["q"] = result.q
    out["term"] = result.elementwise
    return out


def report(result: info.InfoResult, spec: info.Measure) -> Report:
    from ..report import index_names, nested

    shape = {"p": list(result.p.shape)}
    if result.q is not None:
        shape["q"] = list(result.q.shape)
    obj = {"info": result.measure, "unit": result.unit, "dtype": result.dtype,
           "value": nested(result.value), "elementwise": nested(result.elementwise),
           "shape": shape, "params": {"base": result.base, "normalize": result.normalize}}
    columns = _columns(result)
    rows = [[str(i) for i in index] + [a[index] for a in columns.values()]
            for index in np.ndindex(*result.p.shape)]
    return Report(
        name=result.measure, detail=_detail(result), value=result.value, json=obj,
        csv_header=index_names(result.p.ndim) + list(columns), csv_rows=rows,
        grids=lambda digits, full: _grids(result, spec, digits),
        explanation=lambda digits, full: explain(result, spec, digits, full),
        steps=lambda: json_steps(result.steps), notes=list(result.notes),
        shown_value=lambda digits: _shown_value(result, digits),
    )


def _shown_value(result: info.InfoResult, digits: int) -> str:
    from ..render.explain import fmt_array

    return f"{fmt_array(result.value, digits, True)} {result.unit}"


def _grids(result: info.InfoResult, spec: info.Measure, digits: int):
    from ..render.explain import fmt_value
    from ..render.table import Grid

    columns = _columns(result)
    grids = []
    if result.value.ndim:
        grids.append(Grid("Per row", ["row", f"{spec.symbol} ({result.unit})"],
                          [[str(r), fmt_value(v, digits)] for r, v in enumerate(result.value)]))
    rows = [[", ".join(map(str, index))] + [fmt_value(a[index], digits)
                                            for a in columns.values()]
            for index in np.ndindex(*result.p.shape)]
    grids.append(Grid("Terms of the sum", ["index", *columns], rows))
    return grids


def explain(result: info.InfoResult, spec: info.Measure, digits: int = 6, full: bool = False):
    from ..render.explain import (
        Explanation,
        Prose,
        Section,
        constants_section,
        fmt_array,
        sample_sections,
        step_line,
    )

    _, unit, log = info.BASES[result.base]
    formulas = [Prose(spec.formula)] + [f"{s.name} = {s.formula}" for s in result.steps]
    if result.base == "e":
        formulas.append(Prose("ln is the natural logarithm (base e): the result is in nats — "
                              "not base 10 (log₁₀, in hartleys) nor base 2 (bits)"))
    else:
        formulas.append(Prose(f"{log} x = ln x / ln {result.base}: the result is in {unit} "
                              "(ln alone would give nats)"))
    formulas.append(Prose("0·log 0 = 0 (the limit of p·log p as p → 0): a term whose weight is "
                          "0 is 0"))
    sections = [Section("formulas", formulas), *constants_section(result.steps, digits, full)]
    count = result.p.shape[0] if result.p.ndim > 1 else None

    def sample(view, n):
        data = [f"{k} = {fmt_array(v if n is None else v[n], digits, full)}"
                for k, v in (("p", result.p), ("q", result.q)) if v is not None]
        return data + [step_line(s, view) for s in result.steps]

    sections += sample_sections(count, "row", digits, full, sample)
    value = fmt_array(result.value, digits, full)
    sections.append(Section(f"{spec.symbol} = {value} {unit}"))
    title = f"{result.measure}: {spec.reference} · {_detail(result)}"
    return Explanation(title, sections, list(result.notes))
