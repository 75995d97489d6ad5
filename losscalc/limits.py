"""The limits that keep every input path in bounded memory and time (docs/contract.md, "Limits").

Each is checked before the work it bounds, and exceeding one is a one-line error that names
the limit and the option or file — never an out-of-memory kill, never minutes of silent work.
A table given with --csv has no size limit: it streams (only its lines are bounded).
"""

from __future__ import annotations

from .i18n import N_

MiB = 1 << 20
# The advice when a tensor is too large to hold: a table streams instead (one text for every
# place that says it).
STREAMING_HINT = N_("give a table with --table: mean, sum and batchmean stream in bounded "
                    "memory")

# Text read whole: a tensor's @FILE (.json, .csv, .txt) or `-`, a check file. A larger table
# streams with --csv; a larger array is read from .npy in its binary form.
MAX_TEXT_BYTES = 64 * MiB
# One line of a table (--csv, @FILE.csv), a batch or check file: a first line without an end
# (/dev/zero) is refused once this long, not read for ever.
MAX_LINE_BYTES = 16 * MiB
# Numbers in one tensor held in memory (256 MiB as float64): an .npy/.npz array, checked from
# its header before anything is read or inflated. Also capped at a share of the free memory.
MAX_VALUES = 1 << 25
# Inputs act computes from --range (--points, formerly --num); plot's own cap is lower.
MAX_POINTS = 100_000
# SGD steps of backprop (each step is recorded for the report).
MAX_STEPS = 10_000
# --check-grad evaluates the loss twice per element checked: it checks every element while
# 2 · elements² stays within this many element evaluations, else a fixed random sample
# (seed GRAD_CHECK_SEED) of budget / (2 · elements) of them, and says so in a note.
GRAD_CHECK_BUDGET = 20_000_000
GRAD_CHECK_MAX_ELEMENTS = 2000
GRAD_CHECK_SEED = 0


def size(nbytes: int) -> str:
    """64 MiB, 16 MiB: a limit as the messages name it."""
    return f"{nbytes // MiB} MiB" if nbytes % MiB == 0 else f"{nbytes:,} bytes"


def read_at_most(handle, limit: int, too_large):
    """All of ``handle`` (text or bytes), raising ``too_large()`` once it exceeds ``limit``
    characters: never more than limit + 1 is held. A text handle decodes as it reads, so
    bytes that are not its encoding fail at once, not after the whole input was read."""
    data = handle.read(limit + 1)
    if len(data) > limit:
        raise too_large()
    return data


def readline_at_most(handle, limit: int, too_long):
    """One line of ``handle`` (with its end), raising ``too_long()`` past ``limit``."""
    line = handle.readline(limit + 1)
    if len(line) > limit and line[-1:] not in ("\n", b"\n"):
        raise too_long()
    return line
