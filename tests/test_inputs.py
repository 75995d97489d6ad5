"""Tensor values (docs/contract.md §3): losscalc.inputs.parse_literal, parse_tensor and
parse_table — the shapes each written form gives, and the rejections (InvalidData naming the
option). The expected arrays are the numbers written in the input, so no arithmetic is needed.
"""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from losscalc.errors import InputOutputError, InvalidData
from losscalc.inputs import parse_literal, parse_table, parse_tensor

INF = math.inf


def assert_same(actual, expected):
    expected = np.asarray(expected, dtype=float)
    assert isinstance(actual, np.ndarray)
    assert actual.dtype == np.float64
    assert actual.shape == expected.shape, f"{actual.shape} != {expected.shape}"
    assert np.array_equal(actual, expected), f"{actual} != {expected}"


# ---------------------------------------------------------------------------------------------
# parse_literal


@pytest.mark.parametrize("text, expected", [
    ("1", np.float64(1)),  # a single number: shape ()
    ("  -2.5 ", np.float64(-2.5)),
    ("1e-3", np.float64(0.001)),
    ("1,2,3", [1, 2, 3]),
    ("1, 2, 3", [1, 2, 3]),
    ("1 2 3", [1, 2, 3]),
    ("1,2 3", [1, 2, 3]),  # commas and/or whitespace
    ("1,2;3,4", [[1, 2], [3, 4]]),
    ("0.8,2,1.2; 1,2,3", [[0.8, 2, 1.2], [1, 2, 3]]),
    ("1;2;3", [[1], [2], [3]]),  # one number per row: a column, (3, 1)
    ("[1, 2, 3]", [1, 2, 3]),
    ("[5]", [5]),  # JSON keeps a length-1 axis
    ("[[0.8,2,1.2],[1,2,3]]", [[0.8, 2, 1.2], [1, 2, 3]]),
    ("[[[1], [2]], [[3], [4]]]", [[[1], [2]], [[3], [4]]]),  # any depth
    ("[[1, 2]]", [[1, 2]]),
    ("inf", np.float64(INF)),
    ("-inf", np.float64(-INF)),
    ("1,inf,-inf", [1, INF, -INF]),
    ("[1, Infinity, -Infinity]", [1, INF, -INF]),
])
def test_literal_shapes(text, expected):
    assert_same(parse_literal(text, "--pred"), expected)


@pytest.mark.parametrize("text", [
    "nan", "NaN", "1,nan,3", "1,2; nan,4", "[1, NaN]",  # NaN is invalid data
    "1,2;3", "1;2,3", "[[1, 2], [3]]", "[1, [2]]",  # ragged rows
    "", "   ",  # empty
    "[1, 2", "[1,, 2]", "[[1, 2], [3, 4]",  # bad JSON
    '{"a": 1}',  # a JSON object
    '[1, "a"]', "[1, null]", "[[1, {}]]",  # a non-number inside JSON
    "1,x,3", "1,,2", "abc", "0x10",  # not a number
    '[1, "2"]', "[true, 0]",  # JSON strings and booleans are not numbers
])
def test_literal_rejections(text):
    with pytest.raises(InvalidData) as info:
        parse_literal(text, "--target")
    assert "--target" in info.value.message
    assert info.value.exit_code == 3


@pytest.mark.parametrize("text, words", [
    # the index as NumPy prints it, in the same words as a JSON value's (test_readers.py)
    ("1,x,3", ["'x'", "index [1]"]),
    ("1,2; 3,x", ["'x'", "index [1, 1]"]),
    ("1,nan", ["NaN", "1"]),
    ("1,2;3", ["row 1"]),
])
def test_literal_rejection_names_the_position(text, words):
    with pytest.raises(InvalidData) as info:
        parse_literal(text, "--pred")
    for word in words:
        assert word in info.value.message


def _format(array: np.ndarray, sep: str, row_sep: str) -> str:
    """The command-line form: repr numbers joined by sep, rows joined by row_sep."""
    if array.ndim == 0:
        return repr(float(array))
    if array.ndim == 1:
        return sep.join(repr(float(v)) for v in array)
    return row_sep.join(sep.join(repr(float(v)) for v in row) for row in array)


