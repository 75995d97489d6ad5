"""One way to read a tensor and a parameter, whatever the door.

Every door — a loss command's options, a batch line, a check table's cell, compare, plot, act
and the Python core — reads tensors through ``inputs.read_tensor`` and parameters through
``Param.read``. So the same bad value gives the same message through every door, apart from
the words that say where it was (`--delta`, `params.delta`, `column "delta"`), and the same
exit code. The values a reader returns are checked against numbers written out by hand.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from losscalc import batch, grading
from losscalc.activations import APPROXIMATE, SLOPE
from losscalc.core import compute
from losscalc.errors import InvalidData, LosscalcError, UsageError
from losscalc.inputs import parse_range, read_tensor
from losscalc.losses import resolve
from losscalc.registry import Param

DELTA = next(p for p in resolve("huber").params if p.name == "delta")
IGNORE = next(p for p in resolve("ce").params if p.name == "ignore_index")
LOG_TARGET = next(p for p in resolve("kl").params if p.name == "log_target")
WEIGHT = next(p for p in resolve("ce").params if p.name == "weight")


RAGGED = "row 1 has 1 numbers but row 0 has 2; every row needs the same count"


# ---------------------------------------------------------------------------------------------
# The parameter reader


@pytest.mark.parametrize("param, value, expected", [
    (DELTA, "2", 2.0), (DELTA, " 0.5 ", 0.5), (DELTA, 2, 2.0), (DELTA, "inf", math.inf),
    (IGNORE, "-100", -100), (IGNORE, "3.0", 3), (IGNORE, 3.0, 3),
    (LOG_TARGET, "true", True), (LOG_TARGET, "No", False), (LOG_TARGET, True, True),
    (APPROXIMATE, "tanh", "tanh"),
])
def test_param_read_gives_the_kind_the_loss_takes(param, value, expected):
    got = param.read(value, "--x")
    assert got == expected and type(got) is type(expected)


def test_a_tensor_parameter_is_read_by_the_tensor_reader():
    # text and JSON give one array: [1, 2] either way
    assert WEIGHT.read("1,2", "--weight").tolist() == [1.0, 2.0]
    assert WEIGHT.read([1, 2], "params.weight", text=False).tolist() == [1.0, 2.0]


@pytest.mark.parametrize("param, value, text, message", [
    (DELTA, "x", None, "--x must be a number, got 'x'"),
    (DELTA, "nan", None, "--x must be a number, got 'nan'"),
    (DELTA, True, None, "--x must be a number, got 'true'"),
    (DELTA, "2", False, "--x must be a number, got '2'"),  # a JSON string is not a number
    (IGNORE, "1.5", None, "--x must be an integer, got '1.5'"),
    (IGNORE, 1.5, None, "--x must be an integer, got '1.5'"),
    (LOG_TARGET, 1, None, "--x must be true or false, got '1'"),
    (LOG_TARGET, "maybe", None, "--x must be true or false, got 'maybe'"),
    (APPROXIMATE, "erf", None, "--x must be one of none, tanh, got 'erf'"),
])
def test_param_read_rejects_a_value_of_the_wrong_kind(param, value, text, message):
    with pytest.raises(UsageError) as info:
        param.read(value, "--x", text=text)
    assert info.value.message == message and info.value.exit_code == 2


def test_activation_parameters_are_registry_params():
    assert isinstance(SLOPE, Param) and APPROXIMATE.choices == ("none", "tanh")
    assert APPROXIMATE.metavar == "[none|tanh]" and SLOPE.metavar == "NUMBER"


# ---------------------------------------------------------------------------------------------
# The tensor reader


@pytest.mark.parametrize("text, value", [
    ("1", 1), ("2.5", 2.5), ("1,2,3", [1, 2, 3]), ("1,2; 3,4", [[1, 2], [3, 4]]),
    ("[[1, 2], [3, 4]]", [[1, 2], [3, 4]]), ("-inf", -math.inf),
])
def test_text_and_json_give_the_same_array(text, value):
    from_text, from_json = read_tensor(text, "--pred"), read_tensor(value, "pred")
    assert from_text.shape == from_json.shape == np.shape(value)
    assert from_text.dtype == from_json.dtype == np.float64
    assert np.array_equal(from_text, from_json)


def test_a_json_door_does_not_parse_strings():
    with pytest.raises(InvalidData, match=r"^pred: expected a number, got '1,2'$"):
        read_tensor("1,2", "pred", text=False)


@pytest.mark.parametrize("text, json_value, message", [
    ("1,nan", [1, math.nan], "NaN at index [1] is not allowed; give a number"),
    ("1,2; 3", [[1, 2], [3]], RAGGED),
    ("1,true", [1, True], "expected a number at index [1], got 'true'"),
    ("1,x", [1, "x"], "expected a number at index [1], got 'x'"),
    ("1,2; 3,x", [[1, 2], [3, "x"]], "expected a number at index [1, 1], got 'x'"),
])
def test_text_and_json_fail_in_the_same_words(text, json_value, message):
    for value, where in ((text, "--pred"), (json_value, "pred")):
        with pytest.raises(InvalidData) as info:
            read_tensor(value, where)
        assert info.value.message == f"{where}: {message}"


@pytest.mark.parametrize("text, ends", [("-3:3", (-3.0, 3.0)), ("3:-3", (3.0, -3.0)),
                                        ("0.5:1e3", (0.5, 1000.0))])
def test_parse_range_reads_either_direction_as_torch_linspace(text, ends):
    assert parse_range(text) == ends


# ---------------------------------------------------------------------------------------------
# The same bad value through every door


def _batch(problem: dict) -> LosscalcError:
    text = json.dumps({"loss": "huber", "pred": [1, 2], "target": [1, 3], **problem})
    return batch.answer(text, 1).error


def _check(tmp_path, cells: dict) -> LosscalcError:
    row = {"loss": "huber", "pred": "1,2", "target": "1,3", "expect": "0", **cells}
    path = tmp_path / "problems.csv"
    path.write_text(",".join(row) + "\n" + ",".join(f'"{v}"' for v in row.values()) + "\n")
    (graded,) = grading.grade_all(str(path), None)
    return graded.error


def _cli(cli, *args) -> tuple[int, str]:
    code, out, err = cli(*args)
    assert out == "" and err.startswith("losscalc: error: "), err
    return code, err.removeprefix("losscalc: error: ").splitlines()[0]


def _param_doors(cli, tmp_path, text: str, value) -> list[tuple[str, int, str]]:
    """(where, exit code, message) of huber's delta = the bad value through every door."""
    tensors = ("-p", "1,2", "-t", "1,3")
    doors = [("--delta", *_cli(cli, "huber", *tensors, "--delta", text)),
             ("--delta", *_cli(cli, "compare", "huber,l1", *tensors, "--delta", text)),
             ("--delta", *_cli(cli, "plot", "huber", "--delta", text)),
             ("--delta", *_cli(cli, "plot", "huber", "--param", f"delta={text}"))]
    for where, err in (("params.delta", _batch({"params": {"delta": value}})),
                       ('column "delta"', _check(tmp_path, {"delta": text}))):
        doors.append((where, err.exit_code, err.message))
    return doors


