"""Problem sets (losscalc.exercise): every loss can be exercised, the same seed gives the same
set, and the problems are well conditioned — checked here with independent arithmetic
(finite differences, math.exp), not with the generator's own test."""

from __future__ import annotations

import csv
import io
import json
import math
from xml.etree import ElementTree

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from losscalc import exercise
from losscalc.core import check_gradient, compute
from losscalc.errors import UsageError
from losscalc.losses import all_losses

SPECS = list(all_losses().values())
BY_HAND = [s for s in SPECS if exercise.RECIPES[s.name].lowest == 1]
SEEDS = st.integers(0, 2**32 - 1)


def test_every_loss_has_a_recipe():
    assert sorted(exercise.RECIPES) == sorted(all_losses())


@pytest.mark.parametrize("level", exercise.LEVELS)
def test_every_loss_can_be_exercised(level):
    for spec in SPECS:
        if exercise.RECIPES[spec.name].lowest > level:
            with pytest.raises(UsageError, match=f"{spec.name} has no level-{level} problems"):
                exercise.generate([spec], 3, 0, level)
            continue
        problems = exercise.generate([spec], 6, level, level)
        # six problems of this loss, with every tensor it requires (a finite answer is
        # ensured by the generator's own check, so it is not what this test asserts)
        assert [e.spec.name for e in problems] == [spec.name] * 6
        required = {t.name for t in spec.tensors if t.required}
        assert all(required <= set(e.tensors) for e in problems), spec.name


def test_the_same_seed_gives_the_same_set_and_another_seed_another():
    specs = [all_losses()[n] for n in ("mse", "huber", "ce", "kl", "bce")]
    first = exercise.csv_text(exercise.generate(specs, 20, 42, 2), key=True)
    again = exercise.csv_text(exercise.generate(specs, 20, 42, 2), key=True)
    other = exercise.csv_text(exercise.generate(specs, 20, 43, 2), key=True)
    assert first == again
    assert first != other


def test_losses_take_turns_and_levels_2_and_3_go_through_the_reductions():
    specs = [all_losses()["mse"], all_losses()["kl"]]
    got = exercise.generate(specs, 8, 1, 2)
    assert [e.spec.name for e in got] == ["mse", "kl"] * 4
    assert [e.reduction for e in got if e.spec.name == "mse"] == ["mean", "sum", "none", "mean"]
    # kl's "mean" divides by every element (a misuse note): its set has batchmean instead
    assert [e.reduction for e in got if e.spec.name == "kl"] == ["batchmean", "sum", "none",
                                                                 "batchmean"]
    assert {e.reduction for e in exercise.generate(specs, 6, 1, 1)} == {"mean", "sum"}


def _perturbed_value(e, name, index, step):
    x = np.array(e.tensors[name], dtype=float)
    x[index] += step
    return float(np.sum(compute(e.spec, {**e.tensors, name: x}, None, e.params,
                                e.reduction).value))


@settings(max_examples=8, deadline=None)
@given(SEEDS)
def test_level_1_answers_are_well_conditioned(seed):
    """Moving any input by 1e-3 (less than the printed precision, 0.1) changes the answer by
    at most 1e-3·|∂/∂x| plus a second-order term: no kink, clamp or cliff within reach; and
    every problem's gradient agrees with central differences."""
    for e in exercise.generate(BY_HAND, len(BY_HAND), seed, 1):
        base = float(np.sum(compute(e.spec, e.tensors, None, e.params, e.reduction).value))
        for name, grad in e.result.grad.items():
            for index in np.ndindex(*np.shape(e.tensors[name])):
                slope = abs(float(np.asarray(grad)[index]))
                for step in (1e-3, -1e-3):
                    change = abs(_perturbed_value(e, name, index, step) - base)
                    assert change <= 1e-3 * slope + 1e-4, (e.spec.name, e.id, name, index)
        assert check_gradient(e.spec, e.tensors, None, e.params, e.reduction).ok, e


@settings(max_examples=5, deadline=None)
@given(SEEDS, st.sampled_from([2, 3]))
def test_every_generated_problem_passes_the_gradient_check(seed, level):
    for e in exercise.generate(SPECS, len(SPECS), seed, level):
        assert check_gradient(e.spec, e.tensors, None, e.params, e.reduction, e.dtype).ok, e


def _softmax(row):
    exps = [math.exp(z) for z in row]
    return [v / sum(exps) for v in exps]


@settings(max_examples=20, deadline=None)
@given(SEEDS)
def test_level_1_numbers_are_worked_by_hand(seed):
    """One-decimal inputs, integer regression targets, and no class probability that rounds
    to 0 at four digits."""
    names = ("mse", "l1", "huber", "ce", "poly1", "categorical-focal", "bce", "bce-logits")
    specs = [all_losses()[n] for n in names]
    for e in exercise.generate(specs, 2 * len(specs), seed, 1):
        pred = np.asarray(e.tensors["pred"])
        assert pred.ndim == 1 and pred.size <= 4
        assert np.all(np.abs(pred * 10 - np.round(pred * 10)) < 1e-9), e
        if e.spec.name in ("mse", "l1", "huber"):
            assert np.all(e.tensors["target"] == np.round(e.tensors["target"])), e
        if e.spec.name in ("ce", "poly1", "categorical-focal"):
            assert min(_softmax(pred.tolist())) >= 5e-4, e
        if e.spec.name == "bce":  # no log clamp: 0 < p < 1 strictly
            assert 0 < pred.min() and pred.max() < 1


