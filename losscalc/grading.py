"""Grading expected answers (`losscalc check FILE`): a CSV or JSON Lines file of problems, each
with the answer a student computed by hand, graded against the computed value.

A JSON Lines file holds the problems of `losscalc batch` (losscalc.batch); a CSV file the same
fields as columns — loss, pred, target, expect and the optional id, tol, reduction, dtype and
one column per loss parameter (beta, delta, weight, …), tensors written as on the command
line ("0.5,0.3,0.2; 0.3,0.6,0.1", quoted) or as JSON. An empty cell is "not given".
"""

from __future__ import annotations

import io
import json
import re
import sys
from typing import Any, Iterator, NamedTuple

import numpy as np

from . import batch
from .errors import InvalidData, LosscalcError, UsageError
from .i18n import N_
from .losses import all_losses

DEFAULT_TOL = 1e-3  # hand computations are rounded: 1e-3, absolute or relative


class Graded(NamedTuple):
    """One problem's grade: the computed value beside the expected one, or the error."""

    line: int
    id: Any
    loss: str | None
    expect: str | None
    value: np.ndarray | None = None
    difference: float | None = None  # value − expected (the largest in size, for arrays)
    ok: bool | None = None
    error: LosscalcError | None = None

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return self.error.exit_code
        return 0 if self.ok else 1


def is_jsonl(path: str, text: str) -> bool:
    lower = path.lower()
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        return True
    if lower.endswith((".csv", ".tsv", ".txt")):
        return False
    return text.lstrip().startswith("{")


def _tensor_names() -> set[str]:
    """Every loss's tensors by their JSON names (pred, target, x1, var, input_lengths …)."""
    return {t.name for spec in all_losses().values() for t in spec.tensors}


def _param_names() -> set[str]:
    return {p.name for spec in all_losses().values() for p in spec.params}


def _where(column: str) -> str:
    """A cell's place in an error message: column "delta"."""
    return f'column "{column}"'


def _cell_value(text: str):
    """A tol cell, or a parameter the row's loss does not take: a JSON number or true/false,
    else the text (the problem reader rejects it, as it would in a batch line)."""
    try:
        return json.loads(text.lower() if text.lower() in ("true", "false") else text,
                          parse_constant=lambda c: text, parse_int=batch.json_int)
    except ValueError:
        return text


def _tensor_cell(text: str, column: str):
    """A tensor cell, read as the command line reads a tensor option's text."""
    from .inputs import read_tensor

    return read_tensor(text, _where(column), text=True)


def csv_problems(text: str, tab: bool = False) -> Iterator[tuple[int, Any]]:
    """(line, problem object or the error reading it) per row of a CSV table with a header."""
    import csv
    import io

    # Universal line ends: a file saved with CR alone (old Mac) is rows, not one long line.
    reader = csv.reader(io.StringIO(text, newline=None), delimiter="\t" if tab else ",")
    try:
        header = next(reader, None)
    except csv.Error as err:
        raise InvalidData(f"the row cannot be read as CSV ({err})") from None
    if header is None:
        return
    columns = [h.strip().lower().replace("-", "_") for h in header]
    params, tensors = _param_names(), _tensor_names()
    known = set(batch.FIELDS) - {"params"}
    for column in columns:
        if column not in known and column not in params and column not in tensors:
            raise UsageError(f"unknown column {column!r}; check reads "
                             f"{', '.join(batch.FIELDS[:3])}, expect and the optional id, tol, "
                             "reduction, dtype, the tensors of losses of several (" +
                             ", ".join(sorted(tensors - {"pred", "target"})) + ") and loss "
                             "parameters (" + ", ".join(sorted(params)) + ")")
    several = tensors & set(columns) - {"pred", "target"}  # x1, x2, var …: pred not needed
    needed = ("loss", "expect") if several else ("loss", "pred", "target", "expect")
    missing = [c for c in needed if c not in columns]
    if missing:
        raise UsageError(f"the table has no column {missing[0]!r}; it needs loss, pred, "
                         "target and expect")
    for row in _rows(reader):
        line = reader.line_num
        if isinstance(row, LosscalcError):
            yield line, row
            continue
        if not any(cell.strip() for cell in row):
            continue
        try:
            _utf8(columns, row)
            if len(row) != len(columns):
                raise InvalidData(f"the row has {len(row)} cells but the header "
                                  f"{len(columns)}")
            yield line, _csv_object(dict(zip(columns, (c.strip() for c in row))), params,
                                    tensors)
        except LosscalcError as err:
            yield line, err
        except Exception as err:  # MemoryError, or a bug: this row's error, the rest go on
            yield line, batch.unexpected(err)


def _rows(reader):
    """The reader's rows; a row the csv module refuses (a field over its size limit) is
    that row's error, and the rows after it are read on."""
    import csv

    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            yield InvalidData(f"the row cannot be read as CSV ({err})")


def _utf8(columns: list[str], row: list[str]) -> None:
    """Raise the error of a cell holding bytes that are not UTF-8 (decoded as surrogates):
    its hint names the encoding the bytes look like, to give with --encoding."""
    from .textfiles import decode_line

    for column, cell in zip(columns + [""] * len(row), row):
        if re.search("[\udc80-\udcff]", cell):
            error = decode_line(cell.encode("utf-8", "surrogateescape"), 0,
                                _where(column) if column else "a cell")
            if isinstance(error, LosscalcError):
                raise error


