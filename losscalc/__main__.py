"""`python -m losscalc`."""

from losscalc.entry import run

run()
