"""`python -m losscalc`."""

from losscalc.cli import run

run()
