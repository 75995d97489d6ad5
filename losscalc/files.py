"""Files losscalc writes (an image from `plot --out`, …), written atomically.

The data goes to a temporary file in the target's folder, is flushed to the disk, and is
renamed over the target only once complete (``os.replace`` is atomic on POSIX and Windows).
A write that fails or is interrupted — disk full, a file-size limit, Ctrl-C, SIGTERM — leaves
the previous file as it was and no temporary file behind; writers racing for one path each
rename a whole file, so the last one wins and the file never mixes two of them.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from typing import IO, Iterator


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: str = "wb", **open_args) -> Iterator[IO]:
    """A handle to write ``path`` through; the file appears only when the block ends well.

    ``mode`` is "wb" or "w" (then ``open_args`` such as ``encoding`` go to ``open``). Raises
    OSError as ``open`` would. A target that exists and is not a regular file (a device, a
    pipe) cannot be renamed over: it is written directly.
    """
    target = os.path.realpath(os.fspath(path))  # through a symlink, as open() writes
    if os.path.exists(target) and not os.path.isfile(target):
        with open(target, mode, **open_args) as handle:
            yield handle
        return
    folder, name = os.path.split(target)
    fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, mode, **open_args) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, _permissions(target))
        os.replace(temporary, target)
    except BaseException:  # KeyboardInterrupt and SystemExit too: never a partial file
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def write_atomic(path: str | os.PathLike, data: bytes | str, encoding: str = "utf-8") -> None:
    """Write ``data`` (bytes, or text in ``encoding``) to ``path`` atomically."""
    if isinstance(data, str):
        data = data.encode(encoding)
    with atomic_file(path) as handle:
        handle.write(data)


def _permissions(target: str) -> int:
    """The mode the file would have had: the previous file's, else 0666 less the umask
    (mkstemp makes its file 0600)."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
