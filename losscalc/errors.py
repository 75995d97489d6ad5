"""The errors losscalc reports, each with its exit code (SPEC §4).

The core raises these; only the CLI edge turns them into a one-line message and an exit code.
"""

from __future__ import annotations


class LosscalcError(Exception):
    """An error the user can fix: one line of message, an optional hint, an exit code."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(LosscalcError):
    """Unknown command or option, missing or malformed option (exit 2)."""

    exit_code = 2


class InvalidData(LosscalcError):
    """Unparseable number, NaN, shape mismatch, index out of range, … (exit 3)."""

    exit_code = 3


class InputOutputError(LosscalcError):
    """File missing or unreadable, not text, not a valid .npy (exit 4)."""

    exit_code = 4


class CheckFailed(LosscalcError):
    """`--expect` or `--check-grad` did not hold (exit 1)."""

    exit_code = 1