def _csv_object(cells: dict, params: set[str], tensors: set[str]) -> dict:
    obj: dict = {}
    given = {k: v for k, v in cells.items() if v != ""}
    spec = None
    if "loss" in given:
        from .core import spec_for

        obj["loss"] = given["loss"]
        spec = spec_for(given["loss"])
    takes = {p.name: p for p in spec.params} if spec else {}
    for key, text in given.items():
        if key in tensors:
            obj[key] = _tensor_cell(text, key)
        elif key in ("id", "reduction", "dtype", "expect"):
            obj[key] = text
        elif key == "tol":
            obj[key] = _cell_value(text)
        elif key in params:
            param = takes.get(key)
            value = (param.read(text, _where(key), text=True) if param is not None
                     else _cell_value(text))
            obj.setdefault("params", {})[key] = value
    return obj


def jsonl_problems(raw: bytes, name: str = "", encoding: str | None = None
                   ) -> Iterator[tuple[int, Any]]:
    """Each line as batch reads it (textfiles.lines): each decoded on its own."""
    from .textfiles import lines

    for line, text in batch.problems(lines(io.BytesIO(raw), name, encoding)):
        try:
            if isinstance(text, LosscalcError):
                raise text
            yield line, batch.parse_line(text)
        except LosscalcError as err:
            yield line, err


def _read_bytes(path: str) -> bytes:
    """The file's bytes (- for standard input): lines are decoded one by one, so that a line
    that is not UTF-8 is that line's error, not the whole file's."""
    from .inputs import too_much_text
    from .limits import MAX_TEXT_BYTES, read_at_most

    def too_much(name: str):
        return too_much_text(name, N_("split the problems over several files"))

    if path == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        if stdin is None:  # a text stream given in-process
            return read_at_most(sys.stdin, MAX_TEXT_BYTES,
                                lambda: too_much("stdin")).encode("utf-8")
        return read_at_most(stdin, MAX_TEXT_BYTES, lambda: too_much("stdin"))
    from .errors import open_error

    try:
        with open(path, "rb") as handle:
            return read_at_most(handle, MAX_TEXT_BYTES, lambda: too_much(repr(path)))
    except OSError as err:
        raise open_error(path, err) from None


def read(path: str, encoding: str | None = None) -> Iterator[tuple[int, Any]]:
    """Each problem of the file (- for standard input) in ``encoding`` (--encoding; else
    UTF-8, or UTF-16/32 by its byte order mark): (line, object) or (line, the error
    reading it)."""
    from .csvsource import not_utf8
    from .textfiles import as_utf8, bom_encoding, codec

    name = "stdin" if path == "-" else path
    given = codec(encoding) if encoding is not None else None
    raw = _read_bytes(path)  # (read whole: at most 64 MiB)
    encoding = given or bom_encoding(raw[:4]) or "utf-8"
    if is_jsonl(path, raw[:4096].decode(encoding, "replace")):
        return jsonl_problems(raw, name, given)
    if encoding != "utf-8":
        raw = as_utf8(raw, encoding, name)
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    not_utf8(raw, name)  # a CSV header to read the rows by: it names the likely encoding
    # Bytes that are not UTF-8 stay as lone surrogates, found again row by row.
    return csv_problems(raw.decode("utf-8", "surrogateescape"),
                        tab=path.lower().endswith(".tsv"))


def grade(line: int, obj, tol: float | None) -> Graded:
    """Compute one problem and set its value beside the expected answer."""
    ident = obj.get("id") if isinstance(obj, dict) else None
    loss = obj.get("loss") if isinstance(obj, dict) else None
    loss = loss if isinstance(loss, str) else None
    try:
        if isinstance(obj, LosscalcError):
            raise obj
        if isinstance(obj, dict) and obj.get("expect") is None:
            raise UsageError("no expected answer (\"expect\"): check grades answers")
        if isinstance(obj, dict) and tol is not None and "tol" not in obj:
            obj = {**obj, "tol": tol}
        if isinstance(obj, dict) and "tol" not in obj:
            obj = {**obj, "tol": DEFAULT_TOL}
        problem = batch.problem(obj)
        loss = problem.spec.name
        answer = batch.solve(problem, line)
        value = np.asarray(answer.result.value, dtype=float)
        return Graded(line, ident, loss, batch.expect_text(problem.expect), value,
                      _difference(value, problem.expect), answer.ok)
    except Exception as err:  # a LosscalcError, or MemoryError or a bug: this line's error
        if not isinstance(err, LosscalcError):
            err = batch.unexpected(err)
        expect = obj.get("expect") if isinstance(obj, dict) else None
        return Graded(line, ident, loss, None if expect is None else _shown_expect(expect),
                      error=err)


def _shown_expect(expect) -> str:
    """The expected answer as the report shows it (any JSON value a line gave)."""
    try:
        return batch.expect_text(expect)
    except ValueError:  # a JSON value json.dumps refuses (a nan inside a dict …)
        return repr(expect)


def _difference(value: np.ndarray, expect) -> float:
    """value − expected, the largest in size (nan first: it matches nothing but nan)."""
    from .expectation import difference, largest, parse_expected

    expected = parse_expected(batch.expect_text(expect), "expect")
    return largest(difference(np.squeeze(value), np.squeeze(expected)))


def grade_all(path: str, tol: float | None, encoding: str | None = None) -> list[Graded]:
    return [grade(line, obj, tol) for line, obj in read(path, encoding)]


def tally(grades: list[Graded]) -> batch.Tally:
    return batch.Tally(len(grades), sum(g.ok is False for g in grades),
                   sum(g.error is not None for g in grades),
                   max((g.exit_code for g in grades), default=0))
