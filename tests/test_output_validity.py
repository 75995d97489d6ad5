"""Output that is always valid: strict JSON from every door (the cli fixture also checks every
JSON output of the suite), user text that cannot drive the terminal, a narrow terminal that
still shows the result, no warning from info --normalize, and plotting with an unusable HOME
that stays quiet and leaves nothing behind."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import warnings

import pytest
from conftest import assert_strict_json

ESC = "\x1b"


def _strict(text: str):
    return json.loads(text, parse_constant=lambda c: pytest.fail(f"bare {c}"))


@pytest.mark.parametrize("args, stdin", [
    (["huber", "-p", "1", "-t", "2", "--delta", "inf", "--json"], None),
    (["mse", "-p", "1e200", "-t", "0", "--json"], None),  # value (1e200)² = inf
    (["mse", "-p", "inf", "-t", "inf", "-r", "none", "--json"], None),  # nan
    (["compare", "mse,l1", "-p", "inf", "-t", "0", "--json"], None),
    (["info", "entropy", "--p", "1,0", "--json"], None),
    (["act", "relu", "--x", "inf,-inf", "--json"], None),
    (["batch"], '{"loss": "mse", "pred": [1], "target": [2], "id": Infinity}\n'
                '{"loss": "mse", "pred": [1], "target": [2], "id": [NaN, -Infinity]}\n'
                '{"loss": "mse", "pred": [1], "target": [2], "id": NaN, "expect": "x"}\n'),
    (["check", "-", "--format", "json"], '{"loss": "mse", "pred": [1], "target": [2], '
                                         '"id": -Infinity, "expect": Infinity}\n'),
])
def test_json_is_strict_at_every_door(cli, args, stdin):
    code, out, err = cli(*args, stdin=stdin)
    assert out.strip(), err
    assert_strict_json(out)


def test_huber_delta_inf_is_a_string_in_params(cli):
    code, out, err = cli("huber", "-p", "1", "-t", "2", "--delta", "inf", "--json")
    assert _strict(out)["params"]["delta"] == "inf"


def test_echoed_ids_are_strict(cli):
    code, out, err = cli("batch", stdin='{"loss": "mse", "pred": [1], "target": [2], '
                                        '"id": [Infinity, 1]}\n')
    assert _strict(out)["id"] == ["inf", 1]


# --- control characters in user text --------------------------------------------------------


NASTY = [f"{ESC}[2J", "\x07", "a\rb", "line\nbreak", f"{ESC}]0;title\x07", "\x9b31m",
         "\u2028", "tab\there"]


@pytest.mark.parametrize("text", NASTY)
def test_a_file_name_in_a_message_stays_one_line(cli, tmp_path, text):
    path = str(tmp_path / f"x{text}y.csv")
    for args in (["mse", "--csv", path], ["mse", "-p", f"@{path}", "-t", "1"],
                 ["batch", path], ["check", path]):
        code, out, err = cli(*args)
        assert code == 4 and len(err.splitlines()) <= 2, (args, err)
        _no_controls(err)


@pytest.mark.parametrize("text", NASTY)
def test_user_text_in_batch_and_check_is_escaped(cli, tmp_path, text):
    line = json.dumps({"loss": f"no{text}pe", "pred": [1], "target": [2]})
    code, out, err = cli("batch", stdin=line + "\n")
    message = _strict(out)["error"]
    _no_controls(message)
    path = tmp_path / "a.csv"
    cell = text.replace('"', '""')
    path.write_text(f'id,loss,pred,target,expect\n"{cell}",mse,1,2,1\n"q2","no{cell}pe",1,2,1\n',
                    newline="")
    for fmt, lines in (("table", None), ("plain", 2), ("csv", 3)):
        code, out, err = cli("check", str(path), "--format", fmt, "--no-color")
        assert code == 2, (fmt, err)
        _no_controls(out, "\n\t" if fmt == "plain" else "\n")  # plain's columns: tabs
        _no_controls(err)
        assert lines is None or len(out.splitlines()) == lines, out


def test_markup_in_a_table_cell_is_shown_as_it_is(cli, tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("id,loss,pred,target,expect\n[bold]q1,mse,1,2,1\n")
    code, out, err = cli("check", str(path), "--format", "table", "--no-color")
    assert "[bold]q1" in out


def _no_controls(text: str, allowed: str = "\n") -> None:
    bad = [c for c in text if (ord(c) < 32 and c not in allowed) or 0x7f <= ord(c) <= 0x9f
           or c in "\u2028\u2029"]
    assert not bad, repr(text)


# --- narrow terminals ---------------------------------------------------------------------


def _run(args, env=None, **kwargs):
    return subprocess.run([sys.executable, "-m", "losscalc", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})}, **kwargs)


@pytest.mark.parametrize("columns", ["0", "1", "10"])
@pytest.mark.parametrize("extra", [[], ["--explain"]])
def test_a_narrow_terminal_still_shows_the_value(columns, extra):
    # mse of (1, 2) against (1, 3): (0 + 1)/2 = 0.5
    run = _run(["mse", "-p", "1,2", "-t", "1,3", "--format", "table", *extra],
               env={"COLUMNS": columns})
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    assert re.search(r"^value =? ?0\.5$", run.stdout, re.M), run.stdout  # not --explain's


# --- info --normalize ------------------------------------------------------------------------


@pytest.mark.parametrize("p", ["1e308,1e308", "1.7e308,1.7e308", "1e-320,1e-320",
                               "1e308,1e308; 1,1"])
def test_normalizing_huge_or_tiny_rows_is_exact_and_quiet(cli, p):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning would be a line on stderr
        code, out, err = cli("info", "entropy", "--p", p, "--normalize", "-q")
    assert code == 0 and err == ""
    for value in out.split():  # two equal entries: ln 2, every row
        assert abs(float(value) - math.log(2)) < 1e-15


# --- plotting with an unusable HOME ----------------------------------------------------------


@pytest.mark.parametrize("home", ["/dev/null", "nonexistent", "readonly"])
def test_plotting_with_an_unusable_home_is_quiet_and_leaves_nothing(tmp_path, home):
    pytest.importorskip("matplotlib")
    temp = tmp_path / "tmp"
    temp.mkdir()
    if home == "nonexistent":
        home = str(tmp_path / "nonexistent")
    elif home == "readonly":
        home = str(tmp_path / "readonly")
        os.mkdir(home, 0o555)
    env = {k: v for k, v in os.environ.items() if k not in ("MPLCONFIGDIR", "XDG_CONFIG_HOME",
                                                             "XDG_CACHE_HOME")}
    env.update(HOME=home, TMPDIR=str(temp))
    out = tmp_path / "p.png"
    run = subprocess.run([sys.executable, "-m", "losscalc", "plot", "mse", "--out", str(out)],
                         capture_output=True, text=True, timeout=300, env=env)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert out.stat().st_size > 0
    assert list(temp.iterdir()) == []  # no temporary folder left
    assert not (tmp_path / "nonexistent").exists()
