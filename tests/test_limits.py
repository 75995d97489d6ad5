"""Bounded memory and time on every input path (issue 14 item 4, docs/contract.md "Limits").

Each case runs losscalc in a subprocess under a 1 GiB address-space limit (RLIMIT_AS) and a
timeout: an endless or enormous input is refused with one line naming the limit (and a hint),
quickly — never a MemoryError, an out-of-memory kill or minutes of silent work.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from losscalc import limits

resource = pytest.importorskip("resource")

ROOT = Path(__file__).resolve().parents[1]
LOSSCALC = [sys.executable, "-m", "losscalc"]
ADDRESS_SPACE = 1 << 30
SECONDS = 60  # generous for a loaded machine; each case takes a few seconds at most

needs_dev = pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")


def _limited():
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def _run(args, stdin=subprocess.DEVNULL) -> tuple[int, str, str, float]:
    start = time.monotonic()
    if isinstance(stdin, str):
        with open(stdin, "rb") as handle:
            proc = subprocess.run([*LOSSCALC, *args], stdin=handle, capture_output=True,
                                  cwd=ROOT, preexec_fn=_limited, timeout=SECONDS)
    else:
        proc = subprocess.run([*LOSSCALC, *args], stdin=stdin, capture_output=True, cwd=ROOT,
                              preexec_fn=_limited, timeout=SECONDS)
    return (proc.returncode, proc.stdout.decode(), proc.stderr.decode(),
            time.monotonic() - start)


def _refused(result, code: int, *words: str, output: bool = False) -> str:
    """Exit ``code``, nothing on stdout (unless ``output``: the lines answered before), one
    error line containing ``words`` (and perhaps one hint line)."""
    got, out, err, _ = result
    assert got == code, err
    assert (output or out == "") and "Traceback" not in err, err
    assert "internal error" not in err and "too large to hold in memory" not in err, err
    lines = err.splitlines()
    assert lines[0].startswith("losscalc: error: ") and len(lines) <= 2, err
    assert len(lines) == 1 or lines[1].startswith("hint: "), err
    for word in words:
        assert word in lines[0], err
    return lines[0]


TEXT = "64 MiB"  # limits.MAX_TEXT_BYTES, as the message names it
LINE = "16 MiB"  # limits.MAX_LINE_BYTES


def test_the_limits_are_the_documented_ones():
    """docs/contract.md names these numbers: a change to one is a change to the contract."""
    contract = (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
    assert limits.size(limits.MAX_TEXT_BYTES) == TEXT and TEXT in contract
    assert limits.size(limits.MAX_LINE_BYTES) == LINE and LINE in contract
    assert f"{limits.MAX_VALUES:,}" in contract
    for number in (limits.MAX_POINTS, limits.MAX_STEPS, limits.GRAD_CHECK_BUDGET,
                   limits.GRAD_CHECK_MAX_ELEMENTS):
        assert f"{number:,}" in contract, number


@needs_dev
@pytest.mark.parametrize(("args", "stdin", "words"), [
    (["mse", "-p", "@/dev/zero", "-t", "1"], None, ("'/dev/zero'", TEXT)),
    (["mse", "-p", "-", "-t", "1"], "/dev/zero", ("stdin", TEXT)),
    (["mse", "-p", "1", "-t", "@/dev/zero"], None, ("'/dev/zero'", TEXT)),
    (["act", "relu", "-x", "@/dev/zero"], None, ("'/dev/zero'", TEXT)),
    (["info", "entropy", "--p", "@/dev/zero"], None, ("'/dev/zero'", TEXT)),
    (["compare", "mse,l1", "-p", "@/dev/zero", "-t", "1"], None, ("'/dev/zero'", TEXT)),
    (["check", "/dev/zero"], None, ("'/dev/zero'", TEXT)),
    (["check", "-"], "/dev/zero", ("stdin", TEXT)),
    (["mse", "--csv", "/dev/zero"], None, ("/dev/zero line 1", LINE)),
    (["mse", "--csv", "-"], "/dev/zero", ("stdin line 1", LINE)),
    (["batch", "/dev/zero"], None, ("/dev/zero line 1", LINE)),
    (["batch"], "/dev/zero", ("standard input line 1", LINE)),
])
def test_endless_inputs_are_refused_at_their_limit(args, stdin, words):
    _refused(_run(args, stdin or subprocess.DEVNULL), 3, *words)


@needs_dev
def test_random_bytes_are_refused_at_once_not_after_reading_them_whole():
    """/dev/urandom is not UTF-8: the first chunk says so (it used to be read to the memory's
    end first)."""
    result = _run(["mse", "-p", "@/dev/urandom", "-t", "1"])
    _refused(result, 4, "not a text file (not UTF-8)")


@pytest.fixture(scope="module")
def long_line(tmp_path_factory) -> Path:
    """A table whose first line is 20 MB (past the 16 MiB line limit), then ordinary rows."""
    path = tmp_path_factory.mktemp("limits") / "long-line.csv"
    with path.open("wb") as handle:
        handle.write(b"0.5," * 5_000_000 + b"1\n")
        handle.write(b"0.5,1\n" * 10)
    return path


def test_a_first_line_past_the_line_limit(long_line):
    _refused(_run(["mse", "--csv", str(long_line)]), 3, "line 1", LINE)
    # Read as a table only because no tensor option was given: not a table, a usage error.
    _refused(_run(["mse"], str(long_line)), 2, "needs --pred and --target")


def test_a_line_past_the_line_limit_after_the_first(tmp_path):
    """A pipe whose second line never ends within the limit."""
    path = tmp_path / "then-long.csv"
    path.write_bytes(b"pred,target\n0.5,1\n" + b"7" * (limits.MAX_LINE_BYTES + 4096))
    _refused(_run(["mse", "--csv", "-"], str(path)), 3, "stdin line 3", LINE)


def test_a_batch_line_past_the_line_limit(tmp_path):
    path = tmp_path / "problems.jsonl"
    path.write_bytes(b'{"loss": "mse", "pred": [1], "target": [2]}\n'
                     + b'{"loss": "mse", "pred": [' + b"1," * (9 << 20) + b"1]}\n")
    _refused(_run(["batch", str(path)]), 3, "line 2", LINE, output=True)


def _deflated_npz(path: Path, values: int) -> None:
    """An .npz whose one member, float64 zeros, inflates to 8 · values bytes (zeros deflate
    about a thousandfold: 400 MB become about 400 kB)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        with z.open("a.npy", "w", force_zip64=True) as member:
            np.lib.format.write_array_header_1_0(
                member, {"descr": "<f8", "fortran_order": False, "shape": (values,)})
            block = bytes(8 << 20)
            for _ in range(values * 8 // len(block)):
                member.write(block)
            member.write(bytes(values * 8 % len(block)))


def test_an_npz_member_that_inflates_to_400_mb_is_refused_before_inflating(tmp_path):
    path = tmp_path / "bomb.npz"
    _deflated_npz(path, 50_000_000)
    assert path.stat().st_size < 2_000_000
    code, out, err, seconds = _run(["mse", "-p", f"@{path}", "-t", "0"])
    line = _refused((code, out, err, seconds), 3, "50,000,000 numbers",
                    f"{limits.MAX_VALUES:,}")
    assert line.startswith("losscalc: error: --pred: ")
    assert seconds < 20  # inflating 400 MB alone would take longer on a loaded machine


def test_an_npz_member_within_the_limits_is_read(tmp_path):
    path = tmp_path / "fine.npz"
    _deflated_npz(path, 1 << 20)
    code, out, err, _ = _run(["mse", "-p", f"@{path}", "-t", "0", "-q"])
    assert (code, out) == (0, "0.0\n"), err


@pytest.mark.parametrize("option", ["--points", "--num"])
@pytest.mark.parametrize("count", ["30000000", "100001", "1000000000000000000000"])
def test_act_points_beyond_the_limit(option, count):
    code, out, err, seconds = _run(["act", "sigmoid", "--range", "-1:1", option, count])
    if count.startswith("1000000000000"):  # not an integer of the option's type: usage
        assert code == 2 and "Traceback" not in err, err
        return
    _refused((code, out, err, seconds), 2, "--points", f"{limits.MAX_POINTS:,}")


def test_act_points_at_the_limit_is_computed():
    code, out, err, _ = _run(["act", "relu", "--range", "-1:1", "--points",
                              str(limits.MAX_POINTS), "--format", "json"])
    assert code == 0, err
    assert out.count(",") > limits.MAX_POINTS


@pytest.mark.parametrize("steps", ["1e20", "100000000000", "10001"])
def test_backprop_steps_beyond_the_limit(steps):
    code, out, err, seconds = _run(["backprop", "--steps", steps])
    assert seconds < 30
    if steps == "1e20":  # not an integer: the option parser's usage error
        assert code == 2 and len(err.splitlines()) <= 2 and "Traceback" not in err, err
        return
    _refused((code, out, err, seconds), 2, "--steps", f"{limits.MAX_STEPS:,}")


def test_check_grad_on_100000_elements_checks_a_documented_sample(tmp_path):
    """2 · 100,000 evaluations of a 100,000-element loss would be minutes: a fixed sample
    is checked instead, within the budget, and the note says so."""
    np.save(tmp_path / "pred.npy", np.linspace(-1, 1, 100_000))
    np.save(tmp_path / "target.npy", np.zeros(100_000))
    args = ["mse", "-p", f"@{tmp_path / 'pred.npy'}", "-t", f"@{tmp_path / 'target.npy'}",
            "--check-grad"]
    code, out, err, seconds = _run(args)
    assert code == 0, err
    sample = limits.GRAD_CHECK_BUDGET // (2 * 100_000)  # 100 elements
    assert f"gradient check passed: {sample} elements" in err
    assert "a fixed random sample of the 100,000 elements" in err
    assert seconds < 30
    assert _run(args)[2] == err  # the same sample, the same note, every run


def test_check_grad_on_a_small_input_checks_every_element():
    code, _, err, _ = _run(["mse", "-p", "1,2,3", "-t", "1,2,5", "--check-grad"])
    assert code == 0 and "gradient check passed: 3 elements" in err and "sample" not in err


def test_the_free_memory_check_heeds_ulimit_v(tmp_path):
    """Under a 1 GiB address space, an array of 100 million values (800 MB, a file mapped,
    not read) is refused by the memory check, not by a MemoryError."""
    path = tmp_path / "wide.npy"
    with path.open("wb") as handle:
        np.lib.format.write_array_header_1_0(
            handle, {"descr": "<f8", "fortran_order": False, "shape": (30_000_000,)})
        handle.truncate(handle.tell() + 30_000_000 * 8)  # sparse: no disk used
    _refused(_run(["mse", "-p", f"@{path}", "-t", "0"]), 3, "more than the free memory")


def test_the_address_space_left_is_measured():
    from losscalc import inputs

    assert inputs._address_space_left() is None or inputs._address_space_left() >= 0
    if os.path.exists("/proc/self/statm"):
        code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (1 << 32, 1 << 32));"
                "from losscalc import inputs; print(inputs._address_space_left())")
        left = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  cwd=ROOT, timeout=60).stdout)
        assert 0 < left < 1 << 32