# Shapes the separated form can express unambiguously: `x` is a scalar (so a vector needs two
# numbers) and a matrix needs a `;` (so two rows).
_SHAPES = st.one_of(
    st.just(()),
    st.tuples(st.integers(2, 8)),
    st.tuples(st.integers(2, 6), st.integers(1, 6)),
)
_FINITE = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(hnp.arrays(np.float64, _SHAPES, elements=_FINITE),
       st.sampled_from([",", ", ", " ", " ,  "]), st.sampled_from([";", "; ", " ; "]))
def test_separated_numbers_round_trip_exactly(array, sep, row_sep):
    parsed = parse_literal(_format(array, sep, row_sep), "--pred")
    assert parsed.shape == array.shape
    assert parsed.tobytes() == array.tobytes()  # bit for bit, signed zeros included


@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
                  elements=_FINITE))
def test_json_round_trips_exactly(array):
    parsed = parse_literal(json.dumps(array.tolist()), "--pred")
    assert parsed.shape == array.shape
    assert parsed.tobytes() == array.tobytes()


# ---------------------------------------------------------------------------------------------
# parse_tensor: literals, - (stdin), @files


@pytest.mark.parametrize("stdin, expected", [
    ("1,2,3", [1, 2, 3]),
    ("1 2 3\n", [1, 2, 3]),
    ("1\n2\n3\n", [1, 2, 3]),  # one number per line
    ("1,2\n3,4\n", [[1, 2], [3, 4]]),  # rows = lines
    ("1,2; 3,4", [[1, 2], [3, 4]]),
    ("[[1, 2], [3, 4]]\n", [[1, 2], [3, 4]]),
    ("7\n", np.float64(7)),
])
def test_tensor_from_stdin(stdin, expected):
    assert_same(parse_tensor("-", "--pred", stdin=io.StringIO(stdin)), expected)


@pytest.mark.parametrize("stdin", [
    "", "\n", "1\nnan\n", "1,2\n3,x\n",
    "1,x\n",  # one line taken as a header: no rows of numbers
])
def test_tensor_from_stdin_rejections(stdin):
    with pytest.raises(InvalidData) as info:
        parse_tensor("-", "--pred", stdin=io.StringIO(stdin))
    assert "--pred" in info.value.message


def test_tensor_literal_passes_through():
    assert_same(parse_tensor(" 1,2; 3,4 ", "--pred"), [[1, 2], [3, 4]])


def test_tensor_from_files(tmp_path):
    np.save(tmp_path / "a.npy", np.array([[1.5, 2.0]]))
    np.savez(tmp_path / "b.npz", logits=np.array([3.0, 4.0]), other=np.zeros(1))
    np.save(tmp_path / "i.npy", np.array([1, 2], dtype=np.int64))
    (tmp_path / "c.json").write_text("[[1, 2], [3, 4]]")
    (tmp_path / "d.csv").write_text("pred,target\n1,5\n2,6\n")
    (tmp_path / "e.txt").write_text("1 2\n3 4\n")
    assert_same(parse_tensor(f"@{tmp_path}/a.npy", "--pred"), [[1.5, 2.0]])
    assert_same(parse_tensor(f"@{tmp_path}/b.npz:logits", "--pred"), [3, 4])
    assert_same(parse_tensor(f"@{tmp_path}/i.npy", "--pred"), [1, 2])  # ints become floats
    assert_same(parse_tensor(f"@{tmp_path}/c.json", "--pred"), [[1, 2], [3, 4]])
    assert_same(parse_tensor(f"@{tmp_path}/d.csv", "--pred"), [[1, 5], [2, 6]])
    assert_same(parse_tensor(f"@{tmp_path}/d.csv:target", "--pred"), [5, 6])
    assert_same(parse_tensor(f"@{tmp_path}/d.csv:0", "--pred"), [1, 2])
    assert_same(parse_tensor(f"@{tmp_path}/e.txt", "--pred"), [[1, 2], [3, 4]])


