"""--explain: the stages a teacher writes, the numbers the computation produced, every output
form (plain, JSON steps, Markdown, LaTeX), bounded length, and the diagnoses of misuse."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from conftest import assert_latex_compiles, needs_pdflatex
from samples import SAMPLES, tensor_args

from losscalc.core import compute
from losscalc.losses import resolve
from losscalc.render import notes
from losscalc.render.explain import build, fmt_value


def explain(loss, pred, target, params=None, reduction="mean", full=False):
    result = compute(loss, pred, target, params, reduction)
    return result, build(result, resolve(loss), 6, full)


def _cases():
    for loss, make in SAMPLES.items():
        for seed in range(6):
            pred, target, params, reductions = make(np.random.default_rng(100 + seed))
            for reduction in reductions:
                yield pytest.param(loss, pred, target, params, reduction,
                                   id=f"{loss}-{seed}-{reduction}")


@pytest.mark.parametrize("loss, pred, target, params, reduction", list(_cases()))
def test_explanation_has_every_stage_and_ends_with_the_value(loss, pred, target, params,
                                                             reduction):
    result, ex = explain(loss, pred, target, params, reduction)
    titles = [s.title for s in ex.sections]
    assert titles[0] == "formulas"
    assert any(t.startswith(("sample", "element", "row", "computation")) for t in titles)
    assert "gradient" in titles
    if reduction == "none":
        assert not any(t.startswith("reduction") for t in titles)
        return
    assert f"reduction ({reduction})" in titles
    assert titles[-1] == f"value = {fmt_value(result.value, 6)}"
    # The reduction's last line is the loss step, whose value is the reported value itself.
    loss_step = result.steps[-1]
    assert loss_step.name == "loss" and loss_step.value == result.value
    reduction_lines = ex.sections[titles.index(f"reduction ({reduction})")].lines
    assert any(line.startswith("loss = ") and line.endswith(fmt_value(result.value, 6))
               for line in reduction_lines)


def test_unbatched_ce_shows_the_teachers_steps():
    # 000-ce-formula: logits 0.1, 0.2, 0.3, target 1. By hand: m = 0.3,
    # e = (e^−0.2, e^−0.1, 1) = (0.818731, 0.904837, 1), Σe = 2.723568,
    # lse = 0.3 + ln 2.723568 = 1.301943, loss = lse − 0.2 = 1.101943 (torch: 1.101942848).
    _, ex = explain("ce", [0.1, 0.2, 0.3], 1)
    text = ex.text()
    for expected in ("m = max_c([0.1, 0.2, 0.3]) = 0.3",
                     "e = exp([0.1, 0.2, 0.3] − 0.3) = [0.818731, 0.904837, 1]",
                     "Σe = Σ_c([0.818731, 0.904837, 1]) = 2.72357",
                     "lse = 0.3 + ln(2.72357) = 1.30194",
                     "value = 1.10194",
                     "natural logarithm"):
        assert expected in text, expected


def test_weighted_mean_shows_its_divisor():
    # Weights (1, 2, 3), targets (0, 2): Σw_y = 1 + 3 = 4; the mean divides by it, not by N.
    _, ex = explain("ce", [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]], [0, 2], {"weight": [1, 2, 3]})
    text = ex.text()
    assert "Σw_y = Σ([1, 3]) = 4" in text
    assert "the sum of the weights" in text


def test_bce_shows_the_clamp_at_minus_100():
    # p = 0, y = 1: ln 0 = −∞ is clamped to −100, so ℓ = −(1·(−100) + 0·0) = 100.
    result, ex = explain("bce", [0.0, 0.5], [1.0, 0.0])
    text = ex.text()
    assert "ln p = max(ln(0), −100) = −100" in text
    assert "ℓ = −(1·(−100) + (1 − 1)·0) = 100" in text
    assert any("clamped at −100" in n for n in ex.notes)


def test_bce_logits_shows_the_stable_form():
    _, ex = explain("bce-logits", [1000.0, -1000.0], [1.0, 0.0], {"pos_weight": [2.0]})
    assert "ln σ(x) = min(x, 0) − ln(1 + exp(−|x|))" in ex.sections[0].lines
    assert "L = 1 + (pw − 1)·y" in ex.sections[0].lines


def test_kl_mean_says_the_divisor_is_every_element():
    _, ex = explain("kl", np.log([[0.2, 0.8], [0.5, 0.5]]), [[0.1, 0.9], [0.4, 0.6]])
    assert "the mean divides by n = 2·2 = 4, every element" in ex.text()


def test_large_input_is_elided_to_three_samples():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(200, 10))
    y = rng.integers(0, 10, size=200)
    _, ex = explain("ce", z, y)
    lines = ex.text().splitlines()
    assert len(lines) < 80
    assert "… 197 more samples (same steps)" in lines
    _, full = explain("ce", z, y, full=True)
    assert "sample 199:" in full.text()


@pytest.mark.parametrize("loss", sorted(SAMPLES))
def test_json_steps_parse_and_end_with_the_gradient(cli, loss):
    pred, target, params, _ = SAMPLES[loss](np.random.default_rng(3))
    # A None target: the loss's default target (info-nce's diagonal)
    args = [loss, *tensor_args(pred, target), "--json", "--explain", "-q"]
    for key, value in params.items():
        option = "--" + key.replace("_", "-")
        if isinstance(value, bool):  # a pair of flags: --name / --no-name
            args += [option if value else "--no-" + key.replace("_", "-")]
            continue
        args += [option, json.dumps(np.asarray(value).tolist())]
    code, out, err = cli(*args)
    assert code == 0, err
    obj = json.loads(out)
    assert all(set(step) == {"text", "value"} for step in obj["steps"])
    grads = list(obj["grad"].values())  # the last steps: one gradient per tensor
    assert [step["value"] for step in obj["steps"][-len(grads):]] == grads
    if obj["reduction"] != "none":
        assert obj["steps"][-len(grads) - 1]["text"].startswith("loss = ")
        assert obj["steps"][-len(grads) - 1]["value"] == obj["value"]


# --- Markdown and LaTeX ------------------------------------------------------------------


def _balanced(text: str) -> bool:
    depth = 0
    for i, ch in enumerate(text):
        if ch in "{}" and (i == 0 or text[i - 1] != "\\"):
            depth += 1 if ch == "{" else -1
            if depth < 0:
                return False
    return depth == 0


@pytest.mark.parametrize("loss", sorted(SAMPLES))
def test_latex_is_balanced_and_markdown_math_is_paired(loss):
    pred, target, params, _ = SAMPLES[loss](np.random.default_rng(5))
    _, ex = explain(loss, pred, target, params)
    latex = notes.latex(ex)
    assert latex.startswith("\\begin{align*}\n") and latex.endswith("\\end{align*}\n")
    assert latex.count("\\begin{") == latex.count("\\end{") == 1
    assert _balanced(latex)
    assert not re.search(r"[−·²ℓΣσεδβ∂≠∞…]", latex.replace("$", "")), "unicode math left"
    for line in notes.markdown(ex).splitlines():
        assert line.count("$") % 2 == 0, line


@needs_pdflatex
def test_latex_compiles(tmp_path, cli):
    body = []
    for args in (["ce", "--logits", "2,1,0.1; 0.5,2.5,0.3", "-t", "0,-100", "--weight", "1,2,3",
                  "--label-smoothing", "0.1"], ["bce", "--probs", "0,0.2,1", "-t", "1,0,1"],
                 ["kl", "--log-probs", "-1.2,-0.9,-1.2", "-t", "0.2,0.5,0.3"],
                 ["poisson-nll", "-p", "0.5,-1,1.2", "-t", "2,0,3", "--full"],
                 ["multilabel-margin", "-p", "0.1,0.2; 0.4,0.8", "-t", "0,-1; 1,0"],
                 ["multi-margin", "-p", "0.1,0.2; 0.4,0.8", "-t", "0,1", "--weight", "1,2"],
                 ["ctc", "--log-probs", "-0.92,-0.51; -0.36,-1.2", "-t", "1"],
                 ["triplet", "--anchor", "0,0", "--positive", "0,1", "--negative", "2,0",
                  "--swap"],
                 ["gaussian-nll", "-p", "1,2", "-t", "1.5,2", "--var", "0,1", "--full"],
                 ["cosine-embedding", "--x1", "1,0; 0,1", "--x2", "1,1; 1,0", "-t", "1,0"]):
        code, out, _ = cli(*args, "--format", "latex", "-q")
        assert code == 0
        body.append(out)
    assert_latex_compiles(tmp_path, body)


# --- diagnoses: each with an input that triggers it and one that must not --------------------

DIAGNOSES = [
    # (what, loss, pred, target, params, reduction, fragment of the note)
    ("ce given probabilities (004-model1: a row sums to 1.1)", "ce",
     [[0.3, 0.3, 0.4], [0.3, 0.4, 0.4], [0.1, 0.2, 0.7]], [2, 1, 0], {}, "mean",
     "look like probabilities"),
    ("nll given raw scores", "nll", [[2.0, 1.0, 0.1]], [0], {}, "mean", "positive values"),
    ("nll given unnormalised negatives", "nll", [[-0.1, -0.2, -0.3]], [0], {}, "mean",
     "exp of row 0 sums to"),
    ("bce-logits given probabilities", "bce-logits", [0.1, 0.8, 0.6], [0.0, 1.0, 1.0], {},
     "mean", "use bce"),
    ("bce-logits with swapped arguments (001-keras-bce-swapped)", "bce-logits",
     [[1.0, 0.0, 0.0]], [[12.0, 3.0, 2.0]], {}, "mean", "swapped"),
    ("kl mean", "kl", [-1.2, -0.9, -1.2], [0.2, 0.5, 0.3], {}, "mean", "batchmean"),
    ("kl given probabilities", "kl", [0.2, 0.5, 0.3], [0.2, 0.5, 0.3], {}, "batchmean",
     "positive values"),
    ("kl target not a distribution", "kl", [-1.2, -0.9, -1.2], [0.2, 0.5, 0.5], {},
     "batchmean", "sums to 1.2"),
    ("ce one-hot float targets", "ce", [[2.0, 1.0, 0.1]], [[1.0, 0.0, 0.0]], {}, "mean",
     "read as class probabilities"),
    ("mse given class labels", "mse", [[2.0, 1.0, 0.1], [0.2, 3.0, 0.5], [1.0, 1.0, 1.0]],
     [0, 1, 2], {}, "mean", "did you mean ce"),
]

QUIET = [
    ("ce on raw scores", "ce", [[2.0, 1.0, 0.1], [0.2, 3.0, 0.5]], [0, 1], {}, "mean"),
    ("nll on log-probabilities (rounded)", "nll", [[-1.2, -0.9, -1.2]], [1], {}, "mean"),
    ("bce-logits on logits", "bce-logits", [2.0, -1.5, 0.3], [1.0, 0.0, 1.0], {}, "mean"),
    ("kl batchmean on distributions", "kl", [-1.2, -0.9, -1.2], [0.2, 0.5, 0.3], {},
     "batchmean"),
    ("ce with index targets", "ce", [[2.0, 1.0, 0.1]], [0], {}, "mean"),
    ("mse on regression data", "mse", [[2.0, 1.0], [0.5, 3.0]], [[1.5, 1.0], [0.5, 2.0]], {},
     "mean"),
    ("mse with a matching vector", "mse", [1.0, 2.0, 3.0], [1.0, 2.0, 5.0], {}, "mean"),
]


@pytest.mark.parametrize("what, loss, pred, target, params, reduction, fragment", DIAGNOSES,
                         ids=[d[0] for d in DIAGNOSES])
def test_diagnosis_triggers(what, loss, pred, target, params, reduction, fragment):
    result, ex = explain(loss, pred, target, params, reduction)
    assert any(fragment in note for note in result.notes), result.notes
    assert any(fragment in note for note in ex.notes)
    assert "note: " in ex.text()


@pytest.mark.parametrize("what, loss, pred, target, params, reduction", QUIET,
                         ids=[q[0] for q in QUIET])
def test_diagnosis_stays_quiet(what, loss, pred, target, params, reduction):
    assert compute(loss, np.asarray(pred, float), np.asarray(target, float), params,
                   reduction).notes == []


def test_notes_go_to_stderr_without_explain_and_quiet_silences_them(cli):
    code, out, err = cli("kl", "--log-probs", "-1.2,-0.9,-1.2", "-t", "0.2,0.5,0.3")
    assert code == 0 and err.startswith("note: ") and "batchmean" in err
    code, out, err = cli("kl", "--log-probs", "-1.2,-0.9,-1.2", "-t", "0.2,0.5,0.3", "-q")
    assert err == ""
    # With --explain the note is part of the explanation, not repeated on stderr.
    code, out, err = cli("kl", "--log-probs", "-1.2,-0.9,-1.2", "-t", "0.2,0.5,0.3",
                         "--explain", "-f", "plain")
    assert "note: reduction 'mean'" in out and err == ""


def test_class_labels_that_do_not_broadcast_get_the_hint(cli):
    code, out, err = cli("mse", "-p", "2,1,0.1; 0.2,3,0.5", "-t", "0,1")
    assert code == 3 and out == ""
    assert err.splitlines()[1].startswith("hint: --target looks like class indices")
