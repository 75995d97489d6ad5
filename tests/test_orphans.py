"""No process left behind (issue 14 item 3): whatever signal ends losscalc while its CSV
worker processes parse — SIGTERM, SIGHUP, SIGINT, even SIGKILL — the workers end with it, so
nothing of its session remains and the caller's pipes reach end-of-file (a worker left
alive held them open: the caller hung)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")

ROOT = Path(__file__).resolve().parents[1]
LOSSCALC = [sys.executable, "-m", "losscalc"]


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _session(sid: int) -> list[int]:
    """The live processes of session ``sid`` (zombies are dead: their parent reaps them)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields and int(fields[3]) == sid and fields[0] != "Z":
                out.append(int(entry.name))
    return out


def _children(pid: int) -> list[int]:
    return [int(e.name) for e in Path("/proc").iterdir()
            if e.name.isdigit() and (_stat(int(e.name)) or [0, 0])[1] == str(pid)]


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory) -> Path:
    """84 MB: above csvsource.PARALLEL_BYTES, so worker processes parse it."""
    path = tmp_path_factory.mktemp("orphans") / "big.csv"
    path.write_bytes(b"pred,target\n" + b"0.25,1\n" * 12_000_000)
    return path


def _has_open(pid: int, path: Path) -> bool:
    try:
        return any(os.readlink(fd) == str(path) for fd in Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False


def _wait(condition, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def _eof(stream, seconds: float) -> bool:
    """Does ``stream`` (a pipe from the process) reach end-of-file within ``seconds``?"""
    end = time.monotonic() + seconds
    fd = stream.fileno()
    while time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready and not os.read(fd, 65536):
            return True
    return False


def _start_parsing(args) -> subprocess.Popen:
    # NumPy's parser: with pyarrow the file is parsed on threads, with no worker process
    env = {**os.environ, "LOSSCALC_CSV_PARSER": "numpy"}
    proc = subprocess.Popen([*LOSSCALC, *args], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                            start_new_session=True, env=env)
    if not _wait(lambda: len(_children(proc.pid)) >= 2 or proc.poll() is not None, 60):
        pytest.fail("no worker processes started")
    if proc.poll() is not None:
        pytest.skip("this machine parsed 84 MB before the signal could be sent")
    time.sleep(0.2)  # the workers are parsing their chunks
    return proc


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT,
                                    signal.SIGKILL])
@pytest.mark.parametrize("flags", [(), ("--reduction", "none", "--format", "csv")])
def test_no_worker_outlives_its_parent(big_csv, signum, flags):
    proc = _start_parsing(["mse", "--csv", str(big_csv), "-q", *flags])
    try:
        os.kill(proc.pid, signum)  # the main process only: no terminal to signal the group
        assert _eof(proc.stderr, 5), "stderr held open after the signal"
        assert _eof(proc.stdout, 5), "stdout held open after the signal"
        proc.wait(timeout=5)
        assert _wait(lambda: not _session(proc.pid), 5), \
            f"left behind: {_session(proc.pid)}"
    finally:
        for pid in _session(proc.pid):
            os.kill(pid, signal.SIGKILL)
    expected = {signal.SIGINT: 130, signal.SIGKILL: -signal.SIGKILL}.get(signum, 128 + signum)
    assert proc.returncode == expected


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_ends_pyarrows_threaded_parse(big_csv, signum):
    """With [fast], pyarrow parses on threads of the one process: a signal still ends it at
    once, with its exit code, and nothing of its session remains."""
    pytest.importorskip("pyarrow")
    proc = subprocess.Popen([*LOSSCALC, "mse", "--csv", str(big_csv), "-q"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT, start_new_session=True)
    try:
        # signalled as soon as it has the file open: pyarrow parses 84 MB in well under a second
        _wait(lambda: _has_open(proc.pid, big_csv) or proc.poll() is not None, 30)
        time.sleep(0.05)
        if proc.poll() is not None:
            pytest.skip("this machine parsed 84 MB before the signal could be sent")
        os.kill(proc.pid, signum)
        assert _eof(proc.stderr, 5) and _eof(proc.stdout, 5), "held open after the signal"
        proc.wait(timeout=5)
        assert _wait(lambda: not _session(proc.pid), 5), f"left behind: {_session(proc.pid)}"
    finally:
        for pid in _session(proc.pid):
            os.kill(pid, signal.SIGKILL)
    assert proc.returncode == (130 if signum == signal.SIGINT else 128 + signum)


def test_the_parent_check_ends_a_worker_whose_parent_is_gone():
    """The portable fallback (no PR_SET_PDEATHSIG): a worker whose parent changed exits."""
    code = """
import os, sys, time
from losscalc import csvsource
csvsource._kill_me_when_parent_dies = lambda: False
csvsource.PARENT_CHECK_SECONDS = 0.05
if os.fork() == 0:  # the parent of the watched worker: it dies at once
    if os.fork() == 0:
        csvsource._die_with_parent(os.getppid())
        time.sleep(30)
        os._exit(0)
    time.sleep(0.3)
    os._exit(0)
time.sleep(0.1)
"""
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert _eof(proc.stderr, 10)
        assert _wait(lambda: not _session(proc.pid), 5), _session(proc.pid)
    finally:
        for pid in _session(proc.pid):
            os.kill(pid, signal.SIGKILL)
