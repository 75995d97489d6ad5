"""Fuzzing the command line: whatever the text given as tensors and options, the tool answers
with an exit code of docs/contract.md §9, at most two lines on stderr, no traceback, and
nothing on stdout when it fails; and no hang: each case is bounded in time. LOSSCALC_FUZZ=long
runs ≥ 100,000 cases (the count is printed at the end of the module)."""

from __future__ import annotations

import codecs
import os
import signal
import warnings
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from losscalc.losses import all_losses

LONG = os.environ.get("LOSSCALC_FUZZ") == "long"
# Per @given test; the long profile's three tests sum to ≥ 100,000 cases (issue 8).
FUZZ = settings(max_examples=34_000 if LONG else 700, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
CASE_SECONDS = 20  # a case running longer counts as a hang (generous: 2 cores are shared)
CASES = {"count": 0}

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


class Hang(BaseException):
    """Raised by the alarm: a BaseException, so that main()'s `except Exception` (which turns
    a bug into an "internal error" line) cannot swallow it."""


@contextmanager
def bounded(seconds: float = CASE_SECONDS):
    """Fail the case with Hang if it runs longer than ``seconds``."""
    def alarm(signum, frame):
        raise Hang(f"a case ran longer than {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module", autouse=True)
def _report_count(request):
    """Print how many cases ran (the long profile's count goes into the closing note)."""
    yield
    plugins = request.config.pluginmanager
    reporter = plugins.get_plugin("terminalreporter")
    capture = plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\nfuzz: {CASES['count']} cases checked "
                                f"({'long' if LONG else 'default'} profile)")


# Warnings the command line shows (Python hides these categories outside __main__).
HIDDEN_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)


def run(cli, *args, stdin=""):
    """One bounded case; standard input is empty unless given (as with `< /dev/null`: pytest's
    own stdin refuses to be read). A Python warning would be more lines on stderr: the
    in-process run records them, and the case fails if one was shown."""
    with bounded(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = cli(*args, stdin=stdin)
    shown = [w for w in caught if not issubclass(w.category, HIDDEN_WARNINGS)]
    assert not shown, f"{args}: a warning on stderr: {shown[0].category.__name__}: " \
                      f"{shown[0].message} ({shown[0].filename}:{shown[0].lineno})"
    return result


def check(result):
    CASES["count"] += 1
    code, out, err = result
    assert code in (0, 1, 2, 3, 4), (code, err)
    assert "Traceback" not in err, err
    assert "internal error" not in err, err  # a bug caught at the edge is still a bug
    lines = err.splitlines()
    if code in (2, 3, 4):
        assert out == "", out
        assert lines and lines[0].startswith("losscalc: error: "), err
        assert len(lines) <= 2 and (len(lines) == 1 or lines[1].startswith("hint: ")), err


@FUZZ
@given(loss=st.sampled_from(LOSSES), pred=TENSOR, target=TENSOR)
def test_any_tensor_text(cli, loss, pred, target):
    check(run(cli, loss, "-p", pred, "-t", target, "-q"))


@FUZZ
@given(loss=st.sampled_from(LOSSES), option=st.sampled_from(
    ["--reduction", "--dtype", "--format", "--digits", "--tol", "--expect", "--weight",
     "--ignore-index", "--label-smoothing", "--beta", "--delta", "--pos-weight", "--pred-col",
     "--delimiter"]), value=OPTION_VALUE)
def test_any_option_value(cli, loss, option, value):
    check(run(cli, loss, "-p", "0.2,0.7", "-t", "1,0", option, value, "-q"))


@FUZZ
@given(text=st.text(max_size=200), loss=st.sampled_from(["mse", "ce", "bce"]))
def test_any_csv_on_stdin(cli, text, loss):
    check(run(cli, loss, "--csv", "-", "-q", stdin=text))


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02", b"\x93NUMPY\x01\x00garbage",
                                     "é,1\n".encode("latin-1"), b"pred,target\n1,1\n" * 3])
@pytest.mark.parametrize("suffix", [".npy", ".npz", ".json", ".csv", ".txt"])
def test_odd_files(cli, tmp_path, content, suffix):
    path = tmp_path / f"f{suffix}"
    path.write_bytes(content)
    check(run(cli, "mse", "-p", f"@{path}", "-t", "1", "-q"))
    check(run(cli, "mse", "--csv", str(path), "-q"))


# --- batch and check: every line its own answer ---------------------------------------------

