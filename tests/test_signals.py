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
import time
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX signals")

ROOT = Path(__file__).resolve().parents[1]
LOSSCALC = [sys.executable, "-m", "losscalc"]
INTERRUPTED = "losscalc: error: interrupted\n"


def _start(args, stdin=subprocess.PIPE) -> subprocess.Popen:
    return subprocess.Popen([*LOSSCALC, *args], stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT, start_new_session=True)


def _wait_for(condition, what: str, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < end, f"gave up waiting: {what}"
        time.sleep(0.02)


def _blocked_reading(pid: int) -> bool:
    try:
        return "pipe_read" in Path(f"/proc/{pid}/wchan").read_text()
    except OSError:  # no /proc (macOS): give it time to start and block
        time.sleep(2)
        return True


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
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.parametrize(("args", "data"), [
    (["mse", "--csv", "-"], b"pred,target\n1,2\n"),
    (["mse", "-p", "-", "-t", "1"], b"1,2"),
    (["batch"], b'{"loss": "mse", '),
])
def test_ctrl_c_while_blocked_reading_stdin(args, data):
    proc = _start(args)
    proc.stdin.write(data)
    proc.stdin.flush()  # and left open: losscalc waits for the rest
    _wait_for(lambda: _blocked_reading(proc.pid), "losscalc blocked reading stdin")
    code, out, err = _interrupt(proc)
    assert (code, out, err) == (130, "", INTERRUPTED)


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    """45 MB: above csvsource.PARALLEL_BYTES, so two worker processes parse it."""
    path = tmp_path_factory.mktemp("big") / "big.csv"
    path.write_bytes(b"pred,target\n" + b"0.25,1\n" * 6_500_000)
    return path


@pytest.mark.parametrize("flags", [(), ("--reduction", "none", "--format", "csv")])
def test_ctrl_c_during_a_long_csv_read_on_worker_processes(big_csv, flags):
    proc = _start(["mse", "--csv", str(big_csv), "-q", *flags], stdin=subprocess.DEVNULL)
    if Path("/proc").is_dir():
        _wait_for(lambda: len(_children(proc.pid)) >= 2 or proc.poll() is not None,
                  "the worker processes")
    else:
        time.sleep(1)
    assert proc.poll() is None, "the read was over before Ctrl-C: make the file larger"
    time.sleep(0.2)  # mid-way: the workers are parsing
    code, out, err = _interrupt(proc)
    assert code == 130 and err == INTERRUPTED, err
    assert out in ("", "index,loss,grad\n") or out.startswith("index,loss,grad\n0,")


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
