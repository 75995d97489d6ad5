"""losscalc: what is this loss, and its gradient, for these numbers — and why.

The core (``losscalc.core.compute``) needs only NumPy; the CLI adds Typer and, for tables, rich.
"""

__version__ = "0.1.0"