def test_level_3_has_label_smoothing_ignored_targets_extra_dimensions_and_float32():
    got = exercise.generate([all_losses()["ce"], all_losses()["nll"]], 40, 3, 3)
    assert any("label_smoothing" in e.params for e in got)
    assert any(np.any(e.tensors["target"] == -100) for e in got)
    assert any(np.ndim(e.tensors["pred"]) == 3 for e in got)
    assert any(e.dtype == "float32" for e in got)


def test_a_kink_is_refused():
    """|d| = 0 is l1's kink, |d| = δ huber's: a problem on one is not well posed."""
    l1, huber = all_losses()["l1"], all_losses()["huber"]
    assert exercise.well_posed(l1, {"pred": [1.0, 2.0], "target": [1.0, 3.5]}, {}, "mean",
                               "float64") is None
    assert exercise.well_posed(huber, {"pred": [2.0], "target": [1.0]}, {"delta": 1.0},
                               "mean", "float64") is None
    assert exercise.well_posed(huber, {"pred": [2.5], "target": [1.0]}, {"delta": 1.0},
                               "mean", "float64") is not None


def test_a_clamp_is_refused():
    """bce clamps ln 0 at −100 (a note): p = 1 with target 0 is no exercise."""
    bce = all_losses()["bce"]
    assert exercise.well_posed(bce, {"pred": [1.0, 0.5], "target": [0.0, 1.0]}, {}, "mean",
                               "float64") is None


def test_the_texts_read_back_exactly():
    assert exercise.tensor_text(np.array([0.1, 2.0, -0.7])) == "0.1,2,-0.7"
    assert exercise.tensor_text(np.array([[1.0, 0.5], [0.25, 3.0]])) == "1,0.5; 0.25,3"
    assert exercise.tensor_text(np.zeros((1, 1, 2))) == "[[[0, 0]]]"
    assert exercise.tensor_text(np.float64(1 / 3)) == "0.3333333333333333"
    assert exercise.param_text(True) == "true"


def test_losses_are_named_once_and_unknown_names_are_hinted():
    assert [s.name for s in exercise.losses("MSE, l2,ce")] == ["mse", "ce"]
    with pytest.raises(UsageError, match="unknown loss 'msee'") as err:
        exercise.losses("msee")
    assert err.value.hint == "did you mean 'mse'?"
    with pytest.raises(UsageError, match="at least one loss"):
        exercise.losses(" , ")


def test_losses_of_more_tensors_need_json_lines():
    with pytest.raises(UsageError, match="triplet takes the tensor") as err:
        exercise.csv_blocked([all_losses()["mse"], all_losses()["triplet"]])
    assert err.value.hint == "use --format jsonl"
    exercise.csv_blocked([all_losses()["ctc"]])  # one sequence: pred and target only


# --- the command ---------------------------------------------------------------------------


def _files(directory) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_the_command_writes_a_set_that_check_grades(cli, tmp_path):
    out = tmp_path / "week3"
    code, stdout, err = cli("exercise", "mse,huber,ce,kl", "--count", 8, "--seed", 7,
                            "--out", out)
    assert (code, err) == (0, "")
    assert sorted(_files(out)) == ["key.csv", "problems.csv", "solutions.html", "solutions.md",
                                 "solutions.tex"]
    assert stdout.startswith("wrote 8 problems (mse, huber, ce, kl, level 1, seed 7)")
    problems = (out / "problems.csv").read_text().splitlines()
    key = (out / "key.csv").read_text().splitlines()
    assert problems[0] == "id,loss,pred,target,delta,reduction,dtype"
    assert key[0] == problems[0] + ",expect,tol"
    assert len(problems) == len(key) == 9
    assert all(k.startswith(p + ",") for p, k in zip(problems[1:], key[1:]))

    code, graded, _ = cli("check", out / "key.csv", "--format", "plain")
    assert code == 0 and graded.count("\tright\t") == 8
    # The key's answers by independent formulas, not by losscalc: mse = mean((p − t)²),
    # huber = mean(½d² where |d| < δ, else δ(|d| − ½δ)) with d = p − t, ce of logits z and
    # class y = ln Σ exp z − z_y, kl of log-probabilities x against t = Σ t (ln t − x).
    losses = []
    for row in csv.DictReader(io.StringIO("\n".join(key) + "\n")):
        p = [float(v) for v in row["pred"].split(",")]
        t = [float(v) for v in row["target"].split(",")]
        if row["loss"] in ("mse", "huber"):
            d = [a - b for a, b in zip(p, t)]
            delta = float(row["delta"] or 1)
            terms = [a * a if row["loss"] == "mse" else
                     0.5 * a * a if abs(a) < delta else delta * (abs(a) - 0.5 * delta) for a in d]
            expected = math.fsum(terms) / len(terms)
        elif row["loss"] == "ce":
            expected = math.log(math.fsum(math.exp(z) for z in p)) - p[int(t[0])]
        else:
            expected = math.fsum(b * (math.log(b) - a) for a, b in zip(p, t))
        assert row["reduction"] == ("sum" if row["loss"] == "kl" else "mean"), row
        assert abs(float(row["expect"]) - expected) <= 1e-12 * max(1.0, abs(expected)), row
        losses.append(row["loss"])
    assert sorted(losses) == sorted(["mse", "huber", "ce", "kl"] * 2)

    # a student's answers: the key with one answer changed
    rows = key[:]
    cells = rows[3].rsplit(",", 2)
    rows[3] = f"{cells[0]},{float(cells[1]) + 0.5!r},{cells[2]}"
    answers = tmp_path / "student.csv"
    answers.write_text("\n".join(rows) + "\n")
    code, graded, err = cli("check", answers, "--format", "plain")
    assert code == 1 and "expectation failed for 1 of 8 answers" in err
    verdicts = [line.split("\t")[1] for line in graded.splitlines()]
    assert verdicts == ["right", "right", "wrong"] + ["right"] * 5  # row 3 is file line 4


