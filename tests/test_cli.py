"""The command line against docs/contract.md: output forms (§6, §7), names and help (§1, §2),
errors and exit codes (§9), --expect / --check-grad / --quiet, tensor inputs from files and
stdin, and the real entry points (`python -m losscalc`, the `losscalc` console script) run as subprocesses.

Every expected number is either derived by hand in the comment next to it or taken from the
PyTorch values in tests/data/seed-examples.json (torch_float64 / torch_float32).
"""

from __future__ import annotations

import importlib.metadata
import json
import math
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import assert_close, load

from losscalc.losses import all_losses

SEEDS = {e["id"]: e for e in load("seed-examples.json")}

# docs/contract.md §2's table: canonical name → (aliases, PyTorch class).
CONTRACT_LOSSES = {
    "l1": (["mae", "l1loss"], "L1Loss"),
    "mse": (["l2", "mseloss"], "MSELoss"),
    "smooth-l1": (["smoothl1loss"], "SmoothL1Loss"),
    "huber": (["huberloss"], "HuberLoss"),
    "ce": (["cross-entropy", "crossentropyloss"], "CrossEntropyLoss"),
    "nll": (["nllloss"], "NLLLoss"),
    "bce": (["bceloss"], "BCELoss"),
    "bce-logits": (["bcewithlogitsloss", "sigmoid-cross-entropy"], "BCEWithLogitsLoss"),
    "multilabel-soft-margin": (["multilabelsoftmarginloss"], "MultiLabelSoftMarginLoss"),
    "kl": (["kl-div", "kldivloss"], "KLDivLoss"),
}

# An ordinary input for each loss (away from kinks and clamps), as command-line arguments.
ORDINARY = {
    "l1": ["-p", "1.5,2,3", "-t", "1,2.5,5"],
    "mse": ["-p", "1,2,3", "-t", "1,2,5"],
    "smooth-l1": ["-p", "4.5,5,2", "-t", "3,5.2,2.5"],
    "huber": ["-p", "4.5,5,2", "-t", "3,5.2,2.5"],
    "ce": ["--logits", "1,2,3; 3,6,1", "-t", "1,2"],
    "nll": ["--log-probs", "-1.2,-0.9,-1.2; -2.3,-1.6,-0.4", "-t", "2,0"],
    "bce": ["--probs", "0.1,0.2,0.7", "-t", "1,0,1"],
    "bce-logits": ["--logits", "1.5,-0.3,2", "-t", "1,0,0"],
    "multilabel-soft-margin": ["--logits", "1.2,-0.3,2; 0.3,1,-1", "-t", "1,0,0; 0,1,0"],
    "kl": ["--log-probs", "-1.2,-0.9,-1.2", "-t", "0.2,0.5,0.3", "--reduction", "batchmean"],
}

MSE = ("mse", "-p", "1,2,3", "-t", "1,2,5")  # d = (0, 0, −2): ℓ = (0, 0, 4), mean 4/3
MSE_MEAN = 4 / 3  # (0 + 0 + 2²)/3
CE_LOGITS = "0.5,0.3,0.2; 0.3,0.6,0.1"  # seed 002-ce-targets-1-2 with targets 1, 2
CE = ("ce", "--logits", CE_LOGITS, "--target", "1,2")
JSON_KEYS = ["loss", "reduction", "dtype", "value", "elementwise", "grad", "shape", "params"]


def _lse(row):
    return math.log(sum(math.exp(v) for v in row))


def _softmax(row):
    total = sum(math.exp(v) for v in row)
    return [math.exp(v) / total for v in row]


# CE example by hand: ℓₙ = ln Σ_c e^{z_nc} − z_{n,yₙ}; ∂mean/∂z = (softmax(zₙ) − onehot(yₙ))/2.
CE_ROWS, CE_TARGETS = [[0.5, 0.3, 0.2], [0.3, 0.6, 0.1]], [1, 2]
CE_ELEMENTWISE = [_lse(r) - r[y] for r, y in zip(CE_ROWS, CE_TARGETS)]
CE_GRAD = [[(p - (c == y)) / 2 for c, p in enumerate(_softmax(r))]
           for r, y in zip(CE_ROWS, CE_TARGETS)]


def _strict_json(text: str):
    """json.loads that refuses NaN / Infinity tokens (docs/contract.md §7: non-finite numbers are
    strings)."""
    def refuse(token):
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def assert_error(result, code: int, *fragments: str, hint: str | None = None):
    """docs/contract.md §9: exit code, stdout empty, one line `losscalc: error: …` and maybe
    `hint: …`."""
    rc, out, err = result
    assert rc == code, f"exit {rc}, stderr: {err}"
    assert out == "", "nothing may be written to stdout on error"
    assert "Traceback" not in err
    lines = err.splitlines()
    assert 1 <= len(lines) <= 2, err
    assert lines[0].startswith("losscalc: error: "), err
    if len(lines) == 2:
        assert lines[1].startswith("hint: "), err
    for fragment in fragments:
        assert fragment in lines[0], f"{fragment!r} not in {lines[0]!r}"
    if hint is not None:
        assert len(lines) == 2 and hint in lines[1], f"hint {hint!r} missing: {err!r}"


# ---------------------------------------------------------------------------------------------
# Plain output (§2)


