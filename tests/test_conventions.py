"""The command-line conventions of issue 7 item 8, for every kind of command:

- colour only on a terminal, and never with NO_COLOR or --no-color — not one escape byte then,
  even where the terminal is forced (FORCE_COLOR, as CI logs do) — while a forced terminal
  without them does get colour (so these tests can fail);
- errors on stderr and nothing on stdout;
- `-h` and `--help` on every command;
- `-` reads standard input wherever a file or tensor is accepted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ESC = "\x1b"

# Commands that draw rich tables or explanations, one per kind.
STYLED = [
    ("mse", "-p", "1,2,3", "-t", "1,2,5", "--format", "table"),
    ("ce", "--logits", "0.5,0.3,0.2; 0.3,0.6,0.1", "-t", "1,2", "--format", "table", "-q"),
    ("ce", "--logits", "0.1,0.2,0.3", "-t", "1", "--explain", "--format", "table"),
    ("act", "sigmoid", "--x", "-2,0,2", "--format", "table"),
    ("act", "softmax", "--x", "3,1,-3", "--explain", "--format", "table"),
    ("info", "entropy", "--p", "0.7,0.2,0.1", "--format", "table"),
    ("backprop", "--format", "table"),
    ("compare", "l1,mse,huber", "--pred", "4.5,5,2", "--target", "3,5,2.5", "--format", "table"),
    ("check", str(ROOT / "examples" / "answers.csv"), "--format", "table"),
]


@pytest.fixture
def forced_terminal(monkeypatch):
    """rich treats stdout as a colour terminal (FORCE_COLOR), whatever pytest captures."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)
    return monkeypatch


def _id(args) -> str:
    return " ".join(args[:2])


@pytest.mark.parametrize("args", STYLED, ids=_id)
def test_a_forced_terminal_gets_colour(cli, forced_terminal, args):
    _, out, _ = cli(*args)
    assert ESC in out, "styles on a (forced) terminal: else the tests below prove nothing"


@pytest.mark.parametrize("args", STYLED, ids=_id)
def test_no_color_env_means_no_escape_byte(cli, forced_terminal, args):
    forced_terminal.setenv("NO_COLOR", "1")
    code, out, err = cli(*args)
    assert code in (0, 1), err
    assert out.strip()
    assert ESC not in out and ESC not in err


@pytest.mark.parametrize("args", STYLED, ids=_id)
def test_no_color_option_means_no_escape_byte(cli, forced_terminal, args):
    code, out, err = cli(*args, "--no-color")
    assert code in (0, 1), err
    assert out.strip()
    assert ESC not in out and ESC not in err


def test_an_empty_no_color_is_not_set(cli, forced_terminal):
    """no-color.org: NO_COLOR counts when it is present and not empty."""
    forced_terminal.setenv("NO_COLOR", "")
    assert ESC in cli(*STYLED[0])[1]


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
@pytest.mark.parametrize("env, flags, coloured", [
    ({}, (), True),
    ({"NO_COLOR": "1"}, (), False),
    ({}, ("--no-color",), False),
], ids=["terminal", "NO_COLOR", "--no-color"])
@pytest.mark.parametrize("args", [("mse", "-p", "1,2,3", "-t", "1,2,5"), ("list",),
                                  ("plot", "sigmoid", "--range", "-3:3")],
                         ids=["mse", "list", "plot"])
def test_on_a_real_terminal(env, flags, coloured, args):
    """On a pseudo-terminal the default output is the table (or plot): coloured unless told
    not to."""
    import pty

    if args[0] == "plot":
        pytest.importorskip("plotext")

    primary, secondary = pty.openpty()
    environ = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    proc = subprocess.Popen([sys.executable, "-m", "losscalc", *args, *flags],
                            stdin=subprocess.DEVNULL, stdout=secondary, stderr=subprocess.PIPE,
                            env={**environ, "TERM": "xterm-256color", "COLUMNS": "100", **env})
    os.close(secondary)
    out = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 0, err
    os.close(primary)
    assert b"\xe2\x94\x80" in out, "a table or plot (its ─ rule) on a terminal"
    assert (b"\x1b" in out) is coloured
    assert b"\x1b" not in err


# ---------------------------------------------------------------------------------------------
# Errors: stderr only


@pytest.mark.parametrize("args", [
    ("mse", "-p", "1,2", "-t", "1,2,3"),
    ("bce", "--probs", "2.3", "-t", "1"),
    ("mse", "-p", "1", "-t", "1", "--bogus"),
    ("mse", "-p", "@/nonexistent/p.npy", "-t", "1"),
    ("nosuchloss",),
    ("act", "nosuch", "--x", "1"),
    ("act", "sigmoid", "--x", "nan"),
    ("info", "entropy", "--p", "2,3"),
    ("backprop", "--x", "1,2,3"),
    ("batch", "/nonexistent/problems.jsonl"),
    ("check", "/nonexistent/answers.csv"),
    ("compare", "l1,nosuch", "--pred", "1", "--target", "1"),
    ("list", "--kind", "nosuch"),
    ("completions", "tcsh"),
    ("plot", "nosuch", "--range", "-1:1"),
], ids=_id)
def test_errors_go_to_stderr_only(cli, forced_terminal, args):
    code, out, err = cli(*args)
    assert code >= 2
    assert out == ""
    assert err.startswith("losscalc: error: ")
    assert ESC not in err
    assert "Traceback" not in err


