"""Shared helpers: reference data, tolerances and a way to run the CLI in-process."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# CI runs the same examples every time (a red CI must be reproducible); locally hypothesis
# keeps exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

DATA = Path(__file__).parent / "data"

# The suite reads losscalc's English, whatever the locale of the machine it runs on; the tests
# of other languages ask for theirs (--lang, or LOSSCALC_LANG set in the test).
os.environ["LOSSCALC_LANG"] = "en"


def load(name: str):
    return json.loads((DATA / name).read_text())


def as_array(value) -> np.ndarray:
    """Reference data as an array; the strings "inf", "-inf", "nan" become floats."""
    def fix(v):
        if isinstance(v, list):
            return [fix(x) for x in v]
        return float(v) if isinstance(v, str) else v

    return np.asarray(fix(value), dtype=float)


def assert_close(actual, expected, dtype="float64", what=""):
    """Within 1e-12 (float64) or 1e-6 (float32) relative to max(1, max |expected|).

    That is the tolerance the independent differential test applies; NaN must match NaN and
    infinities must match exactly.
    """
    actual = np.asarray(actual, dtype=float)
    expected = as_array(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    tol = 1e-12 if dtype == "float64" else 1e-6
    finite = np.isfinite(expected)
    assert np.array_equal(np.isnan(actual), np.isnan(expected)), f"{what}: nan positions differ"
    same_inf = np.where(np.isinf(expected), actual == expected, True)
    assert same_inf.all(), f"{what}: infinities differ: {actual} vs {expected}"
    if finite.any():
        scale = max(1.0, float(np.max(np.abs(expected[finite]))))
        err = float(np.max(np.abs(actual[finite] - expected[finite]))) / scale
        assert err <= tol, f"{what}: relative error {err:.3g} > {tol:g}\n{actual}\n{expected}"


needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None,
                                    reason="no LaTeX engine installed")


def assert_latex_compiles(tmp_path, bodies) -> None:
    """pdflatex compiles an article (amsmath) holding ``bodies`` (--format latex outputs)."""
    doc = ("\\documentclass{article}\\usepackage{amsmath}\\begin{document}\n" + "".join(bodies)
           + "\\end{document}\n")
    (tmp_path / "t.tex").write_text(doc)
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "t.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:]


@pytest.fixture
def cli(capsys):
    """Run `losscalc ARGS` in-process: returns (exit code, stdout, stderr)."""
    from losscalc.cli import main

    def run(*args, stdin: str | None = None, monkeypatch=None):
        import io
        import sys

        old = sys.stdin
        if stdin is not None:
            sys.stdin = io.StringIO(stdin)
        try:
            code = main([str(a) for a in args])
        finally:
            sys.stdin = old
        out = capsys.readouterr()
        assert_strict_json(out.out)
        return code, out.out, out.err

    return run


def _no_constant(name: str):
    raise AssertionError(f"not strict JSON: a bare {name}")


def assert_strict_json(out: str) -> None:
    """Output that is JSON (a document, or JSON Lines) is strict JSON: no bare Infinity or
    NaN, which strict parsers refuse. Every command the tests run is checked here."""
    if not out.lstrip().startswith(("{", "[")):
        return
    try:
        json.loads(out, parse_constant=_no_constant)
    except json.JSONDecodeError:  # JSON Lines: each line a document
        for line in out.splitlines():
            if line.strip():
                json.loads(line, parse_constant=_no_constant)


def modules_after(args, prelude: str = "") -> set[str]:
    """The modules a fresh interpreter has loaded after ``prelude`` and `losscalc ARGS`: what a
    one-shot call pays for at start-up. ``args`` None: after ``prelude`` alone (a library
    caller's script)."""
    call = "" if args is None else ("from losscalc.cli import main\n"
                                    f"main({[str(a) for a in args]!r})\n")
    script = "import sys\n" + prelude + "\n" + call + "print(' '.join(sorted(sys.modules)))\n"
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    return set(run.stdout.splitlines()[-1].split())


__all__ = ["as_array", "assert_close", "assert_latex_compiles", "assert_strict_json", "load",
           "math", "modules_after", "needs_pdflatex"]


@pytest.fixture(params=["numpy", "loadtxt", "arrow"])
def each_parser(request, monkeypatch):
    """The test runs with NumPy's CSV parsers (vectorised for plain chunks, np.loadtxt for
    the others), with np.loadtxt alone, and with pyarrow's when it is installed (a table
    module makes it autouse)."""
    from losscalc import csvsource, vectorcsv

    if request.param == "loadtxt":
        monkeypatch.setattr(vectorcsv, "AVAILABLE", False)
    if request.param == "arrow":
        pyarrow = pytest.importorskip("pyarrow")
        import pyarrow.csv  # noqa: F811  (the submodule, loaded onto the module above)

        monkeypatch.setattr(csvsource, "_ARROW", [(pyarrow, pyarrow.csv)])
    else:
        monkeypatch.setattr(csvsource, "_ARROW", [None])
    return request.param


def table_paths(monkeypatch, chunk_bytes: int, *limits: str):
    """Each path a table can take, in turn: first gathered (None), then streamed past each
    of ``limits`` rows ("0" streams every row), in chunks of ``chunk_bytes`` so that a small
    table is many chunks. ``monkeypatch`` may be pytest.MonkeyPatch.context() in a
    hypothesis test."""
    from losscalc import csvsource, streaming

    monkeypatch.setattr(csvsource, "CHUNK_BYTES", chunk_bytes)
    for limit in (None, *limits):
        if limit is None:
            monkeypatch.delenv(streaming.STREAM_ROWS, raising=False)
        else:
            monkeypatch.setenv(streaming.STREAM_ROWS, limit)
        yield limit