@pytest.mark.parametrize("text, value, rest", [
    ("x", "x", "must be a number, got 'x'"),  # not a number
    ("true", True, "must be a number, got 'true'"),  # a boolean where a number is expected
])
def test_a_bad_parameter_reads_the_same_through_every_door(cli, tmp_path, text, value, rest):
    for where, code, message in _param_doors(cli, tmp_path, text, value):
        assert (code, message) == (2, f"{where} {rest}"), where


def test_a_negative_delta_is_refused_in_the_same_words_everywhere(cli, tmp_path):
    message = "The 'delta' parameter of huber must be > 0. Got -1 instead."
    for where, code, got in _param_doors(cli, tmp_path, "-1", -1):
        assert (code, got) == (2, message), where
    with pytest.raises(UsageError, match=r"^The 'delta' parameter of huber must be > 0\. "
                                         r"Got -1 instead\.$"):
        compute("huber", [1, 2], [1, 3], {"delta": -1})


def _tensor_doors(cli, tmp_path, text: str, value) -> list[tuple[str, int, str]]:
    """(where, exit code, message) of a bad prediction through every door."""
    doors = [("--pred", *_cli(cli, "huber", "-p", text, "-t", "1,3")),
             ("--pred", *_cli(cli, "compare", "huber,l1", "-p", text, "-t", "1,3")),
             ("--pred", *_cli(cli, "plot", "ce", "--pred", text, "--target", "0")),
             ("--x", *_cli(cli, "act", "sigmoid", "--x", text)),
             ("--x", *_cli(cli, "backprop", "--x", text)),
             ("--p", *_cli(cli, "info", "entropy", "--p", text))]
    for where, err in (("pred", _batch({"pred": value})),
                       ('column "pred"', _check(tmp_path, {"pred": text}))):
        doors.append((where, err.exit_code, err.message))
    return doors