@pytest.mark.parametrize("args, expected", [
    (MSE, repr(MSE_MEAN)),
    (("mse", "-p", "1,2,3", "-t", "1,2,5", "--dtype", "float32"),
     repr(SEEDS["000-mse-mean"]["torch_float32"])),
    (("l1", "-p", "1,2,3", "-t", "1,2,5", "--dtype", "float32"), "0.6666666865348816"),
    (("l1", "-p", "1,2,3", "-t", "1,2,5", "--reduction", "sum"), "2.0"),  # 0 + 0 + |−2|
    (CE + ("--dtype", "float32"), "1.2465587854385376"),
    (("ce", "--logits", "0.1,0.2,0.3", "-t", "1", "--dtype", "float32"),
     repr(SEEDS["000-ce-formula"]["torch_float32"])),
    (("smooth-l1", "-p", "4.5,5,2", "-t", "3,5,2.5"), "0.375"),  # (1.5 − ½ + 0 + ½·0.5²)/3
    (("huber", "-p", "3", "-t", "1", "--delta", "0.5"), "0.875"),  # 0.5·(2 − 0.25)
    (("bce", "--probs", "0.5", "-t", "1"), repr(math.log(2))),  # −ln ½
])
def test_plain_is_repr_of_the_value_on_one_line(cli, args, expected):
    code, out, err = cli(*args, "-q")
    assert code == 0, err
    assert out == expected + "\n"


def test_plain_float64_matches_pytorch(cli):
    code, out, _ = cli(*CE, "-q")
    assert code == 0
    assert_close(float(out), SEEDS["002-ce-targets-1-2"]["torch_float64"])


def test_plain_is_the_default_when_stdout_is_not_a_terminal(cli):
    _, default, _ = cli(*MSE)
    _, explicit, _ = cli(*MSE, "--format", "plain")
    assert default == explicit == repr(MSE_MEAN) + "\n"


