"""`losscalc batch`: JSON Lines in, JSON Lines out. Expected values come from
tests/data/seed-examples.json (torch_float64 / torch_float32, by id) or are derived by hand in
a comment; none is produced by the code under test."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import assert_close, load

SEEDS = {e["id"]: e for e in load("seed-examples.json")}
ROOT = Path(__file__).resolve().parent.parent
SECTION2 = ["loss", "reduction", "dtype", "value", "elementwise", "grad", "shape", "params"]


def lines(*objs) -> str:
    return "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objs)


def answers(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def seed_problem(seed_id: str, loss: str, **extra) -> dict:
    s = SEEDS[seed_id]
    return {"loss": loss, "pred": s["inputs"]["input"], "target": s["inputs"]["target"],
            **extra}


def test_one_answer_per_line_with_the_json_schema_in_order(cli):
    code, out, err = cli("batch", stdin=lines(
        seed_problem("000-mse-mean", "mse", id="q1"),
        seed_problem("002-ce-targets-1-2", "ce", id=2, expect=1.2465588080868546)))
    assert (code, err) == (0, "")
    first, second = answers(out)
    assert list(first) == ["id", *SECTION2]  # no "ok" without "expect"
    assert list(second) == ["id", *SECTION2, "ok"]
    assert first["id"] == "q1" and second["id"] == 2
    assert first["loss"] == "mse" and first["reduction"] == "mean"
    assert first["dtype"] == "float64"
    assert_close(first["value"], SEEDS["000-mse-mean"]["torch_float64"])
    # (p − t)² = 0, 0, 4; d mean / dp = 2(p − t)/3 = 0, 0, −4/3
    assert first["elementwise"] == [0.0, 0.0, 4.0]
    assert_close(first["grad"]["pred"], [0.0, 0.0, -4 / 3])
    assert first["shape"] == {"pred": [3], "target": [3]}
    assert first["params"] == {}
    assert_close(second["value"], SEEDS["002-ce-targets-1-2"]["torch_float64"])
    assert second["ok"] is True
    assert second["params"] == {"weight": None, "ignore_index": -100, "label_smoothing": 0.0}


def test_same_object_as_the_loss_command_json(cli):
    problem = seed_problem("002-ce", "ce")
    _, single, _ = cli("ce", "--logits", json.dumps(problem["pred"]), "--target",
                       json.dumps(problem["target"]), "--json")
    _, out, _ = cli("batch", stdin=lines(problem))
    expected = json.loads(single)
    assert answers(out) == [{"id": None, **expected}]


def test_reduction_none_with_a_list_expectation(cli):
    seed = SEEDS["003-ce-per-sample"]
    code, out, _ = cli("batch", stdin=lines(seed_problem(
        "003-ce-per-sample", "ce", reduction="none", expect=seed["torch_float64"], tol=1e-12)))
    (a,) = answers(out)
    assert code == 0 and a["ok"] is True and a["reduction"] == "none"
    assert_close(a["value"], seed["torch_float64"])


def test_float32_prints_like_torch_item(cli):
    code, out, _ = cli("batch", stdin=lines(seed_problem("000-l1-mean", "l1",
                                                          dtype="float32")))
    (a,) = answers(out)
    assert code == 0 and a["dtype"] == "float32"
    assert a["value"] == SEEDS["000-l1-mean"]["torch_float32"]  # 0.6666666865348816


def test_tensor_parameters_and_aliases(cli):
    seed = SEEDS["001-bcewithlogits-classweight-5x3"]
    problem = {"loss": "BCEWithLogitsLoss", "pred": seed["inputs"]["logits"],
               "target": seed["inputs"]["labels"], "params": {"weight": [1, 2, 1]},
               "reduction": "none"}
    code, out, _ = cli("batch", stdin=lines(problem))
    (a,) = answers(out)
    assert code == 0 and a["loss"] == "bce-logits"
    assert a["params"]["weight"] == [1.0, 2.0, 1.0]
    assert_close(a["elementwise"], seed["torch_float64"])


def test_scalar_parameters(cli):
    seed = SEEDS["001-smoothl1"]
    code, out, _ = cli("batch", stdin=lines(
        {"loss": "smooth-l1", "pred": seed["inputs"]["input"],
         "target": seed["inputs"]["target"], "params": {"beta": 1}, "expect": 0.625}))
    (a,) = answers(out)
    assert code == 0 and a["ok"] is True and a["params"] == {"beta": 1.0}


def test_failed_expectation_is_ok_false_and_exit_1(cli):
    code, out, err = cli("batch", stdin=lines(
        seed_problem("000-mse-mean", "mse", expect=1.3333333333333333),
        seed_problem("000-mse-mean", "mse", expect=1.34),  # |Δ| ≈ 6.7e-3 > 1e-6
        seed_problem("000-mse-mean", "mse", expect=1.34, tol=1e-2)))
    assert [a["ok"] for a in answers(out)] == [True, False, True]
    assert code == 1
    assert err == "losscalc: expectation failed for 1 of 3 problems\n"


BAD_LINES = [
    # (line, exit code, words the error must contain)
    ("nope", 3, "not valid JSON"),
    ('{"loss": "mse", "pred": [1, 2', 3, "not valid JSON"),
    ("[1, 2, 3]", 3, "one problem per line (JSON Lines) is expected"),
    ('"mse"', 3, "expected a JSON object"),
    ('{"loss": "msx", "pred": [1], "target": [1]}', 2, "unknown loss 'msx'"),
    ('{"loss": 3, "pred": [1], "target": [1]}', 2, '"loss" must be a loss name'),
    ('{"loss": "mse", "pred": [1]}', 2, "missing field 'target'"),
    ('{"loss": "mse", "pred": [1], "target": [1], "colour": 1}', 2, "unknown field 'colour'"),
    ('{"loss": "mse", "pred": [1], "target": [1], "params": {"beta": 1}}', 2,
     "mse has no parameter 'beta'"),
    ('{"loss": "mse", "pred": [1], "target": [1], "params": [1]}', 2,
     '"params" must be an object'),
    ('{"loss": "huber", "pred": [1], "target": [1], "params": {"delta": "big"}}', 2,
     "params.delta must be a number"),
    ('{"loss": "huber", "pred": [1], "target": [1], "params": {"delta": -1}}', 2,
     "The 'delta' parameter of huber must be > 0. Got -1 instead."),
    ('{"loss": "ce", "pred": [1, 2], "target": 1, "params": {"ignore_index": 1.5}}', 2,
     "params.ignore_index must be an integer"),
    ('{"loss": "kl", "pred": [-1], "target": [0.5], "params": {"log_target": 1}}', 2,
     "params.log_target must be true or false"),
    ('{"loss": "mse", "pred": [1], "target": [1], "reduction": "avg"}', 2,
     "mse has no reduction 'avg'"),
    ('{"loss": "mse", "pred": [1], "target": [1], "reduction": 1}', 2,
     "'reduction' must be a string"),
    ('{"loss": "mse", "pred": [1], "target": [1], "dtype": "float16"}', 2,
     "unknown dtype 'float16'"),
    ('{"loss": "mse", "pred": [1], "target": [1], "tol": -1}', 2, '"tol" must be a finite'),
    ('{"loss": "mse", "pred": [1], "target": [1], "expect": {"v": 1}}', 2,
     '"expect" must be a number'),
    # a field is named as a field, not as the command line's --expect
    ('{"loss": "mse", "pred": [1], "target": [1], "expect": "abc"}', 2,
     '"expect": expected a number'),
    ('{"loss": "mse", "pred": [1, NaN], "target": [1, 2]}', 3, "pred: NaN at index [1]"),
    ('{"loss": "mse", "pred": [1, "2"], "target": [1, 2]}', 3,
     "pred: expected a number at index [1], got '2'"),
    ('{"loss": "mse", "pred": "1,2", "target": [1, 2]}', 3,
     "pred: expected a number, got '1,2'"),  # a JSON string is not text to parse
    ('{"loss": "mse", "pred": [[1, 2], [3]], "target": [1, 2]}', 3,
     "pred: row 1 has 1 numbers but row 0 has 2"),
    ('{"loss": "mse", "pred": [1, 2, 3], "target": [1, 2]}', 3, "shape"),
    ('{"loss": "mse", "pred": [], "target": []}', 3, "is empty"),
    ('{"loss": "ce", "pred": [[1, 2]], "target": [5]}', 3, "out of range"),
    ('{"loss": "bce", "pred": [2.3], "target": [1]}', 3, "must lie in [0, 1]"),
]


@pytest.mark.parametrize("text,exit_code,words", BAD_LINES)
def test_a_bad_line_is_an_error_object_and_the_batch_goes_on(cli, text, exit_code, words):
    good = json.dumps({"loss": "l1", "pred": [1, 2, 3], "target": [1, 2, 5], "id": "after"})
    code, out, err = cli("batch", stdin=text + "\n" + good + "\n")
    bad, after = answers(out)
    assert list(bad) == ["id", "line", "error", "exit_code"]
    assert bad["line"] == 1 and bad["exit_code"] == exit_code
    assert words in bad["error"], bad["error"]
    assert "\n" not in bad["error"]
    assert after["id"] == "after"
    assert_close(after["value"], SEEDS["000-l1-mean"]["torch_float64"])
    assert code == exit_code
    assert err.startswith("losscalc: error: 1 of 2 problems could not be computed")
    assert err.count("\n") == 1


def test_error_keeps_the_id_when_the_object_has_one(cli):
    _, out, _ = cli("batch", stdin=lines({"loss": "nope", "pred": 1, "target": 1, "id": "q7"}))
    assert answers(out)[0]["id"] == "q7"


def test_unknown_loss_error_suggests_a_name(cli):
    _, out, _ = cli("batch", stdin=lines({"loss": "huberr", "pred": 1, "target": 1}))
    assert "did you mean 'huber'?" in answers(out)[0]["error"]


def test_infinity_is_allowed_in_tensors(cli):
    # |inf − 1| = inf: the value is written as the string "inf" (docs/contract.md §7)
    code, out, _ = cli("batch", stdin='{"loss": "l1", "pred": [Infinity], "target": [1]}\n')
    assert code == 0 and answers(out)[0]["value"] == "inf"


@pytest.mark.parametrize("codes,worst", [
    ([0, 1], 1), ([1, 2], 2), ([2, 1], 2), ([1, 3], 3), ([3, 2], 3), ([2, 3, 1, 0], 3),
])
def test_the_exit_code_is_the_worst_seen(cli, codes, worst):
    make = {
        0: {"loss": "mse", "pred": [1], "target": [1]},
        1: {"loss": "mse", "pred": [1], "target": [1], "expect": 5},
        2: {"loss": "nope", "pred": [1], "target": [1]},
        3: {"loss": "mse", "pred": [1, 2], "target": [1, 2, 3]},
    }
    code, out, err = cli("batch", stdin=lines(*(make[c] for c in codes)))
    assert code == worst
    got = [a.get("exit_code", 1 if a.get("ok") is False else 0) for a in answers(out)]
    assert got == codes
    if worst == 2:
        assert err == ("losscalc: error: 1 of 2 problems could not be computed; "
                       "1 expectation failed\n")


def test_blank_lines_are_skipped_but_counted(cli):
    code, out, _ = cli("batch", stdin="\n" + lines({"loss": "l1", "pred": 1, "target": 1})
                       + "   \n" + "oops\n")
    ok, bad = answers(out)
    assert ok["value"] == 0.0 and bad["line"] == 4 and code == 3


def test_empty_input_is_no_answers(cli):
    assert cli("batch", stdin="") == (0, "", "")


def test_answers_come_in_input_order(cli):
    problems = [{"loss": "mse", "pred": [float(i)], "target": [0.0], "id": i} for i in range(50)]
    problems[17] = {"loss": "mse", "pred": [1, 2], "target": [1, 2, 3], "id": 17}
    _, out, _ = cli("batch", stdin=lines(*problems))
    got = answers(out)
    assert [a["id"] for a in got] == list(range(50))
    # (i − 0)² = i²
    assert [a["value"] for a in got if "value" in a] == [float(i * i) for i in range(50)
                                                         if i != 17]


def test_file_argument_and_dash(cli, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(lines(seed_problem("000-mse-sum", "mse", reduction="sum")))
    for args in ([str(path)], ["-"]):
        code, out, _ = cli("batch", *args, stdin=path.read_text())
        assert code == 0
        assert answers(out)[0]["value"] == SEEDS["000-mse-sum"]["torch_float64"]  # 4.0


def test_file_errors_are_exit_4(cli, tmp_path):
    code, out, err = cli("batch", str(tmp_path / "missing.jsonl"))
    assert (code, out) == (4, "")
    assert err == f"losscalc: error: cannot read '{tmp_path / 'missing.jsonl'}': no such file\n"
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(b"\xfe\x00garbage\n")  # not UTF-8: that line's error, exit 3
    code, out, err = cli("batch", str(binary))
    assert code == 3 and json.loads(out)["error"].startswith("the line is not UTF-8 text")
    code, _, err = cli("batch", str(tmp_path))
    assert code == 4 and "it is a directory" in err


def test_usage_errors_of_the_command(cli):
    code, out, err = cli("batch", "a.jsonl", "b.jsonl")
    assert code == 2 and out == "" and err.startswith("losscalc: error: got unexpected extra")


def test_help_documents_the_schema(cli):
    code, out, _ = cli("batch", "--help")
    assert code == 0
    for words in ('"loss", "pred" and "target" are required', '"expect"', '"tol"', '"id"',
                  '"ok"', '"line"', '"error"', '"exit_code"', "largest seen"):
        assert words in out


def test_answers_stream_as_each_line_arrives():
    """A problem written to the pipe is answered before the next one is written."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "losscalc", "batch"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    watchdog = threading.Timer(60, proc.kill)  # a buffered answer would block readline
    watchdog.start()
    try:
        for i in range(3):
            proc.stdin.write(json.dumps({"loss": "l1", "pred": [i], "target": [0], "id": i})
                             + "\n")
            proc.stdin.flush()
            reply = json.loads(proc.stdout.readline())  # would block forever if buffered
            assert reply["id"] == i and reply["value"] == float(i)  # |i − 0|
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
    finally:
        watchdog.cancel()
        proc.kill()
        proc.wait()


def test_errors_name_the_fields_of_the_line_not_options(cli):
    code, out, _ = cli("batch", "-", stdin=lines(
        {"loss": "bce", "pred": [2.3], "target": [1]},
        {"loss": "gaussian-nll", "pred": [1, 2], "target": [1, 2], "var": [1, -1]},
        {"loss": "multi-margin", "pred": [[1, 2]], "target": [0],
         "params": {"weight": [1, 2, 3]}}))
    errors = [a["error"] for a in answers(out)]
    assert code == 3
    assert errors[0].startswith('bce: "pred" must lie in [0, 1]')  # --probs on the command line
    assert errors[1].startswith('gaussian-nll: "var" holds variances')
    assert errors[2].startswith('multi-margin: "params.weight" must hold one number per class')
    assert not any("--" in e.split(" (hint:")[0] for e in errors)
