"""The console entry point (`losscalc`, `python -m losscalc`): it makes the signals and the
standard streams safe *before* the CLI is imported, as most of start-up is imports.

- Ctrl-C: exit 130 with one line, `losscalc: error: interrupted`, even while modules load.
- SIGTERM, SIGHUP: an orderly exit, 128 + the signal's number, with nothing on stderr:
  ``Terminated`` unwinds the run, so `finally` blocks stop the CSV worker processes and remove
  a half-written file. A second such signal ends the process at once.
- A standard stream closed by the caller (`>&-`, `<&-`): its descriptor is held by /dev/null,
  so that no file opened later takes its number, and using the stream is one line, exit 4.
  A write that fails (`>/dev/full`) is the same; a reader that went away (`| head -1`) is a
  quiet exit 0 (``ReaderGone``).
"""

from __future__ import annotations

import errno
import os
import signal
import sys

from .errors import InputOutputError, ReaderGone, Terminated, signal_behind

STREAMS = ((0, "stdin"), (1, "stdout"), (2, "stderr"))


def run() -> None:
    try:
        _on_termination()
        _guard_streams()
        from .cli import run as run_cli  # the heavy imports

        run_cli()
    except SystemExit:
        raise
    except BaseException as err:
        stop = signal_behind(err)  # Python may have wrapped it (errors.signal_behind)
        if stop is None:
            raise
        if isinstance(stop, Terminated):
            _exit(stop.exit_code)
        else:
            _exit(130, "losscalc: error: interrupted\n")


def _exit(code: int, message: str = "") -> None:
    try:
        os.write(2, message.encode())
    except OSError:
        pass
    os._exit(code)


def _on_termination() -> None:
    for name in ("SIGTERM", "SIGHUP"):
        signum = getattr(signal, name, None)
        # A signal the caller ignores (nohup ignores SIGHUP) stays ignored.
        if signum is not None and signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, _terminate)


def _terminate(signum, frame) -> None:
    signal.signal(signum, signal.SIG_DFL)
    raise Terminated(signum)


def _guard_streams() -> None:
    for fd, name in STREAMS:
        stream = getattr(sys, name)
        if not _is_open(fd):  # a closed stderr swallows what is written to it
            _devnull(fd)
            stream = Closed(fd) if fd < 2 else open(fd, "w", closefd=False)
        if stream is not None:
            setattr(sys, name, Guarded(stream, fd == 1) if fd < 2 else stream)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _devnull(fd: int) -> int:
    """/dev/null opened on ``fd`` (the lowest free descriptor is the closed one)."""
    new = os.open(os.devnull, os.O_RDONLY if fd == 0 else os.O_WRONLY)
    if new != fd:
        os.dup2(new, fd)
        os.close(new)
    return fd


class Closed:
    """A standard stream the caller closed: using it fails as a closed descriptor does."""

    encoding, errors, closed, newlines = "utf-8", "strict", False, None

    def __init__(self, fd: int) -> None:
        self._fd = fd

    @property
    def buffer(self) -> Closed:
        return self

    def fileno(self) -> int:
        return self._fd

    def isatty(self) -> bool:
        return False

    def flush(self) -> None:
        pass

    def _closed(self, *args, **kwargs):
        raise OSError(errno.EBADF, "it is closed")

    read = readline = readlines = write = writelines = _closed


class Guarded:
    """A standard stream whose failures become errors of the edge: InputOutputError (exit 4,
    one line naming the stream), or ReaderGone for a broken pipe. Everything else is the
    stream's own."""

    def __init__(self, stream, output: bool) -> None:
        self._stream, self._output = stream, output

    def __getattr__(self, name):
        return getattr(self._stream, name)

    @property
    def buffer(self) -> Guarded:
        return Guarded(self._stream.buffer, self._output)

    def _call(self, method: str, *args):
        try:
            return getattr(self._stream, method)(*args)
        except BrokenPipeError:
            raise ReaderGone from None
        except OSError as err:
            reason = _reason(err)
            raise InputOutputError(f"cannot write to standard output: {reason}" if self._output
                                   else f"cannot read standard input: {reason}") from None

    def write(self, data):
        return self._call("write", data)

    def writelines(self, lines):
        return self._call("writelines", lines)

    def flush(self):
        return self._call("flush")

    def read(self, *args):
        return self._call("read", *args)

    def readline(self, *args):
        return self._call("readline", *args)

    def readlines(self, *args):
        return self._call("readlines", *args)

    def __iter__(self):
        while line := self.readline():
            yield line


def _reason(err: OSError) -> str:
    return (err.strerror or str(err)).lower() if err.errno != errno.EBADF else "it is closed"
