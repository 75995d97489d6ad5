"""One problem asked through every door gives the same bits.

The doors: the loss command with --json, `batch`, `compare --json`, `check --format json`, a
table given with --csv (computed at once, and streamed chunk by chunk with per-row CSV), the
Python core and the Python library (`losscalc.compute`). They share one reader, one
computation and one report, so their values, per-element losses and gradients must be equal
as doubles, not merely close.

The regression problem is chosen so that every sum is exact (dyadic numbers whose squares and
sums need few bits): the streamed path adds chunk totals in another order than NumPy's
pairwise sum, and only exact sums make the order irrelevant. The expected numbers are derived
by hand in the comments; the doors are also compared with each other.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import table_paths
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import losscalc
from losscalc import csvsource, streaming
from losscalc.core import compute

# mse, reduction sum: residuals pred − target = 0.5, −0.75, 1, −2, 0.25, 0, 1.5, −1.25, 0.5, 3
PRED = [1.5, 0.25, 3.0, -1.0, 2.25, 4.0, 0.5, 1.75, -0.5, 6.0]
TARGET = [1.0, 1.0, 2.0, 1.0, 2.0, 4.0, -1.0, 3.0, -1.0, 3.0]
RESIDUALS = [0.5, -0.75, 1.0, -2.0, 0.25, 0.0, 1.5, -1.25, 0.5, 3.0]
# ℓ = r², Σℓ = 0.25 + 0.5625 + 1 + 4 + 0.0625 + 0 + 2.25 + 1.5625 + 0.25 + 9 = 18.9375;
# ∂Σℓ/∂pred = 2r.
ELEMENTWISE = [r * r for r in RESIDUALS]
VALUE = 18.9375
GRAD = [2 * r for r in RESIDUALS]


def _vector(values) -> str:
    return ",".join(repr(v) for v in values)


def _bits(values) -> bytes:
    return np.asarray(values, dtype=np.float64).tobytes()


def _doc(text: str) -> dict:
    return json.loads(text)


@pytest.fixture
def tiny_chunks(monkeypatch):
    """Tables stream after 8 numbers, in chunks of 64 bytes."""
    monkeypatch.setattr(csvsource, "CHUNK_BYTES", 64)
    monkeypatch.setattr(streaming, "IN_MEMORY_VALUES", 8)


def test_the_hand_derivation_is_exact():
    assert sum(ELEMENTWISE) == VALUE
    assert [p - t for p, t in zip(PRED, TARGET)] == RESIDUALS


def test_every_door_gives_the_same_bits(cli, tmp_path, tiny_chunks):
    answers = {}
    pred, target = _vector(PRED), _vector(TARGET)

    code, out, err = cli("mse", "-p", pred, "-t", target, "-r", "sum", "--json")
    assert code == 0, err
    answers["command"] = _doc(out)

    line = json.dumps({"loss": "mse", "pred": PRED, "target": TARGET, "reduction": "sum"})
    code, out, err = cli("batch", "-", stdin=line + "\n")
    assert code == 0, err
    answers["batch"] = _doc(out)

    code, out, err = cli("compare", "mse,l1", "-p", pred, "-t", target, "-r", "sum", "--json")
    assert code == 0, err
    answers["compare"] = _doc(out)[0]

    result = compute("mse", np.array(PRED), np.array(TARGET), reduction="sum")
    answers["python"] = {"value": float(result.value),
                         "elementwise": result.elementwise.tolist(),
                         "grad": {"pred": result.grad["pred"].tolist()}}

    library = losscalc.compute("mse", pred=PRED, target=TARGET, reduction="sum")
    answers["library"] = {"value": library.value, "elementwise": library.elementwise,
                          "grad": library.grad}
    assert library.json == answers["command"]  # the very document of --json

    small = tmp_path / "small.csv"
    small.write_text("pred,target\n" + "".join(f"{p!r},{t!r}\n" for p, t in
                                               zip(PRED[:3], TARGET[:3])))
    code, out, err = cli("mse", "--csv", small, "-r", "sum", "--json")
    assert code == 0 and "streamed" not in err, err
    in_memory_table = _doc(out)

    for door, answer in answers.items():
        assert _bits(answer["value"]) == _bits(VALUE), door
        assert _bits(answer["elementwise"]) == _bits(ELEMENTWISE), door
        assert _bits(answer["grad"]["pred"]) == _bits(GRAD), door
    assert _bits(in_memory_table["elementwise"]) == _bits(ELEMENTWISE[:3])
    assert _bits(in_memory_table["grad"]["pred"]) == _bits(GRAD[:3])

    # check grades the same value: an answer equal to it is right with a zero difference
    answers_csv = tmp_path / "answers.csv"
    answers_csv.write_text(f'loss,pred,target,reduction,expect\nmse,"{pred}","{target}",sum,'
                           f"{VALUE!r}\n")
    code, out, err = cli("check", answers_csv, "--format", "json")
    assert code == 0, err
    graded = _doc(out)["answers"][0]
    assert _bits(graded["value"]) == _bits(VALUE) and graded["difference"] == 0.0
    assert graded["ok"] is True


def test_the_streamed_table_gives_the_same_bits(cli, tmp_path, tiny_chunks):
    path = tmp_path / "table.csv"
    path.write_text("pred,target\n" + "".join(f"{p!r},{t!r}\n" for p, t in zip(PRED, TARGET)))

    code, out, err = cli("mse", "--csv", path, "-r", "sum", "--json")
    assert code == 0 and "streamed 10 rows" in err, err
    document = _doc(out)
    assert _bits(document["value"]) == _bits(VALUE)
    assert document["elementwise"] is None and document["shape"] == {"pred": [10],
                                                                      "target": [10]}

    code, out, err = cli("mse", "--csv", path, "-r", "sum", "--format", "csv")
    assert code == 0, err
    rows = [line.split(",") for line in out.splitlines()]
    assert rows[0] == ["index", "loss", "grad"]
    assert [int(r[0]) for r in rows[1:]] == list(range(10))
    assert _bits([float(r[1]) for r in rows[1:]]) == _bits(ELEMENTWISE)
    assert _bits([float(r[2]) for r in rows[1:]]) == _bits(GRAD)


def test_mean_over_every_door(cli, tmp_path, tiny_chunks):
    """The mean divides the exact sum by n = 10 once, the same division at every door."""
    expected = VALUE / 10
    pred, target = _vector(PRED), _vector(TARGET)
    path = tmp_path / "table.csv"
    path.write_text("".join(f"{p!r},{t!r}\n" for p, t in zip(PRED, TARGET)))
    line = json.dumps({"loss": "mse", "pred": PRED, "target": TARGET})
    outputs = [
        cli("mse", "-p", pred, "-t", target),
        cli("mse", "--csv", path),
        cli("batch", "-", stdin=line + "\n"),
        cli("compare", "mse", "-p", pred, "-t", target, "--json"),
    ]
    assert all(code == 0 for code, _, _ in outputs), outputs
    values = [float(outputs[0][1]), float(outputs[1][1]), _doc(outputs[2][1])["value"],
              _doc(outputs[3][1])[0]["value"]]
    assert _bits(values) == _bits([expected] * 4)
    assert "streamed 10 rows" in outputs[1][2]


def test_notes_are_the_same_at_every_door(cli):
    """A diagnosis (kl's mean over every element) is a note on stderr at each door, also
    with --explain in JSON, where no explanation text shows it."""
    args = ("kl", "--log-probs", "-1.2,-0.4; -0.7,-0.7", "-t", "0.3,0.7; 0.5,0.5")
    plain = cli(*args)[2]
    explained_json = cli(*args, "--json", "--explain")[2]
    assert "note: reduction 'mean' divides by every element" in plain
    assert plain == explained_json
    code, out, err = cli(*args, "--explain", "--format", "plain")
    assert "divides by every element" in out and "divides by every element" not in err


# --- errors in each door's words -------------------------------------------------------------


def test_an_error_names_the_tensor_as_each_door_does(cli):
    """ce needs a class axis: the core says so of its prediction, and each door names it in
    its own words — the option on the command line, the field in a batch line, the keyword for
    a Python caller."""
    from losscalc.errors import InvalidData
    from losscalc.losses import keyword_spelling

    code, _, err = cli("ce", "--logits", "1", "-t", "0")
    assert (code, err.splitlines()[0]) == (
        3, "losscalc: error: ce: --logits must have a class axis; got a single number")

    line = json.dumps({"loss": "ce", "pred": 1, "target": 0})
    code, out, _ = cli("batch", "-", stdin=line + "\n")
    assert code == 3
    assert _doc(out)["error"] == 'ce: "pred" must have a class axis; got a single number'

    with pytest.raises(InvalidData) as raised:
        compute("ce", np.array(1.0), np.array(0.0))
    assert raised.value.render(keyword_spelling) == ("ce: logits= must have a class axis; got "
                                                      "a single number")


@pytest.mark.parametrize("args, message", [
    # the core's complaint about a grid point, said of the option that names the tensor
    (("plot", "bce", "--range", "-1:2"),
     "bce is not defined over all of --range -1:2: --probs must lie in [0, 1]; got -1"),
    (("plot", "ce", "--pred", "0,0", "--target", "5"),
     "ce does not fit --pred and --target: class index 5 at --target is out of range for 2 "
     "classes: expected 0 to 1 (or the ignore index -100)"),
    (("info", "kl", "--p", "0.5,0.5", "--q", "0.2,0.3,0.5"),
     "kl: --q has shape (3,) but --p has shape (2,); they must be the same"),
    (("act", "softmax", "--x", "1,2", "--dim", "3"),
     "softmax: --dim 3 is out of range for --x of shape (2,) (expected -1 to 0)"),
    (("compare", "l1,mse", "-p", "1", "-t", "1", "--delta", "2"),
     "--delta is a parameter of none of l1, mse"),
])
def test_other_doors_name_options_on_the_command_line(cli, args, message):
    code, _, err = cli(*args)
    assert code in (2, 3) and err.splitlines()[0] == f"losscalc: error: {message}"


def test_tensor_parameters_are_strict_json(cli):
    """A class weight of inf is allowed (a tensor may hold ±inf): the JSON says "inf", never a
    bare Infinity that strict parsers refuse."""
    code, out, err = cli("ce", "--logits", "1,2", "-t", "0", "--weight", "inf,1", "--json")
    assert code == 0, err

    def refuse(constant):
        raise AssertionError(f"non-standard JSON constant {constant}")

    assert json.loads(out, parse_constant=refuse)["params"]["weight"] == ["inf", 1.0]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pairs=st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(-1e3, 1e3)), min_size=2,
                      max_size=40),
       reduction=st.sampled_from(["mean", "sum"]), dtype=st.sampled_from(["float64", "float32"]))
def test_a_table_has_one_value_at_every_size(cli, tmp_path, pairs, reduction, dtype):
    """The value is the correctly rounded sum of the per-element losses (math.fsum, the
    independent reference), rounded to the dtype and divided there: the same bits from the
    command line, a table in memory, the table streamed in chunks, and its --partial merged."""
    pred = np.array([p for p, _ in pairs], dtype=dtype)
    target = np.array([t for _, t in pairs], dtype=dtype)
    kind = np.float32 if dtype == "float32" else np.float64
    squares = ((pred - target) * (pred - target)).astype(np.float64)
    exact = kind(math.fsum(squares.tolist()))
    expected = float(exact / kind(len(pairs)) if reduction == "mean" else exact)
    path = tmp_path / "t.csv"
    path.write_text("pred,target\n" + "".join(f"{float(p)!r},{float(t)!r}\n"
                                               for p, t in zip(pred, target)))
    common = ["-r", reduction, "--dtype", dtype, "-q"]
    answers = {}
    _, out, _ = cli("mse", "-p", _vector(pred.tolist()), "-t", _vector(target.tolist()),
                    *common, "--json")
    answers["command"] = _doc(out)["value"]
    with pytest.MonkeyPatch.context() as monkeypatch:
        for limit in table_paths(monkeypatch, 64, "0"):
            path_taken = "in memory" if limit is None else "streamed"
            _, out, _ = cli("mse", "--table", str(path), *common, "--json")
            answers[f"table {path_taken}"] = _doc(out)["value"]
            _, out, _ = cli("mse", "--table", str(path), *common, "--partial")
            (tmp_path / "p.json").write_text(out)
            _, out, _ = cli("merge", str(tmp_path / "p.json"), "--json")
            answers[f"merged, read {path_taken}"] = _doc(out)["value"]
    assert answers == dict.fromkeys(answers, expected) and len(answers) == 5
