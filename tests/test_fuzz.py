"""Fuzzing the command line: whatever the text given as tensors and options, the tool answers
with an exit code of SPEC §4, at most two lines on stderr, no traceback, and nothing on stdout
when it fails. LOSSCALC_FUZZ=long runs many more cases."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from losscalc.registry import all_losses

LONG = os.environ.get("LOSSCALC_FUZZ") == "long"
FUZZ = settings(max_examples=5000 if LONG else 150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**30, 10**30).map(str),
    st.sampled_from(["1..2", "1e", "--3", "0x1p3", "１", "−1", "1e309", "4.9e-324", "nan",
                     "-inf", "", " ", "[", "]", "[[1],[2,3]]", "{}", "null", "true", "@",
                     "@/", "@/dev/null", "-", "1,,2", ";", "1;2,3", '"1"']),
)
TENSOR = st.one_of(
    st.lists(NUMBER_TEXT, min_size=0, max_size=6).map(",".join),
    st.lists(st.lists(NUMBER_TEXT, min_size=1, max_size=3).map(",".join), min_size=1,
             max_size=3).map("; ".join),
    st.text(max_size=30),
)
OPTION_VALUE = st.one_of(NUMBER_TEXT, st.text(max_size=10))
LOSSES = sorted(all_losses())


def check(result):
    code, out, err = result
    assert code in (0, 1, 2, 3, 4), (code, err)
    assert "Traceback" not in err, err
    lines = err.splitlines()
    if code in (2, 3, 4):
        assert out == "", out
        assert lines and lines[0].startswith("losscalc: error: "), err
        assert len(lines) <= 2 and (len(lines) == 1 or lines[1].startswith("hint: ")), err


@FUZZ
@given(loss=st.sampled_from(LOSSES), pred=TENSOR, target=TENSOR)
def test_any_tensor_text(cli, loss, pred, target):
    check(cli(loss, "-p", pred, "-t", target, "-q"))


@FUZZ
@given(loss=st.sampled_from(LOSSES), option=st.sampled_from(
    ["--reduction", "--dtype", "--format", "--digits", "--tol", "--expect", "--weight",
     "--ignore-index", "--label-smoothing", "--beta", "--delta", "--pos-weight", "--pred-col",
     "--delimiter"]), value=OPTION_VALUE)
def test_any_option_value(cli, loss, option, value):
    check(cli(loss, "-p", "0.2,0.7", "-t", "1,0", option, value, "-q"))


@FUZZ
@given(text=st.text(max_size=200), loss=st.sampled_from(["mse", "ce", "bce"]))
def test_any_csv_on_stdin(cli, text, loss):
    check(cli(loss, "--csv", "-", "-q", stdin=text))


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02", b"\x93NUMPY\x01\x00garbage",
                                     "é,1\n".encode("latin-1"), b"pred,target\n1,1\n" * 3])
@pytest.mark.parametrize("suffix", [".npy", ".npz", ".json", ".csv", ".txt"])
def test_odd_files(cli, tmp_path, content, suffix):
    path = tmp_path / f"f{suffix}"
    path.write_bytes(content)
    check(cli("mse", "-p", f"@{path}", "-t", "1", "-q"))
    check(cli("mse", "--csv", str(path), "-q"))