def test_tensor_file_errors(tmp_path):
    (tmp_path / "bad.npy").write_bytes(b"garbage")
    np.savez(tmp_path / "b.npz", logits=np.array([3.0]))
    for spec in (f"@{tmp_path}/missing.npy", f"@{tmp_path}", f"@{tmp_path}/bad.npy",
                 f"@{tmp_path}/b.npz:nope"):
        with pytest.raises(InputOutputError):
            parse_tensor(spec, "--pred")
    (tmp_path / "obj.json").write_text('{"a": [1, 2]}')
    with pytest.raises(InvalidData) as info:
        parse_tensor(f"@{tmp_path}/obj.json", "--pred")
    assert "--pred" in info.value.message


# ---------------------------------------------------------------------------------------------
# parse_table


@pytest.mark.parametrize("text, column, tab, expected", [
    ("1,2,3\n", None, False, [1, 2, 3]),  # one row: a vector
    ("1\n2\n3\n", None, False, [1, 2, 3]),  # one column: a vector
    ("5\n", None, False, np.float64(5)),  # one number: a scalar
    ("1,2\n3,4\n", None, False, [[1, 2], [3, 4]]),
    ("1 2\n3 4\n", None, False, [[1, 2], [3, 4]]),
    ("a,b\n1,2\n3,4\n", None, False, [[1, 2], [3, 4]]),  # header skipped
    ('"a","b"\n1,2\n3,4\n', "b", False, [2, 4]),  # quoted header
    ("a,b\n1,2\n3,4\n", "b", False, [2, 4]),
    ("a,b\n1,2\n3,4\n", "0", False, [1, 3]),
    ("1,2\n3,4\n", "1", False, [2, 4]),  # index without a header
    ("1\t2\n3\t4\n", None, True, [[1, 2], [3, 4]]),
    ("# comment\n1,2\n\n3,4\n", None, False, [[1, 2], [3, 4]]),
    ("x,y\n1,inf\n-inf,2\n", None, False, [[1, INF], [-INF, 2]]),
])
def test_table_shapes(text, column, tab, expected):
    assert_same(parse_table(text, "--pred", column, tab=tab), expected)


@pytest.mark.parametrize("text, column, words", [
    ("", None, []),
    ("# only a comment\n", None, []),
    ("1,2\n3,x\n", None, ['"x"', "line 2", "column 1"]),
    ("a,b\n1,2\n3,x\n", None, ['"x"', "line 3", 'column "b"']),  # lines count the header
    ("1,2\n3\n", None, []),  # ragged
    ("a,b\n1,2\n", "c", ["'c'"]),  # no such column
    ("a\n1\nnan\n", None, ["NaN"]),
    ("pred,target\n", None, ["no rows"]),
    ("pred,target\n", "pred", ["no rows"]),
])
def test_table_rejections(text, column, words):
    with pytest.raises(InvalidData) as info:
        parse_table(text, "--target", column)
    assert "--target" in info.value.message
    for word in words:
        assert word in info.value.message


def test_table_column_index_out_of_range_names_the_column():
    with pytest.raises(InvalidData, match=r"column\W+5"):
        parse_table("1,2\n3,4\n", "--pred", "5")


@pytest.mark.parametrize("depth", [100, 10_000])
def test_deeply_nested_json_is_invalid_data_not_a_crash(depth):
    with pytest.raises(InvalidData, match="--pred"):
        parse_literal("[" * depth + "1" + "]" * depth, "--pred")


@pytest.mark.parametrize("text", ["[1%s]" % ("0" * 5000), "[[1%s]]" % ("0" * 400)])
def test_an_integer_too_long_for_a_float_is_bad_data_in_brackets_too(cli, text):
    # Python refuses to read an integer of more than 4,300 digits (a ValueError); 10**400 and
    # 10**5000 are beyond the largest float (about 1.8e308) either way.
    code, out, err = cli("mse", "-p", text, "-t", "1")
    assert (code, out) == (3, "") and "--pred: a number too large for a float" in err
