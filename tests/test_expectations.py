"""No false pass: an expectation holds only when it is the value — through every door that
grades one (the command's --expect, a batch line's "expect", a check file's answers).

The values come from mse of one number against 0, ℓ = (x − 0)² = x·x (computed here in Python
floats: the same IEEE product), so that inf (x = 1e200: 1e400 overflows) and nan
(x = inf − inf) can be made on purpose. Whether an expectation holds is decided here by the
contract's rule, written out independently of the code under test.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])
TOL = 1e-6

# (pred, target) given to mse, and the value they make.
VALUES = {
    "finite": ("1.5", "0", 2.25),  # 1.5² = 2.25
    "zero": ("0", "0", 0.0),
    "inf": ("1e200", "0", math.inf),  # (1e200)² overflows
    "nan": ("inf", "inf", math.nan),  # inf − inf = nan
}
EXPECTATIONS = st.one_of(
    st.sampled_from(["inf", "-inf", "nan", "NaN", "-nan", "2.25", "0", "2.2500001", "2.26",
                     "1e300", "-1e300", "1.7976931348623157e308", "5e-324", "-0.0", "+inf"]),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)


def rule(value: float, expect: str, tol: float = TOL) -> bool:
    """The contract: nan only nan, an infinity only itself, a finite number within tol
    (absolute or relative to the expected number) of a finite value."""
    e = float(expect)
    if math.isnan(value) or math.isnan(e):
        return math.isnan(value) and math.isnan(e)
    if math.isinf(value) or math.isinf(e):
        return value == e
    d = abs(value - e)
    return d <= tol or d <= tol * abs(e)


def _batch_line(pred, target, expect, **extra) -> str:
    return json.dumps({"loss": "mse", "pred": float(pred), "target": float(target),
                       "expect": expect, **extra})


@EXAMPLES
@given(kind=st.sampled_from(sorted(VALUES)), expect=EXPECTATIONS)
def test_the_command_passes_only_a_matching_expectation(cli, kind, expect):
    pred, target, value = VALUES[kind]
    code, out, err = cli("mse", "-p", pred, "-t", target, "--expect", expect, "-q")
    assert code == (0 if rule(value, expect) else 1), (kind, expect, err)


@EXAMPLES
@given(kind=st.sampled_from(sorted(VALUES)), expect=EXPECTATIONS, as_text=st.booleans())
def test_batch_says_ok_only_for_a_matching_expectation(cli, kind, expect, as_text):
    pred, target, value = VALUES[kind]
    # "expect" as a string, or as a JSON number (non-finite ones as JSON's constants)
    given_ = expect if as_text else float(expect)
    code, out, err = cli("batch", stdin=_batch_line(pred, target, given_) + "\n")
    answer = json.loads(out)
    assert answer["ok"] is rule(value, expect), (kind, expect, answer)
    assert code == (0 if answer["ok"] else 1)


@EXAMPLES
@given(kind=st.sampled_from(sorted(VALUES)), expect=EXPECTATIONS)
def test_check_marks_right_only_a_matching_answer(cli, tmp_path_factory, kind, expect):
    pred, target, value = VALUES[kind]
    path = tmp_path_factory.mktemp("check") / "answers.csv"
    path.write_text(f"loss,pred,target,expect,tol\nmse,{pred},{target},{expect},{TOL}\n")
    code, out, err = cli("check", str(path), "--format", "json")
    graded = json.loads(out)["answers"][0]
    assert graded["ok"] is rule(value, expect), (kind, expect, graded)
    assert code == (0 if graded["ok"] else 1)
    if graded["ok"]:
        assert graded["difference"] == 0.0 or math.isfinite(value)


# --- shapes: never a comparison of nothing --------------------------------------------------


@pytest.mark.parametrize("args, expect", [
    (["-p", "1", "-t", "2"], "[]"),  # empty against one value
    (["-p", "1", "-t", "2"], "[[]]"),
    (["-p", "1", "-t", "2"], "1,1"),  # two numbers for one value
    (["-p", "1,2", "-t", "1,2", "-r", "none"], "0"),  # one number for two values
    (["-p", "1,2", "-t", "1,2", "-r", "none"], "[]"),
    (["-p", "1,2", "-t", "1,2", "-r", "none"], "0,0,0"),
    (["-p", "1,2; 3,4", "-t", "1,2; 3,4", "-r", "none"], "0,0,0,0"),  # (4,) for (2, 2)
])
def test_an_expectation_of_another_shape_is_a_usage_error(cli, args, expect):
    code, out, err = cli("mse", *args, "--expect", expect)
    assert code == 2 and out == "" and "has shape" in err, err


@pytest.mark.parametrize("args, expect", [
    (["-p", "1", "-t", "2"], "[[1]]"),  # ℓ = 1: axes of length 1 aside, the same shape
    (["-p", "[[1, 2]]", "-t", "[[1, 2]]", "-r", "none"], "0,0"),
    (["-p", "1,2; 3,4", "-t", "1,2; 3,5", "-r", "none"], "0,0; 0,1"),
])
def test_axes_of_length_one_do_not_count(cli, args, expect):
    code, out, err = cli("mse", *args, "--expect", expect)
    assert code == 0, err


def test_shape_errors_in_batch_and_check_are_per_line(cli, tmp_path):
    lines = [_batch_line(1, 2, []), _batch_line(1, 2, [1, 1]), _batch_line(1, 2, 1)]
    code, out, err = cli("batch", stdin="\n".join(lines) + "\n")
    first, second, third = (json.loads(line) for line in out.splitlines())
    assert first["exit_code"] == second["exit_code"] == 2 and "has shape" in first["error"]
    assert third["ok"] is True and code == 2  # (1 − 2)² = 1
    path = tmp_path / "a.csv"
    path.write_text('loss,pred,target,expect\nmse,1,2,"1,1"\nmse,1,2,1\n')
    code, out, err = cli("check", str(path), "--format", "json")
    first, second = json.loads(out)["answers"]
    assert first["exit_code"] == 2 and "has shape" in first["error"] and second["ok"] is True


def test_nan_inside_an_expected_list(cli):
    # ℓ = ((inf − inf)², (1 − 0)²) = (nan, 1)
    args = ["mse", "-p", "inf,1", "-t", "inf,0", "-r", "none", "--expect"]
    assert cli(*args, "nan,1")[0] == 0
    assert cli(*args, "[NaN, 1]")[0] == 0
    assert cli(*args, "1,1")[0] == 1
    assert cli(*args, "nan,nan")[0] == 1
    assert cli(*args, "nano,1")[0] == 2  # not a number: the reader's usage error


def test_a_huge_tolerance_does_not_reach_an_infinity(cli):
    # ℓ = (1 − 0)² = 1; relative tolerance × |inf| = inf must not make 1 match inf
    assert cli("mse", "-p", "1", "-t", "0", "--expect", "inf", "--tol", "1e300")[0] == 1
    assert cli("mse", "-p", "1", "-t", "0", "--expect", "1e300", "--tol", "1e300")[0] == 0
