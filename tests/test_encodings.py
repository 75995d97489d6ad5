"""Consoles that are not UTF-8 (a GBK Windows console, LANG=C, Latin-1): every character the
stream cannot encode is written in an ASCII form, never an internal error or half a page.
Run in a subprocess, as the console's encoding is the interpreter's (PYTHONIOENCODING)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from losscalc.render.encodable import ascii_form

CE = ["ce", "-p", "0.5,0.3,0.2; 0.3,0.6,0.1", "-t", "1,2", "--explain"]


def losscalc(args, encoding):
    env = {**os.environ, "PYTHONIOENCODING": encoding, "COLUMNS": "100"}
    return subprocess.run([sys.executable, "-m", "losscalc", *args], capture_output=True,
                          env=env, timeout=120)


@pytest.mark.parametrize("encoding", ["gbk", "ascii", "latin-1"])
@pytest.mark.parametrize("form", ["plain", "table", "markdown"])
def test_an_explanation_on_a_console_that_is_not_utf8(encoding, form):
    run = losscalc([*CE, "--format", form], encoding)
    out, err = run.stdout.decode(encoding), run.stderr.decode(encoding)
    assert run.returncode == 0, err
    assert "internal error" not in err and "Traceback" not in err
    # Σ_c(e): GBK has Greek letters, ASCII and Latin-1 do not (markdown writes LaTeX)
    assert form == "markdown" or ("Σ_c(e)" if encoding == "gbk" else "sum_c(e)") in out
    if encoding == "ascii":
        assert out.isascii()
        assert form == "markdown" or "dloss/dz" in out  # ∂loss/∂z


@pytest.mark.parametrize("encoding", ["gbk", "ascii"])
def test_errors_and_notes_on_a_console_that_is_not_utf8(encoding):
    run = losscalc(["mse", "-p", "1，∞", "-t", "1,2"], encoding)
    assert run.returncode == 0
    run = losscalc(["mse", "-p", "1♥", "-t", "1"], encoding)
    err = run.stderr.decode(encoding)
    assert run.returncode == 3 and "U+2665" in err and "internal error" not in err


@pytest.mark.parametrize("char, ascii_text", [
    ("−", "-"), ("Σ", "sum"), ("∂", "d"), ("σ", "sigma"), ("Δ", "Delta"), ("─", "-"),
    ("│", "|"), ("┼", "+"), ("╭", "+"), ("₂", "_2"), ("²", "^2"), ("ℓ", "l"), ("é", "e"),
])
def test_ascii_forms(char, ascii_text):
    assert ascii_form(char) == ascii_text
