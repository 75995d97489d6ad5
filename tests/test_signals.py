"""Ctrl-C and closed pipes (issue 8 item 5), on real processes.

Ctrl-C while losscalc reads — blocked on a pipe, or streaming a large CSV file on its worker
processes — exits 130 with one line, `losscalc: error: interrupted`: no traceback, from the
parent or from a worker (a terminal sends SIGINT to the whole process group, so the test does
too). A reader that goes away (`| head -1`) leaves nothing on stderr.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX signals")

ROOT = Path(__file__).resolve().parents[1]
LOSSCALC = [sys.executable, "-m", "losscalc"]
INTERRUPTED = "losscalc: error: interrupted\n"


def _start(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE) -> subprocess.Popen:
    # NumPy's parser: with pyarrow's, a large CSV is parsed on threads, with no worker
    # processes to interrupt.
    env = {**os.environ, "LOSSCALC_CSV_PARSER": "numpy"}
    return subprocess.Popen([*LOSSCALC, *args], stdin=stdin, stdout=stdout, env=env,
                            stderr=subprocess.PIPE, cwd=ROOT, start_new_session=True)


def _wait_for(condition, what: str, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, f"gave up waiting: {what}"
        time.sleep(0.02)


def _wait_until_blocked_reading(pid: int) -> None:
    """Until the process sleeps in a pipe read (/proc/PID/wchan; "0" while it runs). Where
    the kernel does not say (no /proc, or always "0"), five seconds are taken as enough."""
    seen, end = set(), time.monotonic() + 30
    while time.monotonic() < end:
        try:
            wchan = Path(f"/proc/{pid}/wchan").read_text()
        except OSError:
            wchan = ""
        if "pipe_read" in wchan:
            return
        seen.add(wchan)
        if seen <= {"", "0"} and time.monotonic() > end - 25:
            return
        time.sleep(0.02)
    pytest.fail(f"losscalc never blocked reading its pipe (wchan: {seen})")


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _interrupt(proc: subprocess.Popen) -> tuple[int, str, str]:
    """Ctrl-C as a terminal sends it: SIGINT to the process group."""
    os.killpg(proc.pid, signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        pytest.fail("losscalc did not stop within 60 s of Ctrl-C")
    return proc.returncode, (out or b"").decode(), err.decode()


@pytest.mark.parametrize(("args", "data"), [
    (["mse", "--csv", "-"], b"pred,target\n1,2\n"),
    (["mse", "-p", "-", "-t", "1"], b"1,2"),
    (["batch"], b'{"loss": "mse", '),
])
def test_ctrl_c_while_blocked_reading_stdin(args, data):
    proc = _start(args)
    proc.stdin.write(data)
    proc.stdin.flush()  # and left open: losscalc waits for the rest
    _wait_until_blocked_reading(proc.pid)
    code, out, err = _interrupt(proc)
    assert (code, out, err) == (130, "", INTERRUPTED)


ROWS = b"0.25,1\n" * 1_000_000  # 7 MB


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    """84 MB: above csvsource.PARALLEL_BYTES, so two worker processes parse it."""
    path = tmp_path_factory.mktemp("big") / "big.csv"
    path.write_bytes(b"pred,target\n" + ROWS * 12)
    return path


def _per_row_output(out: str) -> bool:
    return out in ("", "index,loss,grad\n") or out.startswith("index,loss,grad\n0,")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_ctrl_c_during_a_long_pipe_read_with_workers(tmp_path, flags=()):
    """A pipe that keeps coming: the workers parse what arrived, the parent waits for more.
    (stdout goes to a file: rows written to an unread pipe would block losscalc.)"""
    output = (tmp_path / "out").open("wb")
    proc = _start(["mse", "--csv", "-", "-q", *flags], stdout=output)

    def feed():
        try:
            proc.stdin.write(b"pred,target\n" + ROWS * 6)  # past PARALLEL_BYTES: workers
            proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            pass

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    _wait_for(lambda: len(_children(proc.pid)) >= 2, "the worker processes")
    writer.join(timeout=60)
    _wait_until_blocked_reading(proc.pid)  # for more of the pipe
    code, _, err = _interrupt(proc)
    output.close()
    assert code == 130 and err == INTERRUPTED, err
    assert _per_row_output((tmp_path / "out").read_text()[:200])


@pytest.mark.parametrize("flags", [(), ("--reduction", "none", "--format", "csv")])
def test_ctrl_c_during_a_long_csv_file_read_on_worker_processes(big_csv, flags):
    proc = _start(["mse", "--csv", str(big_csv), "-q", *flags], stdin=subprocess.DEVNULL)
    if Path("/proc/self/stat").exists():
        _wait_for(lambda: len(_children(proc.pid)) >= 2 or proc.poll() is not None,
                  "the worker processes")
    else:
        time.sleep(1)
    if proc.poll() is not None:
        pytest.skip("this machine read 84 MB before Ctrl-C could be sent")
    code, out, err = _interrupt(proc)
    assert code == 130 and err == INTERRUPTED, err
    assert _per_row_output(out), out[:200]


@pytest.mark.parametrize("command", [
    "{losscalc} mse -p @{npy} -t @{npy} --reduction none",
    "{losscalc} mse --csv {csv} --reduction none --format csv",
])
def test_head_1_leaves_no_broken_pipe_error(tmp_path, big_csv, command):
    npy = tmp_path / "big.npy"
    np.save(npy, np.arange(300_000.0))
    losscalc = " ".join(LOSSCALC)
    line = command.format(losscalc=losscalc, npy=npy, csv=big_csv)
    run = subprocess.run(["bash", "-c", f"{line} 2>{tmp_path / 'err'} | head -1"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert len(run.stdout.splitlines()) == 1, run.stdout[:200]
    assert (tmp_path / "err").read_text() == ""
