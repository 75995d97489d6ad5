"""Many problems in one process: one JSON object per line in, one per line out (`losscalc
batch`), and the grading of expected answers that `losscalc check` builds on.

A problem is ``{"loss", "pred", "target"}`` plus the optional ``"params"``, ``"reduction"``,
``"dtype"``, ``"expect"``, ``"tol"`` and ``"id"``; a loss of several tensors takes them by
their names instead (``"x1"``, ``"x2"``, ``"anchor"``, ``"var"``, ``"input_lengths"`` …).
Its answer is the JSON object (docs/contract.md, section 7) with ``"id"`` first and, when
``"expect"`` was given, ``"ok"`` last; a line that cannot be computed answers
``{"id", "line", "error", "exit_code"}`` instead and the next line is read. The exit code at
the end is the largest seen (0 < 1 expectation failed < 2 usage < 3 invalid data).

Only NumPy and the core are imported; json is needed anyway.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any, Iterable, NamedTuple

import numpy as np

from .core import Result, compute, spec_for
from .errors import CheckFailed, InvalidData, LosscalcError, UsageError
from .inputs import read_tensor
from .losses import field_spelling
from .registry import LossSpec

REQUIRED = ("loss", "pred", "target")
OPTIONAL = ("params", "reduction", "dtype", "expect", "tol", "id")
FIELDS = REQUIRED + OPTIONAL
DEFAULT_TOL = 1e-6  # as --expect's --tol (docs/contract.md, section 5)


class Problem(NamedTuple):
    """One problem, read and checked: ready for compute()."""

    id: Any
    spec: LossSpec
    tensors: dict[str, np.ndarray]  # by name; without "target": the loss's default target
    params: dict
    reduction: str
    dtype: str
    expect: Any  # the JSON value given (a number, a list, "inf"), or None
    tol: float


class Answer(NamedTuple):
    """What a problem gave: its result and verdict, or its error."""

    id: Any
    line: int
    result: Result | None = None
    ok: bool | None = None  # None when no expectation was given
    error: LosscalcError | None = None

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return self.error.exit_code
        return 1 if self.ok is False else 0


def _constant(name: str) -> float:
    return {"Infinity": math.inf, "-Infinity": -math.inf}.get(name, math.nan)


FLOAT_DIGITS = 309  # an integer of more digits is beyond a float's range (1.8e308)


def json_int(text: str) -> int:
    """A JSON integer that a float can hold (Python would read any, then fail to convert it,
    or refuse more than 4,300 digits with a ValueError)."""
    digits = len(text.lstrip("-"))
    if digits > FLOAT_DIGITS or (digits == FLOAT_DIGITS and abs(int(text)) > sys.float_info.max):
        raise InvalidData(f"a number too large for a float: an integer of {digits} digits",
                          "the largest float is about 1.8e308")
    return int(text)


def parse_line(text: str) -> Any:
    """A line's JSON value (Infinity allowed, NaN caught later as invalid data)."""
    try:
        return json.loads(text, parse_constant=_constant, parse_int=json_int)
    except RecursionError:
        raise InvalidData("the JSON is nested too deeply") from None
    except json.JSONDecodeError as err:
        if text.lstrip().startswith("["):
            raise _array_error(f"not valid JSON ({err.msg} at character {err.pos}), and a "
                               "line that starts a JSON array") from None
        raise InvalidData(f"not valid JSON ({err.msg} at character {err.pos})") from None


def _array_error(what: str) -> InvalidData:
    return InvalidData(f"{what}: one problem per line (JSON Lines) is expected, not an "
                       "array of problems", "jq -c '.[]' FILE.json turns an array into lines")


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def coerce_param(spec: LossSpec, name: str, value, where: str = "params"):
    """A parameter's JSON value as the loss takes it, read by its Param (a value of the wrong
    kind is a usage error, as on the command line). Unknown names are left to compute()."""
    param = next((p for p in spec.params if p.name == name), None)
    if param is None:
        return value
    return param.read(value, f"{where}.{name}", text=False)