def test_two_runs_are_byte_identical_and_another_seed_differs(cli, tmp_path):
    args = ("exercise", "ce,bce-logits,smooth-l1,nll", "--count", 12, "--level", 3)
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        assert cli(*args, "--seed", seed, "--out", tmp_path / name, "--quiet")[:2] == (0, "")
    first, again, other = (_files(tmp_path / n) for n in "abc")
    assert first == again
    assert all(first[name] != other[name] for name in first)


def test_json_lines_for_losses_of_more_tensors(cli, tmp_path):
    out = tmp_path / "set"
    code, _, err = cli("exercise", "triplet,gaussian-nll,margin-ranking", "--format", "jsonl",
                       "--level", 2, "--count", 6, "--out", out, "-q")
    assert (code, err) == (0, "")
    assert sorted(_files(out)) == ["key.jsonl", "problems.jsonl", "solutions.html",
                                   "solutions.md", "solutions.tex"]
    first = json.loads((out / "problems.jsonl").read_text().splitlines()[0])
    assert list(first) == ["id", "loss", "anchor", "positive", "negative", "params",
                           "reduction", "dtype"]
    assert cli("check", out / "key.jsonl", "-f", "plain")[0] == 0


def test_solutions_explain_every_problem(cli, tmp_path):
    out = tmp_path / "set"
    assert cli("exercise", "l1,ce", "--count", 4, "--out", out, "-q")[0] == 0
    md = (out / "solutions.md").read_text()
    tex = (out / "solutions.tex").read_text()
    assert [line for line in md.splitlines() if line.startswith("## ")] == [
        "## q1: l1", "## q2: ce", "## q3: l1", "## q4: ce"]
    assert md.count("**Answer:**") == 4 and md.count("**Formulas**") == 4
    assert tex.startswith("\\documentclass{article}") and tex.endswith("\\end{document}\n")
    assert tex.count("\\begin{align*}") == tex.count("\\end{align*}") == 4
    page = (out / "solutions.html").read_text()
    ElementTree.fromstring(page.split("\n", 1)[1])  # every tag closes
    assert page.count("<h2>") == 4 and page.count("Answer: <code>") == 4
    assert "<math" in page and "<script" not in page and "http" not in page


def test_existing_files_are_replaced(cli, tmp_path):
    out = tmp_path / "set"
    out.mkdir()
    (out / "key.csv").write_text("old")
    (out / "notes.txt").write_text("mine")
    assert cli("exercise", "mse", "--count", 2, "--out", out, "-q")[0] == 0
    assert (out / "key.csv").read_text().startswith("id,loss,")
    assert (out / "notes.txt").read_text() == "mine"
    assert not [p for p in out.iterdir() if p.name.startswith(".exercise-")]


def test_errors_are_one_line(cli, tmp_path):
    a_file = tmp_path / "f"
    a_file.write_text("")
    code, out, err = cli("exercise", "mse", "--out", a_file)
    assert (code, out) == (4, "")
    assert err == (f"losscalc: error: --out '{a_file}' is a file, not a directory\n"
                   "hint: name a directory (it is created if missing)\n")
    code, _, err = cli("exercise", "hubber", "--out", tmp_path / "x")
    assert code == 2 and err.splitlines() == ["losscalc: error: unknown loss 'hubber'",
                                              "hint: did you mean 'huber'?"]
    code, _, err = cli("exercise", "mse,ctc", "--out", tmp_path / "x")
    assert code == 2 and err.startswith("losscalc: error: ctc has no level-1 problems")
    code, _, err = cli("exercise", "triplet", "--out", tmp_path / "x")
    assert code == 2 and err.endswith("hint: use --format jsonl\n")
    assert not (tmp_path / "x").exists()  # nothing written when the set cannot be made
