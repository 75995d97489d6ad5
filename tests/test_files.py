"""Files written atomically (losscalc/files.py, issue 14 item 6): a failed or interrupted write
leaves the previous file intact and no temporary file; racing writers never interleave."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from losscalc.files import atomic_file, write_atomic

ROOT = Path(__file__).resolve().parents[1]
PREVIOUS = b"the previous file\n"


def _only(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_writes_the_whole_file_and_nothing_else(tmp_path):
    target = tmp_path / "out.bin"
    write_atomic(target, b"\x00\x01" * 1000)
    assert target.read_bytes() == b"\x00\x01" * 1000
    write_atomic(target, "second, text")
    assert target.read_text() == "second, text"
    assert _only(tmp_path) == ["out.bin"]


def test_keeps_the_previous_mode_and_follows_a_symlink(tmp_path):
    target = tmp_path / "real.txt"
    target.write_bytes(PREVIOUS)
    target.chmod(0o640)
    (tmp_path / "link.txt").symlink_to(target)
    write_atomic(tmp_path / "link.txt", b"new")
    assert (tmp_path / "link.txt").is_symlink() and target.read_bytes() == b"new"
    assert target.stat().st_mode & 0o777 == 0o640


def test_a_new_file_gets_the_umask_mode_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "new.txt", b"x")
    finally:
        os.umask(old)
    assert (tmp_path / "new.txt").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt(),
                                   SystemExit(143)])
def test_a_failure_mid_write_keeps_the_previous_file(tmp_path, error):
    target = tmp_path / "out.png"
    target.write_bytes(PREVIOUS)
    with pytest.raises(type(error)):
        with atomic_file(target) as handle:
            handle.write(b"half of the new")
            raise error
    assert target.read_bytes() == PREVIOUS
    assert _only(tmp_path) == ["out.png"]


def test_a_device_is_written_directly():
    with atomic_file(os.devnull) as handle:  # no rename over /dev/null
        handle.write(b"gone")
    assert os.path.exists(os.devnull) and not os.path.isfile(os.devnull)


def _in_child(code: str, *args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, **kwargs)


def test_the_file_size_limit_keeps_the_previous_file(tmp_path):
    """RLIMIT_FSIZE: the write fails with EFBIG (Python ignores SIGXFSZ), the file stays."""
    target = tmp_path / "out.bin"
    target.write_bytes(PREVIOUS)
    run = _in_child("""
        import resource, sys
        from losscalc.files import write_atomic
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        try:
            write_atomic(sys.argv[1], b"x" * 100_000)
        except OSError as err:
            print(err.errno)
        """, target)
    assert run.stdout.strip() == str(errno.EFBIG), run.stderr
    assert target.read_bytes() == PREVIOUS and _only(tmp_path) == ["out.bin"]


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_an_interrupted_plot_keeps_the_previous_image(tmp_path, signum):
    """A writer stopped by Ctrl-C, SIGTERM or SIGHUP in the middle of its file (the entry point
    turns each into an orderly exit): the previous file and nothing else."""
    target = tmp_path / "out.png"
    target.write_bytes(PREVIOUS)
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys, time
        from losscalc import entry
        from losscalc.files import atomic_file
        entry._on_termination()  # as the console entry point does
        with atomic_file(sys.argv[1]) as handle:
            handle.write(b"partial")
            handle.flush()
            print("writing", flush=True)
            time.sleep(60)
        """), str(target)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert proc.stdout.readline() == b"writing\n"
    assert len(_only(tmp_path)) == 2  # the temporary file exists while it writes
    proc.send_signal(signum)
    proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert target.read_bytes() == PREVIOUS and _only(tmp_path) == ["out.png"]


def test_twenty_concurrent_writers_never_interleave(tmp_path):
    """Twenty processes write 2 MB each, of their own byte, to one path, at once: the file is
    always one writer's whole file, and no temporary file remains."""
    target = tmp_path / "shared.bin"
    script = textwrap.dedent("""
        import sys, time
        from losscalc.files import atomic_file
        me = int(sys.argv[2])
        with atomic_file(sys.argv[1]) as handle:
            for _ in range(32):
                handle.write(bytes([65 + me]) * 65536)
                time.sleep(0.001)
        """)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(target), str(i)], cwd=ROOT)
             for i in range(20)]
    while any(p.poll() is None for p in procs):
        if target.exists():  # whenever it is there, it is one writer's whole file
            data = target.read_bytes()
            assert len(data) == 32 * 65536 and len(set(data)) == 1
        time.sleep(0.005)
    assert all(p.wait() == 0 for p in procs)
    data = target.read_bytes()
    assert len(data) == 32 * 65536 and len(set(data)) == 1 and data[0] in range(65, 85)
    assert _only(tmp_path) == ["shared.bin"]


def test_plot_out_is_written_through_the_helper(cli, tmp_path, monkeypatch):
    """A plot whose drawing fails half-way keeps the previous image (matplotlib writes into
    the helper's handle, not to the path)."""
    pytest.importorskip("matplotlib")
    target = tmp_path / "curve.png"
    target.write_bytes(PREVIOUS)
    from matplotlib.figure import Figure

    def savefig(self, fname, **kwargs):
        fname.write(b"\x89PNG half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Figure, "savefig", savefig)
    code, out, err = cli("plot", "mse", "--range", "-1:1", "--out", str(target))
    assert code == 4 and err.startswith("losscalc: error: --out: cannot write"), err
    assert err.endswith(": no space left on device\n")  # as standard output says it
    assert target.read_bytes() == PREVIOUS and _only(tmp_path) == ["curve.png"]


@pytest.mark.parametrize(("error", "reason"), [
    (FileNotFoundError(2, "No such file or directory"), "no such directory"),
    (PermissionError(13, "Permission denied"), "permission denied"),
    (OSError(28, "No space left on device"), "no space left on device"),
])
def test_every_writer_says_a_failure_in_the_same_words(cli, tmp_path, monkeypatch, error, reason):
    """exercise's files and plot's --out fail with one message (errors.write_error)."""
    from losscalc import files

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(files, "write_atomic", fail)
    code, _, err = cli("exercise", "mse", "--out", str(tmp_path / "week"), "-q")
    assert code == 4 and err.startswith("losscalc: error: cannot write '"), err
    assert err.endswith(f"': {reason}\n"), err
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    monkeypatch.setattr(Figure, "savefig", fail)
    path = tmp_path / "curve.png"
    code, _, err = cli("plot", "mse", "--range", "-1:1", "--out", str(path))
    assert (code, err) == (4, f"losscalc: error: --out: cannot write {str(path)!r}: {reason}\n")