def problem(obj) -> Problem:
    """Read one problem object, with the checks of the command line (docs/contract.md,
    section 10)."""
    if isinstance(obj, list):
        raise _array_error("got a JSON array")
    if not isinstance(obj, dict):
        raise InvalidData(f"expected a JSON object such as {{\"loss\": \"mse\", \"pred\": "
                          f"[1, 2], \"target\": [1, 3]}}, got {type(obj).__name__}")
    if "loss" not in obj:
        raise UsageError("missing field 'loss'")
    if not isinstance(obj["loss"], str):
        raise UsageError(f"\"loss\" must be a loss name, got {obj['loss']!r}")
    spec = spec_for(obj["loss"])
    names = [t.name for t in spec.tensors]
    fields = ["loss", *names, *OPTIONAL]
    unknown = [k for k in obj if k not in fields]
    if unknown:
        raise UsageError(f"unknown field {unknown[0]!r}; a {spec.name} problem has "
                         f"{', '.join(fields)}")
    missing = [t.name for t in spec.tensors if t.required and t.name not in obj]
    if missing:
        raise UsageError(f"missing field {missing[0]!r}")
    params = obj.get("params") or {}
    if not isinstance(params, dict):
        raise UsageError(f"\"params\" must be an object such as {{\"beta\": 0.5}}, got "
                         f"{params!r}")
    for key in ("reduction", "dtype"):
        if not isinstance(obj.get(key, ""), str):
            raise UsageError(f"{key!r} must be a string, got {obj[key]!r}")
    tol = obj.get("tol", DEFAULT_TOL)
    if not _is_number(tol) or not (0 <= tol < math.inf):
        raise UsageError(f"\"tol\" must be a finite number >= 0, got {tol!r}")
    expect = obj.get("expect")
    if expect is not None and not isinstance(expect, (int, float, str, list)):
        raise UsageError(f"\"expect\" must be a number or a list of numbers, got {expect!r}")
    return Problem(
        id=obj.get("id"),
        spec=spec,
        tensors={name: read_tensor(obj[name], name, text=False) for name in names
                 if name in obj},
        params={k: coerce_param(spec, k, v) for k, v in params.items()},
        reduction=obj.get("reduction", "mean"),
        dtype=obj.get("dtype", "float64"),
        expect=expect,
        tol=float(tol),
    )


def expect_text(expect) -> str:
    """An expected value as --expect takes it (a number, "inf", or JSON lists)."""
    return expect if isinstance(expect, str) else json.dumps(expect)


def verdict(value, expect, tol: float) -> bool:
    """--expect's test: True when the value is within tol of expect."""
    from .expectation import holds

    return holds(value, expect_text(expect), tol, '"expect"')


def solve(p: Problem, line: int) -> Answer:
    result = compute(p.spec, p.tensors, None, p.params, p.reduction, p.dtype)
    ok = None if p.expect is None else verdict(result.value, p.expect, p.tol)
    return Answer(p.id, line, result, ok)


def answer(text: str | LosscalcError, line: int) -> Answer:
    """One line of input (or the error reading it), answered; every error is caught into the
    answer."""
    ident = None
    try:
        if isinstance(text, LosscalcError):
            raise text
        obj = parse_line(text)
        if isinstance(obj, dict):
            ident = obj.get("id")
        return solve(problem(obj), line)
    except LosscalcError as err:
        return Answer(ident, line, error=err)
    except Exception as err:  # MemoryError, or a bug: the line says so, the batch goes on
        return Answer(ident, line, error=unexpected(err))


def unexpected(err: Exception) -> LosscalcError:
    """The error a problem's line answers when computing it raised something unforeseen."""
    if isinstance(err, MemoryError):
        return InvalidData("the problem is too large to hold in memory")
    return InvalidData(f"internal error ({type(err).__name__}: {err})")


def problems(lines: Iterable[str | bytes]):
    """(line number, text) of each non-blank line, counted from 1; a line of bytes that is not
    UTF-8 gives (line number, the error) instead, and the lines after it are read on."""
    from .textfiles import decode_line

    for number, text in enumerate(lines, 1):
        if isinstance(text, bytes):
            text = decode_line(text, number)
        if isinstance(text, LosscalcError) or text.strip():
            yield number, text


def answer_json(a: Answer) -> str:
    """The output line: the JSON object with "id" first and "ok" last, or the error object."""
    if a.error is not None:
        obj = {"id": a.id, "line": a.line, "error": a.error.one_line(field_spelling),
               "exit_code": a.error.exit_code}
    else:
        from .report import loss_json

        obj = {"id": a.id, **loss_json(a.result)}
        if a.ok is not None:
            obj["ok"] = a.ok
    from .report import dumps

    return dumps(obj) + "\n"


class Tally(NamedTuple):
    count: int
    failed: int  # expectations that did not hold
    errors: int  # lines that could not be computed
    exit_code: int


def answer_all(lines: Iterable[str], out) -> Tally:
    """Answer every problem, writing (and flushing) each answer as soon as it is computed."""
    count = failed = errors = worst = 0
    for number, text in problems(lines):
        a = answer(text, number)
        out.write(answer_json(a))
        out.flush()
        count += 1
        failed += a.ok is False
        errors += a.error is not None
        worst = max(worst, a.exit_code)
    return Tally(count, failed, errors, worst)


def outcome(tally: Tally, what: str = "problems") -> LosscalcError | None:
    """The error that ends a run whose worst exit code is not 0 (its one line on stderr)."""
    if tally.exit_code == 0:
        return None
    if tally.exit_code == 1:
        return CheckFailed(f"expectation failed for {tally.failed} of {tally.count} {what}")
    parts = [f"{tally.errors} of {tally.count} {what} could not be computed"]
    if tally.failed:
        parts.append(f"{tally.failed} expectation{'s' * (tally.failed > 1)} failed")
    err = (UsageError if tally.exit_code == 2 else InvalidData)("; ".join(parts))
    err.exit_code = tally.exit_code
    return err