BAD_LINES = st.one_of(
    st.sampled_from([
        b"\xff\xfe", b'{"loss": "mse", "pred": [1\xe4], "target": [1]}', b"\xc3",
        b'{"loss": "mse", "pred": [1' + b"0" * 400 + b'], "target": [1]}',
        b'{"loss": "mse", "pred": [1], "target": [1], "tol": 1' + b"0" * 400 + b"}",
        b'{"loss": "mse", "pred": [1], "target": [1], "id": 1' + b"0" * 5000 + b"}",
        b'{"loss": "mse", "pred": [1], "target": [1], "params": {"x": 1' + b"0" * 400 + b"}}",
        b"[" * 100_000, b'{"a": ' * 50_000, b'[{"loss": "mse", "pred": [1], "target": [1]}]',
        b"[", b"]", b"null", b"0", b'"mse"', b"{}", b"\x00", b"\x1b[2J", b"NaN",
        b'{"loss": "mse", "pred": [NaN], "target": [1]}',
        b'{"loss": "huber", "pred": [1], "target": [1], "params": {"delta": Infinity}}',
        b'{"loss": "mse", "pred": [1], "target": [1], "expect": [[[]]]}',
        b'{"loss": "mse", "pred": [1], "target": [1], "expect": {"a": NaN}}',
    ]),
    st.binary(min_size=1, max_size=60).filter(lambda b: b"\n" not in b),
    st.text(max_size=60).map(lambda t: t.replace("\n", " ").encode("utf-8")),
)


def _good_line(i: int) -> bytes:
    # (i − 0)² = i²: each good line's answer is known, and its id says which line it was
    return json_bytes({"loss": "mse", "pred": [float(i)], "target": [0.0], "id": f"g{i}",
                       "expect": float(i * i)})


def json_bytes(obj) -> bytes:
    import json

    return json.dumps(obj).encode()


_MARKS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
          (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


def _answered_lines(data: bytes) -> list[int] | None:
    """The numbers of the lines of a file that begins with a UTF-16/32 byte order mark, which
    is read in that encoding (Python's codecs the reference; a code unit that does not decode
    is still part of its line); None for any other file, read as UTF-8 line by line."""
    for mark, encoding in _MARKS:
        if data.startswith(mark):
            text = data[len(mark):].decode(encoding, "replace")
            return [n for n, line in enumerate(text.split("\n"), 1) if line.strip()]
    return None


def _blank(raw: bytes, number: int) -> bool:
    """Blank lines are skipped (a line that is not UTF-8 is never blank; a byte-order mark
    opening the first line is not part of it)."""
    if number == 1:
        raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        return not raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        return False


@FUZZ
@given(lines=st.lists(st.one_of(st.integers(0, 50).map(_good_line), BAD_LINES), min_size=1,
                      max_size=8))
def test_every_batch_line_gets_exactly_one_answer(cli, tmp_path_factory, lines):
    import json

    from conftest import assert_strict_json

    path = tmp_path_factory.mktemp("batch") / "problems.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    code, out, err = run(cli, "batch", str(path))
    CASES["count"] += 1
    assert "Traceback" not in err and "internal error" not in out + err, (out, err)
    assert_strict_json(out)
    answers = [json.loads(line) for line in out.splitlines()]
    wide = _answered_lines(path.read_bytes())
    if wide is not None:  # a UTF-16/32 file: each of its lines answered once, in order
        assert len(answers) == len(wide), (lines, out)
        errors = [(n, a) for n, a in zip(wide, answers) if "error" in a]
        assert all(a["line"] == n and a["exit_code"] in (2, 3) for n, a in errors), out
        codes = [a["exit_code"] for _, a in errors] + [int(a.get("ok") is False)
                                                       for a in answers if "error" not in a]
        assert code == max(codes, default=0), (lines, out)
        return
    expected = [n for n, raw in enumerate(lines, 1) if not _blank(raw, n)]
    assert len(answers) == len(expected), (lines, out)
    worst = 0
    for number, raw, answer in zip(expected, [lines[n - 1] for n in expected], answers):
        if "error" in answer:
            assert answer["line"] == number and answer["exit_code"] in (2, 3)
            worst = max(worst, answer["exit_code"])
        else:
            worst = max(worst, 0 if answer.get("ok", True) else 1)
        if raw.startswith(b'{"loss": "mse", "pred": [') and b'"id": "g' in raw:
            i = int(json.loads(raw)["id"][1:])
            assert answer["id"] == f"g{i}" and answer["value"] == float(i * i)
            assert answer["ok"] is True
    assert code == worst and len(err.splitlines()) <= 2


@FUZZ
@given(lines=st.lists(st.one_of(st.integers(0, 50).map(_good_line), BAD_LINES), min_size=1,
                      max_size=6))
def test_every_check_line_gets_exactly_one_grade(cli, tmp_path_factory, lines):
    import json

    # A file that begins with a UTF-16 or UTF-32 byte order mark is read in that encoding
    # (docs/contract.md): its lines are not these lines.
    assume(not lines[0].startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff")))
    path = tmp_path_factory.mktemp("check") / "answers.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    code, out, err = run(cli, "check", str(path), "--format", "json")
    CASES["count"] += 1
    assert "Traceback" not in err and "internal error" not in out + err, (out, err)
    document = json.loads(out)  # strict: the cli fixture checks it
    expected = [n for n, raw in enumerate(lines, 1) if not _blank(raw, n)]
    assert [a["line"] for a in document["answers"]] == expected
    assert code == max([a.get("exit_code", 0 if a.get("ok") else 1)
                        for a in document["answers"]] or [0])


CSV_CELLS = st.one_of(st.sampled_from(["1", "inf", "nan", "1" + "0" * 400, "[1" + "0" * 400 + "]",
                                       "\x1b[2J", "a\rb", "x\ny", '"', "", "[[[", "1,2", "mse"]),
                      st.text(max_size=12))


@FUZZ
@given(rows=st.lists(st.tuples(CSV_CELLS, CSV_CELLS, CSV_CELLS, CSV_CELLS), min_size=1,
                     max_size=5),
       fmt=st.sampled_from(["table", "plain", "csv", "json"]))
def test_any_check_csv(cli, tmp_path_factory, rows, fmt):
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "pred", "target", "expect", "loss"])
    for row in rows:
        writer.writerow([*row, "mse"])
    path = tmp_path_factory.mktemp("check") / "answers.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8", errors="surrogatepass", newline="")
    code, out, err = run(cli, "check", str(path), "--format", fmt, "--no-color")
    CASES["count"] += 1
    # check prints its grades (errors among them) and then a one-line summary
    assert code in (0, 1, 2, 3, 4) and "Traceback" not in err, err
    assert "internal error" not in out + err, out + err
    lines = err.splitlines()
    assert len(lines) <= 2 and all(line.startswith(("losscalc: ", "hint: ")) for line in lines)
    visible = out.replace("\n", "").replace("\t", "") + err.replace("\n", "")
    assert not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f for c in visible), repr(visible)