# ---------------------------------------------------------------------------------------------
# -h and --help


def _every_command() -> list[tuple[str, ...]]:
    from losscalc.listing import entries
    from losscalc.losses import all_losses

    commands = [row["name"] for row in entries(("command",))]
    return [(), *[(name,) for name in commands + list(all_losses())], ("info", "kl"),
            ("act", "relu")]


@pytest.mark.parametrize("command", _every_command(), ids=lambda c: " ".join(c) or "losscalc")
def test_dash_h_is_help(cli, command):
    code, long, err = cli(*command, "--help")
    assert (code, err) == (0, "")
    assert long.startswith("Usage: losscalc")
    assert "-h, --help" in long
    assert cli(*command, "-h") == (0, long, "")


# ---------------------------------------------------------------------------------------------
# - is standard input


def _value(cli, *args, stdin=None):
    code, out, err = cli(*args, stdin=stdin)
    assert code == 0, err
    return out


@pytest.mark.parametrize("args, stdin, same_as", [
    (("mse", "-p", "-", "-t", "1,2,5"), "1,2,3", ("mse", "-p", "1,2,3", "-t", "1,2,5")),
    (("mse", "-p", "1,2,3", "-t", "-"), "1 2 5\n", ("mse", "-p", "1,2,3", "-t", "1,2,5")),
    (("ce", "--logits", "-", "-t", "1,2"), "[[0.5,0.3,0.2],[0.3,0.6,0.1]]",
     ("ce", "--logits", "0.5,0.3,0.2; 0.3,0.6,0.1", "-t", "1,2")),
    (("mse", "--csv", "-"), "pred,target\n1,1\n2,2\n3,5\n",
     ("mse", "-p", "1,2,3", "-t", "1,2,5")),
    (("mse",), "pred,target\n1,1\n2,2\n3,5\n", ("mse", "-p", "1,2,3", "-t", "1,2,5")),
    (("act", "sigmoid", "--x", "-"), "-2,0,2", ("act", "sigmoid", "--x", "-2,0,2")),
    (("info", "kl", "--p", "-", "--q", "0.9,0.1"), "0.5,0.5",
     ("info", "kl", "--p", "0.5,0.5", "--q", "0.9,0.1")),
    (("compare", "l1,mse", "--pred", "-", "--target", "3,5,2.5"), "4.5,5,2",
     ("compare", "l1,mse", "--pred", "4.5,5,2", "--target", "3,5,2.5")),
    (("backprop", "--x", "-"), "0.05,0.1", ("backprop", "--x", "0.05,0.1")),
], ids=lambda v: " ".join(v) if isinstance(v, tuple) else None)
def test_dash_reads_stdin(cli, args, stdin, same_as):
    assert _value(cli, *args, stdin=stdin) == _value(cli, *same_as)


def test_batch_dash_reads_stdin(cli, tmp_path):
    problems = (ROOT / "examples" / "problems.jsonl").read_text()
    path = tmp_path / "problems.jsonl"
    path.write_text(problems)
    from_file = cli("batch", str(path))
    assert cli("batch", "-", stdin=problems) == from_file
    assert cli("batch", stdin=problems) == from_file  # no FILE: stdin too
    assert [json.loads(line) for line in from_file[1].splitlines()]


@pytest.mark.parametrize("name", ["answers.csv", "problems.jsonl"])
def test_check_dash_reads_stdin(cli, forced_terminal, name):
    forced_terminal.setenv("NO_COLOR", "1")
    path = ROOT / "examples" / name
    assert cli("check", "-", stdin=path.read_text()) == cli("check", str(path))


def test_two_options_cannot_both_read_stdin(cli):
    code, out, err = cli("mse", "-p", "-", "-t", "-", stdin="1")
    assert code == 2 and out == "" and "standard input" in err


def test_an_infinite_delta_leaves_huber_quadratic_with_a_finite_gradient(cli):
    # δ = inf: every |d| < δ, so ℓ = ½d² and ∂ℓ/∂x = d (PyTorch's kernel: clamp(d, −δ, δ)).
    # d = [−1, 3]: mean ℓ = (0.5 + 4.5)/2 = 2.5, grad = d/2 = [−0.5, 1.5]. The linear branch,
    # not taken, must pass no gradient (0·δ = 0·inf was nan).
    code, out, err = cli("huber", "-p", "0,3", "-t", "1,0", "--delta", "inf", "--json")
    document = json.loads(out)
    assert code == 0 and document["value"] == 2.5
    assert document["grad"]["pred"] == [-0.5, 1.5]