def test_reduction_none_prints_one_element_per_line_row_major(cli):
    # seed 001-mse: pred all 1, target [[0, 1], [2, 3]] → ℓ = [[1, 0], [1, 4]]
    code, out, _ = cli("mse", "-p", "1,1; 1,1", "-t", "0,1; 2,3", "--reduction", "none")
    assert code == 0
    assert out.splitlines() == ["1.0", "0.0", "1.0", "4.0"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_reduction_none_matches_pytorch_elementwise(cli, dtype):
    seed = SEEDS["001-bcewithlogits-5x3"]
    logits = "; ".join(",".join(str(v) for v in row) for row in seed["inputs"]["logits"])
    labels = "; ".join(",".join(str(v) for v in row) for row in seed["inputs"]["labels"])
    code, out, _ = cli("bce-logits", "--logits", logits, "-t", labels, "--reduction", "none",
                       "--dtype", dtype)
    assert code == 0
    lines = out.splitlines()
    expected = np.asarray(seed[f"torch_{dtype}"]).reshape(-1)
    assert len(lines) == expected.size == 15
    assert_close([float(v) for v in lines], expected, dtype)
    for line in lines:
        assert line == repr(float(line))  # the shortest round-trip string
        if dtype == "float32":  # printed like torch's .item(): a float32 value widened
            assert float(np.float32(float(line))) == float(line), line


# ---------------------------------------------------------------------------------------------
# JSON (§2)


@pytest.mark.parametrize("flag", [("--json",), ("--format", "json"), ("-f", "json")])
def test_json_object_keys_and_values(cli, flag):
    code, out, _ = cli(*CE, *flag)
    assert code == 0
    assert out.endswith("\n") and out.count("\n") == 1
    data = _strict_json(out)
    assert list(data) == JSON_KEYS
    assert data["loss"] == "ce"
    assert data["reduction"] == "mean"
    assert data["dtype"] == "float64"
    assert_close(data["value"], SEEDS["002-ce-targets-1-2"]["torch_float64"])
    assert_close(data["elementwise"], CE_ELEMENTWISE)
    assert list(data["grad"]) == ["pred"]
    assert_close(data["grad"]["pred"], CE_GRAD)
    assert data["shape"] == {"pred": [2, 3], "target": [2]}
    assert data["params"] == {"weight": None, "ignore_index": -100, "label_smoothing": 0.0}


def test_json_float32(cli):
    code, out, _ = cli(*CE, "--json", "--dtype", "float32")
    data = _strict_json(out)
    assert data["dtype"] == "float32"
    assert data["value"] == 1.2465587854385376  # seed 002-ce-targets-1-2, torch_float32


@pytest.mark.parametrize("spelling", ["CrossEntropyLoss", "cross_entropy", "Cross-Entropy"])
def test_json_names_the_canonical_loss_when_invoked_by_alias(cli, spelling):
    data = _strict_json(cli(spelling, "--logits", CE_LOGITS, "-t", "1,2", "--json")[1])
    assert data["loss"] == "ce"


@pytest.mark.parametrize("args, value, grad", [
    # bce-logits: ℓ = ln(1 + e⁰) = ln 2; ∂ℓ/∂x = σ(0) − 1 = −½
    (("bce-logits", "--logits", "0", "-t", "1"), math.log(2), -0.5),
    (("bce-logits", "-p", "0", "-t", "1"), math.log(2), -0.5),
    # ce: −ln softmax(0, 0)₀ = ln 2; ∂/∂z = softmax − onehot = (½ − 1, ½)
    (("ce", "--logits", "0,0", "-t", "0"), math.log(2), [-0.5, 0.5]),
    (("ce", "--pred", "0,0", "-t", "0"), math.log(2), [-0.5, 0.5]),
    # bce: −ln ½ = ln 2; ∂/∂p = (p − y)/(p(1 − p)) = −½/¼ = −2
    (("bce", "--probs", "0.5", "-t", "1"), math.log(2), -2.0),
    # nll: −x₀ = 1; ∂/∂x = (−1, 0)
    (("nll", "--log-probs", "-1,-2", "-t", "0"), 1.0, [-1.0, 0.0]),
    # kl, sum: ½(ln ½ + 1) + ½(ln ½ + 2) = 1.5 − ln 2; ∂/∂x = −y
    (("kl", "--log-probs", "-1,-2", "-t", "0.5,0.5", "-r", "sum"), 1.5 - math.log(2),
     [-0.5, -0.5]),
    # mse: (3 − 1)² = 4; ∂/∂x = 2·2 = 4
    (("mse", "-p", "3", "-t", "1"), 4.0, 4.0),
])
def test_json_grad_is_keyed_pred_whichever_alias_named_it(cli, args, value, grad):
    code, out, _ = cli(*args, "--json", "-q")
    assert code == 0
    data = _strict_json(out)
    assert list(data["grad"]) == ["pred"]
    assert_close(data["value"], value)
    assert_close(data["grad"]["pred"], grad)


@pytest.mark.parametrize("loss, params", [
    ("ce", {"weight": None, "ignore_index": -100, "label_smoothing": 0.0}),
    # from_probs is losscalc's own (nll --probs takes the log itself); False is PyTorch's nll
    ("nll", {"weight": None, "ignore_index": -100, "from_probs": False}),
    ("bce", {"weight": None}),
    ("bce-logits", {"weight": None, "pos_weight": None}),
    ("multilabel-soft-margin", {"weight": None}),
    ("smooth-l1", {"beta": 1.0}),
    ("huber", {"delta": 1.0}),
    ("kl", {"log_target": False}),
    ("mse", {}),
    ("l1", {}),
])
def test_json_params_hold_pytorchs_defaults(cli, loss, params):
    data = _strict_json(cli(loss, *ORDINARY[loss], "--json", "-q")[1])
    assert data["params"] == params


def test_json_params_show_given_values(cli):
    data = _strict_json(cli(*CE, "--weight", "1,2,1", "--ignore-index", "0",
                            "--label-smoothing", "0.1", "--json", "-q")[1])
    assert data["params"] == {"weight": [1.0, 2.0, 1.0], "ignore_index": 0,
                              "label_smoothing": 0.1}


def test_json_reduction_none_value_is_nested_and_grad_is_of_the_sum(cli):
    data = _strict_json(cli("mse", "-p", "1,1; 1,1", "-t", "0,1; 2,3", "-r", "none",
                            "--json")[1])
    assert data["value"] == [[1.0, 0.0], [1.0, 4.0]]  # (x − y)² elementwise
    assert data["elementwise"] == [[1.0, 0.0], [1.0, 4.0]]
    assert data["grad"]["pred"] == [[2.0, 0.0], [-2.0, -4.0]]  # ∂Σ/∂x = 2(x − y)


def test_json_scalar_shapes_are_empty_lists(cli):
    data = _strict_json(cli("mse", "-p", "3", "-t", "1", "--json")[1])
    assert data["shape"] == {"pred": [], "target": []}
    assert data["value"] == 4.0 and data["elementwise"] == 4.0  # (3 − 1)²


@pytest.mark.parametrize("args, key, expected", [
    # every target ignored: Σ0 / Σw = 0/0 = nan, as PyTorch
    (("ce", "--logits", CE_LOGITS, "-t", "-100,-100"), "value", "nan"),
    (("mse", "-p", "inf", "-t", "0"), "value", "inf"),  # (∞ − 0)² = ∞
    (("mse", "-p", "inf", "-t", "0"), "grad", {"pred": "inf"}),  # 2(∞ − 0)
    (("mse", "-p", "-inf", "-t", "0"), "grad", {"pred": "-inf"}),  # 2(−∞ − 0)
    (("mse", "-p", "inf,1", "-t", "0,1", "-r", "none"), "value", ["inf", 0.0]),
])
def test_json_non_finite_numbers_are_strings(cli, args, key, expected):
    code, out, _ = cli(*args, "--json", "-q")
    assert code == 0
    assert _strict_json(out)[key] == expected


def test_json_explain_adds_steps(cli):
    data = _strict_json(cli(*MSE, "--json", "--explain")[1])
    assert list(data) == JSON_KEYS + ["steps"]
    assert data["value"] == MSE_MEAN
    steps = data["steps"]
    assert isinstance(steps, list) and steps
    for step in steps:
        assert list(step) == ["text", "value"]
        assert isinstance(step["text"], str) and step["text"]
    assert any(step["value"] == MSE_MEAN for step in steps), "the result is one of the steps"


def test_json_without_explain_has_no_steps(cli):
    assert "steps" not in _strict_json(cli(*MSE, "--json")[1])


# ---------------------------------------------------------------------------------------------
# CSV (§2)


def _csv(out):
    lines = out.splitlines()
    return lines[0].split(","), [[float(v) for v in line.split(",")] for line in lines[1:]]


def test_csv_one_row_per_element(cli):
    code, out, _ = cli(*MSE, "--format", "csv")
    assert code == 0
    header, rows = _csv(out)
    assert header == ["index", "loss", "grad"]
    # ℓ = (x − y)², ∂mean/∂x = 2(x − y)/3
    assert_close(rows, [[0, 0, 0], [1, 0, 0], [2, 4, -4 / 3]])


def test_csv_two_index_columns_for_a_matrix(cli):
    code, out, _ = cli("mse", "-p", "1,1; 1,1", "-t", "0,1; 2,3", "--format", "csv")
    header, rows = _csv(out)
    assert header == ["index0", "index1", "loss", "grad"]
    # ℓ = (x − y)², ∂mean/∂x = 2(x − y)/4
    assert_close(rows, [[0, 0, 1, 0.5], [0, 1, 0, 0], [1, 0, 1, -0.5], [1, 1, 4, -1]])


def test_csv_ce_has_one_grad_column_per_class(cli):
    code, out, _ = cli(*CE, "--format", "csv", "-q")
    header, rows = _csv(out)
    assert header == ["index", "loss", "grad0", "grad1", "grad2"]
    assert_close(rows, [[n, CE_ELEMENTWISE[n], *CE_GRAD[n]] for n in range(2)])


def test_csv_scalar_has_no_index_column(cli):
    header, rows = _csv(cli("mse", "-p", "3", "-t", "1", "--format", "csv")[1])
    assert header == ["loss", "grad"]
    assert rows == [[4.0, 4.0]]  # (3 − 1)², 2(3 − 1)


# ---------------------------------------------------------------------------------------------
# Tables (§2)

_SGR = re.compile(r"\x1b\[([0-9;]*)m")


def _colour_codes(text: str) -> list[str]:
    """The SGR sequences that set a foreground or background colour."""
    found = []
    for params in _SGR.findall(text):
        codes = [int(c) for c in params.split(";") if c]
        for c in codes:
            if 30 <= c <= 38 or 40 <= c <= 48 or 90 <= c <= 97 or 100 <= c <= 107:
                found.append(params)
                break
    return found


def test_table_shows_value_and_tables(cli):
    code, out, _ = cli(*MSE, "--format", "table")
    assert code == 0
    assert "1.33333" in out  # 4/3 to 6 significant digits
    assert "Per-element losses" in out
    assert "grad" in out.lower()
    assert "\x1b[" not in out, "no escape codes when stdout is not a terminal"


def test_table_ce_has_a_gradient_table(cli):
    code, out, _ = cli(*CE, "--format", "table", "-q")
    assert "1.24656" in out  # seed 002-ce-targets-1-2: 1.2465588… to 6 digits
    assert "Per-element losses" in out
    assert "Gradient" in out
    assert "0.195347" in out  # (softmax(0.5, 0.3, 0.2)₀ − 0)/2 = 0.1953469…


def test_table_digits(cli):
    out = cli(*MSE, "--format", "table", "--digits", "3")[1]
    assert "1.33" in out and "1.333" not in out  # 4/3 to 3 digits
    assert "−1.33" in out or "-1.33" in out  # the gradient 2·(3 − 5)/3


_THIRTY = ",".join(str(i) for i in range(30))
_THIRTY_PLUS_1 = ",".join(str(i + 1) for i in range(30))  # every ℓ = 1


def _shown_indices(out):
    return {int(m) for m in re.findall(r"^ ?(\d+) ", out, flags=re.M)}


def test_long_table_is_truncated_with_a_count(cli):
    out = cli("mse", "-p", _THIRTY, "-t", _THIRTY_PLUS_1, "--format", "table")[1]
    more = re.findall(r"… (\d+) more", out)
    assert len(more) == 1, out
    shown = _shown_indices(out)
    assert 29 not in shown
    assert int(more[0]) + len(shown) == 30


def test_all_shows_every_row(cli):
    out = cli("mse", "-p", _THIRTY, "-t", _THIRTY_PLUS_1, "--format", "table", "--all")[1]
    assert "more" not in out
    assert _shown_indices(out) == set(range(30))


def test_long_ce_tables_are_both_truncated(cli):
    logits = "; ".join("1,2,3" for _ in range(25))
    target = ",".join("0" for _ in range(25))
    out = cli("ce", "--logits", logits, "-t", target, "--format", "table")[1]
    assert len(re.findall(r"… \d+ more", out)) == 2, out


@pytest.fixture
def colour_terminal(monkeypatch):
    """Make rich believe stdout is a colour terminal."""
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("NO_COLOR", raising=False)


def test_colour_on_a_terminal_by_default(cli, colour_terminal):
    out = cli(*MSE, "--format", "table")[1]
    assert _colour_codes(out), "sanity: the colour tests below could not fail otherwise"


def test_no_color_option(cli, colour_terminal):
    out = cli(*MSE, "--format", "table", "--no-color")[1]
    assert "1.33333" in out
    assert _colour_codes(out) == []


def test_no_color_environment(cli, colour_terminal, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    out = cli(*MSE, "--format", "table")[1]
    assert "1.33333" in out
    assert _colour_codes(out) == []


# ---------------------------------------------------------------------------------------------
# Names (§1)


def _spellings(name):
    return {name, name.upper(), name.replace("-", "_"), name.title(), name.replace("-", "_").upper()}


ALIAS_CASES = sorted(
    {(s, canonical) for canonical, (aliases, _) in CONTRACT_LOSSES.items()
     for alias in [canonical, *aliases] for s in _spellings(alias)}
    | {(s, c) for s, c in [
        ("CrossEntropyLoss", "ce"), ("cross_entropy", "ce"), ("MAE", "l1"), ("L1Loss", "l1"),
        ("MSELoss", "mse"), ("SmoothL1Loss", "smooth-l1"), ("smooth_l1", "smooth-l1"),
        ("HuberLoss", "huber"), ("NLLLoss", "nll"), ("BCELoss", "bce"),
        ("BCEWithLogitsLoss", "bce-logits"), ("sigmoid-cross-entropy", "bce-logits"),
        ("Sigmoid_Cross_Entropy", "bce-logits"), ("bce_logits", "bce-logits"),
        ("MultiLabelSoftMarginLoss", "multilabel-soft-margin"), ("kl_div", "kl"),
        ("KLDivLoss", "kl"), ("KL-Div", "kl"),
    ]}
)


@pytest.mark.parametrize("spelling, canonical", ALIAS_CASES)
def test_every_alias_resolves(cli, spelling, canonical):
    code, out, err = cli(spelling, *ORDINARY[canonical], "--json", "-q")
    assert code == 0, err
    assert _strict_json(out)["loss"] == canonical


def test_spec_losses_are_registered():
    assert set(CONTRACT_LOSSES) <= set(all_losses())


# ---------------------------------------------------------------------------------------------
# Help, --version, list


def _help(cli, loss):
    code, out, err = cli(loss, "--help")
    assert code == 0, err
    return out


def _example(help_text: str) -> list[str]:
    match = re.search(r"Example:\s*\n\s*(losscalc .+)", help_text)
    assert match, "the help shows an example"
    return shlex.split(match.group(1))


@pytest.mark.parametrize("loss", sorted(all_losses()))
def test_loss_help_shows_formula_reference_and_example(cli, loss):
    text = _help(cli, loss)
    assert re.search(r"Formula:\s+\S", text), "a formula"
    if loss in CONTRACT_LOSSES:
        assert f"torch.nn.{CONTRACT_LOSSES[loss][1]}" in text
    else:
        assert "torch.nn." in text or "Reference:" in text
    assert _example(text)[:2] == ["losscalc", loss]


@pytest.mark.parametrize("loss", sorted(all_losses()))
def test_help_example_runs(cli, loss):
    args = _example(_help(cli, loss))
    code, out, err = cli(*args[1:])
    assert code == 0, err
    assert "Traceback" not in err
    for line in out.splitlines():
        float(line)  # plain output: numbers only


def test_help_is_shown_for_an_alias(cli):
    assert "torch.nn.KLDivLoss" in _help(cli, "KLDivLoss")


def test_version(cli):
    code, out, _ = cli("--version")
    assert code == 0
    assert out == f"losscalc {importlib.metadata.version('losscalc')}\n"


def test_list_names_every_loss(cli):
    code, out, _ = cli("list")
    assert code == 0
    first_fields = {re.split(r"\s", line.strip(), maxsplit=1)[0] for line in out.splitlines()
                    if line.strip()}
    assert set(all_losses()) <= first_fields
    for canonical, (aliases, _) in CONTRACT_LOSSES.items():
        line = next(ln for ln in out.splitlines() if ln.split()[:1] == [canonical])
        for alias in aliases:
            assert alias in line, (canonical, alias)


def test_list_json(cli):
    code, out, _ = cli("list", "--json")
    assert code == 0
    rows = _strict_json(out)
    by_name = {row["name"]: row for row in rows}
    assert set(all_losses()) <= set(by_name)
    for canonical, (aliases, torch_class) in CONTRACT_LOSSES.items():
        row = by_name[canonical]
        assert set(aliases) <= set(row["aliases"])
        assert row["formula"] and row["family"]
        assert torch_class in row["reference"]


# ---------------------------------------------------------------------------------------------
# Errors and exit codes (§4)


@pytest.mark.parametrize("args, fragments", [
    (("mse", "-p", "1", "-t", "1", "--bogus"), ["--bogus"]),
    (("mse", "-p", "1"), ["--target"]),
    (("ce", "-t", "1"), ["--logits"]),
    (("mse", "-p", "1", "-t", "1", "--reduction", "avg"), ["avg"]),
    (("mse", "-p", "1", "-t", "1", "--reduction", "batchmean"), ["batchmean"]),  # kl only
    (("huber", "-p", "1", "-t", "1", "--delta", "-1"), ["delta"]),
    (("huber", "-p", "1", "-t", "1", "--delta", "0"), ["delta"]),  # PyTorch: delta > 0
    (("smooth-l1", "-p", "1", "-t", "1", "--beta", "-1"), ["beta"]),
    (("ce", "--logits", "1,2", "-t", "0", "--label-smoothing", "1.5"), ["label_smoothing"]),
    (("ce", "--logits", "1,2", "-t", "0", "--label-smoothing", "-0.1"), ["label_smoothing"]),
    (("mse", "-p", "1", "-t", "1", "--dtype", "float16"), ["float16"]),
    (("mse", "-p", "1", "-t", "1", "--format", "xml"), ["xml"]),
    (("mse", "-p", "1", "-t", "1", "--digits", "many"), ["--digits"]),
    (("--bogus",), ["--bogus"]),
])
def test_usage_errors_exit_2(cli, args, fragments):
    assert_error(cli(*args), 2, *fragments)


def test_unknown_command_suggests_the_closest(cli):
    assert_error(cli("msee", "-p", "1", "-t", "1"), 2, "msee", hint="mse")
    assert "did you mean" in cli("msee", "-p", "1", "-t", "1")[2]


def test_unknown_command_without_a_close_match(cli):
    assert_error(cli("frobnicate", "-p", "1", "-t", "1"), 2, "frobnicate")


def test_negative_digits_is_a_usage_error(cli):
    assert_error(cli(*MSE, "--format", "table", "--digits", "-1"), 2, "--digits")


@pytest.mark.parametrize("args, fragments", [
    # the index as NumPy prints it, in the words a JSON value's error uses (test_readers.py)
    (("mse", "-p", "1,x,3", "-t", "1,2,3"), ["--pred", "'x'", "index [1]"]),
    (("mse", "-p", "1,2; 3,x", "-t", "1,2; 3,4"), ["--pred", "'x'", "index [1, 1]"]),
    (("mse", "-p", "1,2", "-t", "1,2e"), ["--target", "'2e'", "index [1]"]),
    (("mse", "-p", "1,nan,3", "-t", "1,2,3"), ["--pred", "NaN"]),
    (("mse", "-p", "1,2", "-t", "[1, NaN]"), ["--target", "NaN"]),
    (("mse", "-p", "1,2,3", "-t", "1,2"), ["(3,)", "(2,)"]),
    (("mse", "-p", "1,2; 3", "-t", "1,2; 3,4"), ["--pred", "row 1"]),
    (("ce", "--logits", "1,2,3; 4,5,6", "-t", "0,3"), ["3", "[1]"]),
    (("ce", "--logits", "1,2,3; 4,5,6", "-t", "-1,0"), ["-1", "[0]"]),
    (("nll", "--log-probs", "-1,-2; -2,-1", "-t", "0,2"), ["2", "[1]"]),
    (("ce", "--logits", "1,2,3; 4,5,6", "-t", "0,1.5"), ["1.5"]),
    (("ce", "--logits", "1,2,3; 4,5,6", "-t", "0,1,2"), ["--target"]),
    (("ce", "--logits", "1,2,3", "-t", "0", "--weight", "1,2"), ["--weight"]),
    (("bce", "--probs", "0.5,0.2", "-t", "1,2"), ["--target", "2"]),
    (("bce", "--probs", "0.5,0.2", "-t", "1,-0.5"), ["--target", "-0.5"]),
    (("kl", "--log-probs", "-1,-2", "-t", "0.5,-0.5"), ["--target", "-0.5"]),
])
def test_invalid_data_exits_3(cli, args, fragments):
    assert_error(cli(*args), 3, *fragments)


@pytest.mark.parametrize("probs", ["1.5,0.2", "0.5,-0.2"])
def test_bce_probabilities_outside_unit_interval_hint_at_bce_logits(cli, probs):
    assert_error(cli("bce", "--probs", probs, "-t", "1,0"), 3, "--probs", hint="bce-logits")


@pytest.mark.parametrize("logits, target", [("[[]]", "[0]"), ("[]", "[]")])
def test_ce_with_zero_classes_is_invalid_data(cli, logits, target):
    assert_error(cli("ce", "--logits", logits, "-t", target), 3)


def test_class_index_written_as_float_is_accepted(cli):
    code, out, _ = cli("ce", "--logits", CE_LOGITS, "-t", "1.0,2.0", "-q")
    assert code == 0
    assert_close(float(out), SEEDS["002-ce-targets-1-2"]["torch_float64"])


def test_quiet_does_not_silence_errors(cli):
    assert_error(cli("mse", "-p", "1,x", "-t", "1,2", "--quiet"), 3, "--pred")


def test_expect_that_is_not_a_number_is_an_error(cli):
    code, out, err = cli(*MSE, "--expect", "abc")
    assert code in (2, 3)
    assert_error((code, out, err), code, "--expect")


# ---------------------------------------------------------------------------------------------
# Files and standard input (§1, exit 4 for I/O)


def _write(path: Path, text: str) -> str:
    path.write_text(text)
    return "@" + str(path)


@pytest.fixture
def files(tmp_path):
    """Pred [[1, 1], [1, 1]] and target [[0, 1], [2, 3]] (seed 001-mse: mean 1.5) as files."""
    pred, target = np.ones((2, 2)), np.array([[0.0, 1.0], [2.0, 3.0]])
    np.save(tmp_path / "pred.npy", pred)
    np.save(tmp_path / "target.npy", target)
    np.savez(tmp_path / "both.npz", pred=pred, target=target)
    np.savez(tmp_path / "one.npz", only=pred)
    return tmp_path


MSE_2X2 = 1.5  # ((1−0)² + 0 + (1−2)² + (1−3)²)/4 = 6/4; seed 001-mse torch_float64 = 1.5


@pytest.mark.parametrize("pred, target", [
    ("@{d}/pred.npy", "@{d}/target.npy"),
    ("@{d}/both.npz:pred", "@{d}/both.npz:target"),
    ("@{d}/one.npz", "@{d}/target.npy"),
    ("@{d}/pred.npy", "[[0,1],[2,3]]"),
])
def test_numpy_files(cli, files, pred, target):
    code, out, err = cli("mse", "-p", pred.format(d=files), "-t", target.format(d=files))
    assert code == 0, err
    assert float(out) == MSE_2X2


@pytest.mark.parametrize("name, pred_text, target_text", [
    ("json", "[[1, 1], [1, 1]]", "[[0, 1], [2, 3]]"),
    ("csv", "1,1\n1,1\n", "0,1\n2,3\n"),  # no header: rows = lines
    ("csv", "a,b\n1,1\n1,1\n", "a,b\n0,1\n2,3\n"),  # header skipped
    ("tsv", "1\t1\n1\t1\n", "0\t1\n2\t3\n"),
    ("txt", "1 1\n1 1\n", "0 1\n2 3\n"),
])
def test_text_files(cli, tmp_path, name, pred_text, target_text):
    pred = _write(tmp_path / f"pred.{name}", pred_text)
    target = _write(tmp_path / f"target.{name}", target_text)
    code, out, err = cli("mse", "-p", pred, "-t", target)
    assert code == 0, err
    assert float(out) == MSE_2X2


@pytest.mark.parametrize("pred_col, target_col", [("pred", "target"), ("0", "1")])
def test_csv_column(cli, tmp_path, pred_col, target_col):
    path = _write(tmp_path / "data.csv", "pred,target\n1,1\n2,2\n3,5\n")
    code, out, err = cli("mse", "-p", f"{path}:{pred_col}", "-t", f"{path}:{target_col}")
    assert code == 0, err
    assert float(out) == MSE_MEAN


def test_csv_column_without_header(cli, tmp_path):
    path = _write(tmp_path / "data.csv", "1,1\n2,2\n3,5\n")
    code, out, _ = cli("mse", "-p", f"{path}:0", "-t", f"{path}:1")
    assert float(out) == MSE_MEAN


def test_tensor_parameter_from_a_file(cli, tmp_path):
    # class weights (0, 1, 0), targets (1, 2): sample 0 keeps weight 1, sample 1 gets 0, so
    # the sum is ℓ₀ = ln Σ e^{row 0} − 0.3
    weight = _write(tmp_path / "w.csv", "0\n1\n0\n")
    code, out, _ = cli(*CE, "--weight", weight, "--reduction", "sum", "-q")
    assert code == 0
    assert_close(float(out), CE_ELEMENTWISE[0])


@pytest.mark.parametrize("stdin, option", [
    ("1,2,3", "-p"), ("1 2 3\n", "-p"), ("1\n2\n3\n", "-p"), ("[1, 2, 3]", "-p"),
    ("1,2,5", "-t"), ("[1, 2, 5]\n", "-t"),
])
def test_stdin_dash(cli, stdin, option):
    args = {"-p": "1,2,3", "-t": "1,2,5"}
    args[option] = "-"
    code, out, err = cli("mse", "-p", args["-p"], "-t", args["-t"], stdin=stdin)
    assert code == 0, err
    assert float(out) == MSE_MEAN


def test_stdin_matrix(cli):
    code, out, _ = cli("mse", "-p", "-", "-t", "0,1; 2,3", stdin="1,1\n1,1\n")
    assert float(out) == MSE_2X2


@pytest.mark.parametrize("args", [
    ("mse", "-p", "-", "-t", "-"),
    ("ce", "--logits", "-", "-t", "0", "--weight", "-"),
])
def test_two_options_from_stdin_is_a_usage_error(cli, args):
    assert_error(cli(*args, stdin="1,2\n"), 2, "'-'")


def test_missing_file(cli, tmp_path):
    assert_error(cli("mse", "-p", f"@{tmp_path}/nope.npy", "-t", "1"), 4, "nope.npy")
    assert_error(cli("mse", "-p", "1", "-t", f"@{tmp_path}/nope.csv"), 4, "nope.csv")


def test_directory(cli, tmp_path):
    assert_error(cli("mse", "-p", f"@{tmp_path}", "-t", "1"), 4)


def test_corrupt_npy(cli, tmp_path):
    (tmp_path / "bad.npy").write_bytes(b"this is not a numpy file")
    assert_error(cli("mse", "-p", f"@{tmp_path}/bad.npy", "-t", "1"), 4, "bad.npy")


def test_npz_without_the_key(cli, files):
    assert_error(cli("mse", "-p", f"@{files}/both.npz:logits", "-t", "1"), 4, "logits")


def test_npz_with_several_arrays_needs_a_key(cli, files):
    assert_error(cli("mse", "-p", f"@{files}/both.npz", "-t", "1"), 4)


def test_file_that_is_not_text(cli, tmp_path):
    (tmp_path / "bin.csv").write_bytes(b"\xff\x00\xfe\x81")  # FF FE first: UTF-16's mark
    assert_error(cli("mse", "-p", f"@{tmp_path}/bin.csv", "-t", "1"), 4)


@pytest.mark.parametrize("name, content, fragments", [
    ("bad.csv", "1,2\n3,x\n", ['"x"', "line 2"]),
    ("nan.csv", "1\nnan\n", ["NaN"]),
    ("obj.json", '{"a": 1}', ["JSON object"]),
    ("bad.json", "[1, 2", ["JSON"]),
])
def test_bad_numbers_in_files_exit_3(cli, tmp_path, name, content, fragments):
    path = _write(tmp_path / name, content)
    assert_error(cli("mse", "-p", path, "-t", "1"), 3, "--pred", *fragments)


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_table_without_data_rows_exits_3(cli, tmp_path, source):
    if source == "file":
        result = cli("mse", "-p", _write(tmp_path / "h.csv", "pred,target\n"), "-t", "1")
    else:
        result = cli("mse", "-p", "-", "-t", "1", stdin="1,x\n")
    assert_error(result, 3, "--pred")


def test_nan_in_npy_exits_3(cli, tmp_path):
    np.save(tmp_path / "nan.npy", np.array([1.0, np.nan]))
    assert_error(cli("mse", "-p", f"@{tmp_path}/nan.npy", "-t", "1,1"), 3, "NaN")


def test_csv_column_out_of_range_names_the_column(cli, tmp_path):
    path = _write(tmp_path / "data.csv", "1,1\n2,2\n")
    result = cli("mse", "-p", f"{path}:5", "-t", "1,2")
    assert_error(result, 3)
    assert re.search(r"column\W+5", result[2]), result[2]


# ---------------------------------------------------------------------------------------------
# --expect, --tol, --check-grad


def test_expect_within_tolerance(cli):
    code, _, err = cli(*MSE, "--expect", repr(MSE_MEAN))
    assert code == 0 and err == ""


def test_expect_failure_says_by_how_much(cli):
    code, out, err = cli(*MSE, "--expect", "1.5")
    assert code == 1
    assert "Traceback" not in err
    assert err.startswith("losscalc: ")
    assert "0.167" in err  # 1.5 − 4/3 = 1/6


@pytest.mark.parametrize("tol, code", [(None, 1), ("1e-5", 1), ("1e-4", 0)])
def test_tol(cli, tol, code):
    # |1.3333 − 4/3| = 3.3e-5 (relative 2.5e-5)
    extra = ("--tol", tol) if tol else ()
    assert cli(*MSE, "--expect", "1.3333", *extra)[0] == code


@pytest.mark.parametrize("expect, code", [("1000001", 0), ("1000002", 1)])
def test_tol_is_relative_for_large_values(cli, expect, code):
    # (1001 − 1)² = 10⁶: |10⁶ − 1000001| = 1 ≤ 1e-6·1000001; 2 > 1e-6·1000002
    assert cli("mse", "-p", "1001", "-t", "1", "--expect", expect)[0] == code


@pytest.mark.parametrize("expect, code", [("0,0,4", 0), ("0,0,5", 1)])
def test_expect_with_reduction_none(cli, expect, code):
    assert cli(*MSE, "-r", "none", "--expect", expect)[0] == code  # ℓ = (0, 0, 2²)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("loss", sorted(ORDINARY))
def test_check_grad_passes(cli, loss, dtype):
    code, out, err = cli(loss, *ORDINARY[loss], "--check-grad", "--dtype", dtype)
    assert code == 0, err
    assert "Traceback" not in err


@pytest.mark.parametrize("reduction", ["sum", "none"])
@pytest.mark.parametrize("loss", ["mse", "ce", "bce", "kl"])
def test_check_grad_passes_for_other_reductions(cli, loss, reduction):
    args = [a for a in ORDINARY[loss] if a not in ("--reduction", "batchmean")]
    code, _, err = cli(loss, *args, "--check-grad", "--reduction", reduction)
    assert code == 0, err


def test_check_grad_passes_for_probability_targets(cli):
    code, _, err = cli("ce", "--logits", "1,2; 3,4", "-t", "0.5,0.5; 1,0", "--check-grad")
    assert code == 0, err


def test_check_grad_failure_exits_1(cli, monkeypatch):
    from losscalc.commands import loss as run
    from losscalc.core import GradCheck

    monkeypatch.setattr(run, "check_gradient",
                        lambda *a, **k: GradCheck(False, 3, 0.5, (2,), 1.0, 2.0))
    code, _, err = cli(*MSE, "--check-grad")
    assert code == 1
    assert "gradient" in err and "Traceback" not in err


# ---------------------------------------------------------------------------------------------
# Notes and --quiet


@pytest.mark.parametrize("args, words", [
    (("kl", "--log-probs", "-1.2,-0.9,-1.2", "-t", "0.2,0.5,0.3"), "batchmean"),
    (CE, "probabilities"),  # every row of CE_LOGITS sums to 1
])
def test_quiet_suppresses_notes(cli, args, words):
    code, loud_out, loud_err = cli(*args)
    assert code == 0
    assert any(line.startswith("note: ") and words in line for line in loud_err.splitlines())
    for flag in ("--quiet", "-q"):
        code, out, err = cli(*args, flag)
        assert code == 0
        assert err == ""
        assert out == loud_out


def test_no_note_for_ordinary_input(cli):
    assert cli(*MSE)[2] == ""
    assert cli("kl", *ORDINARY["kl"])[2] == ""  # batchmean: nothing to warn about


# ---------------------------------------------------------------------------------------------
# The real entry points, as subprocesses

ENTRY_POINTS = {
    "python -m losscalc": [sys.executable, "-m", "losscalc"],
    "console script": [str(Path(sys.executable).parent / "losscalc")],
}


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(extra)
    return env


def _run(entry, *args, stdin=None, **env):
    return subprocess.run([*ENTRY_POINTS[entry], *args], input=stdin, capture_output=True,
                          text=True, env=_env(**env), timeout=120)


@pytest.fixture(params=sorted(ENTRY_POINTS))
def entry(request):
    return request.param


def test_entry_point_plain_when_stdout_is_a_pipe(entry):
    proc = _run(entry, *MSE)
    assert proc.returncode == 0
    assert proc.stdout == repr(MSE_MEAN) + "\n"
    assert proc.stderr == ""


def test_entry_point_reads_stdin(entry):
    proc = _run(entry, "mse", "-p", "-", "-t", "1,2,5", stdin="1\n2\n3\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == repr(MSE_MEAN) + "\n"


def test_entry_point_json(entry):
    proc = _run(entry, *CE, "--json", "--dtype", "float32")
    assert _strict_json(proc.stdout)["value"] == 1.2465587854385376  # seed, torch_float32


@pytest.mark.parametrize("args, code", [
    (("msee", "-p", "1", "-t", "1"), 2),
    (("mse", "-p", "1", "-t", "1", "--nope"), 2),
    (("mse", "-p", "1,x", "-t", "1,2"), 3),
    (("mse", "-p", "@/nonexistent/file.npy", "-t", "1"), 4),
])
def test_entry_point_errors(entry, args, code):
    proc = _run(entry, *args)
    assert_error((proc.returncode, proc.stdout, proc.stderr), code)


def test_entry_point_version_and_help(entry):
    proc = _run(entry, "--version")
    assert proc.returncode == 0 and proc.stdout.startswith("losscalc ")
    proc = _run(entry, "ce", "--help")
    assert proc.returncode == 0 and "torch.nn.CrossEntropyLoss" in proc.stdout


def _on_a_terminal(args, env):
    """Run the console script with stdout on a pseudo-terminal; return (code, output, stderr)."""
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen([*ENTRY_POINTS["console script"], *args], stdout=follower,
                            stderr=subprocess.PIPE, env=_env(TERM="xterm-256color", **env))
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    err = proc.stderr.read().decode()
    return proc.wait(timeout=120), b"".join(chunks).decode(), err


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
@pytest.mark.parametrize("env, flags, coloured", [
    ({}, (), True),
    ({"NO_COLOR": "1"}, (), False),
    ({}, ("--no-color",), False),
])
def test_terminal_default_is_a_table(env, flags, coloured):
    code, out, err = _on_a_terminal([*MSE, *flags], env)
    assert code == 0, err
    assert "Per-element losses" in out and "1.33333" in out
    assert bool(_colour_codes(out)) == coloured


# Broken pipes: the reader goes away (`losscalc … | head -c1`); no traceback may appear.


@pytest.fixture(scope="module")
def big_inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("big")
    np.save(d / "pred.npy", np.arange(200_000.0))
    np.save(d / "zeros.npy", np.zeros(200_000))
    np.save(d / "pred_med.npy", np.arange(20_000.0))
    np.save(d / "zeros_med.npy", np.zeros(20_000))
    return d


@pytest.mark.parametrize("size, flags", [
    ("", ("--reduction", "none")),
    ("", ("--format", "csv")),
    ("", ("--json", "--reduction", "none")),
    ("_med", ("--format", "table", "--all")),
    ("_med", ("--explain", "--all")),
])
def test_reader_stops_after_one_byte(big_inputs, size, flags):
    d = big_inputs
    proc = subprocess.Popen(
        [*ENTRY_POINTS["console script"], "mse", "-p", f"@{d}/pred{size}.npy",
         "-t", f"@{d}/zeros{size}.npy", *flags],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    assert len(proc.stdout.read(1)) == 1  # head -c1
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err, err
    assert "Error" not in err, err


@pytest.mark.parametrize("args", [
    MSE,
    ("list",),
    ("mse", "--help"),
])
def test_reader_already_gone(args):
    """stdout is a pipe whose reading end is closed before losscalc writes (`… | true`)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([*ENTRY_POINTS["console script"], *args], stdout=write_end,
                              stderr=subprocess.PIPE, env=_env(), timeout=120)
    finally:
        os.close(write_end)
    err = proc.stderr.decode()
    assert "Traceback" not in err, err