# Issue 14 items 4 and 5 as fuzz classes: inputs of any size against the limits (lowered so
# that each case is small), and a standard output that fails after any number of bytes.

ANY_BYTES = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda unit, n, tail: unit * n + tail, st.sampled_from(
        [b"0", b"1,", b"0.5,1\n", b"\x00", b"{", b"\xff", b" "]),
        st.integers(0, 200), st.sampled_from([b"", b"\n", b"1\n"])),
)


@FUZZ
@given(data=ANY_BYTES, door=st.sampled_from(["tensor", "table", "batch", "check"]),
       text_limit=st.integers(1, 200), line_limit=st.integers(1, 100))
def test_any_size_against_the_limits(cli, tmp_path, monkeypatch, data, door, text_limit,
                                     line_limit):
    import losscalc.csvsource
    import losscalc.inputs
    import losscalc.limits

    for module in (losscalc.inputs, losscalc.limits):
        monkeypatch.setattr(module, "MAX_TEXT_BYTES", text_limit)
    for module in (losscalc.csvsource, losscalc.limits):
        monkeypatch.setattr(module, "MAX_LINE_BYTES", line_limit)
    path = tmp_path / "input.csv"
    path.write_bytes(data)
    args = {"tensor": ("mse", "-p", f"@{path}", "-t", "1", "-q"),
            "table": ("mse", "--csv", str(path), "-q"), "batch": ("batch", str(path)),
            "check": ("check", str(path))}[door]
    result = run(cli, *args)
    # batch and check answer the lines they could read before the one that failed
    check(result if door in ("tensor", "table") else (result[0], "", result[2]))
    if door in ("tensor", "check") and len(data) > 4 * text_limit:  # ≥ limit characters
        assert result[0] in (3, 4), result


class _FailingOutput:
    """A standard output that takes ``room`` characters, then fails as a full disk does."""

    encoding, errors = "utf-8", "strict"

    def __init__(self, room: int) -> None:
        self.room = room

    def write(self, text: str) -> int:
        if len(text) > self.room:
            raise OSError(28, "No space left on device")
        self.room -= len(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(9, "no descriptor")


@FUZZ
@given(room=st.integers(0, 3000), args=st.sampled_from([
    ("mse", "-p", "1,2,3", "-t", "1,2,5"), ("mse", "-p", "1,2,3", "-t", "1,2,5", "--json"),
    ("mse", "-p", "1,2,3", "-t", "1,2,5", "--explain", "--format", "markdown"),
    ("ce", "-p", "0.5,0.3,0.2", "-t", "1", "--all"), ("act", "gelu", "--range", "-3:3"),
    ("info", "entropy", "--p", "0.5,0.5"), ("backprop",), ("list",),
    ("compare", "mse,l1,huber", "-p", "1,2", "-t", "1,3"), ("mse", "--help"),
]))
def test_an_output_that_fills_up_at_any_point(cli, monkeypatch, room, args):
    """Wherever the output stops fitting, the answer is exit 4 and one line (the guard of the
    console entry point turns the write's OSError into it)."""
    import sys

    from losscalc.entry import Guarded

    monkeypatch.setattr(sys, "stdout", Guarded(_FailingOutput(room), True))
    code, out, err = run(cli, *args)
    check((code, "", err))
    assert code in (0, 4), err
    if code == 4:
        assert err == "losscalc: error: cannot write to standard output: no space left on " \
                      "device\n", err