@pytest.mark.parametrize("text, value, rest", [
    ("1,nan", [1, math.nan], "NaN at index [1] is not allowed; give a number"),
    ("1,2; 3", [[1, 2], [3]], RAGGED),
    ("1,true", [1, True], "expected a number at index [1], got 'true'"),
])
def test_a_bad_tensor_reads_the_same_through_every_door(cli, tmp_path, text, value, rest):
    for where, code, message in _tensor_doors(cli, tmp_path, text, value):
        assert (code, message) == (3, f"{where}: {rest}"), where


# ---------------------------------------------------------------------------------------------
# One vocabulary for act, plot, backprop and info


def _plain(cli, *args) -> list[float]:
    code, out, err = cli(*args, "-f", "plain")
    assert code == 0, err
    return [float(v) for v in out.split()]


def test_act_and_plot_share_points_and_range_and_keep_the_former_names(cli):
    # tanh at linspace(1, -1, 3) = (1, 0, -1): tanh(1) = 0.7615941559557649 (math.tanh)
    expected = [math.tanh(1.0), 0.0, math.tanh(-1.0)]
    assert _plain(cli, "act", "tanh", "--range", "1:-1", "--points", "3") == expected
    assert _plain(cli, "act", "tanh", "--range", "1:-1", "--num", "3") == expected


def test_plot_takes_parameters_as_their_own_options(cli):
    assert cli("plot", "leaky-relu", "--slope", "0.2", "--width", "40", "--height", "12")[0] == 0
    assert cli("plot", "huber", "--delta", "2", "--width", "40", "--height", "12")[0] == 0
    code, _, err = cli("plot", "huber", "--delta", "2", "--param", "delta=3")
    assert code == 2 and "--delta is given twice" in err


def test_every_target_and_input_has_its_short_form(cli):
    # backprop -x/-t: the tutorials' network with its own x and target is the default run
    default = _plain(cli, "backprop")
    assert _plain(cli, "backprop", "-x", "0.05,0.1", "-t", "0.01,0.99") == default
    for command in (["act", "--help"], ["plot", "--help"], ["backprop", "--help"]):
        code, out, _ = cli(*command)
        assert code == 0
        assert "-x, --x" in out or "-t, --target" in out


def test_hidden_aliases_stay_out_of_help(cli):
    _, act_help, _ = cli("act", "--help")
    _, plot_help, _ = cli("plot", "--help")
    assert "--points" in act_help and "--num" not in act_help
    assert "--slope" in plot_help and "NAME=VALUE" not in plot_help
