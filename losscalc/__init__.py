"""losscalc: what is this loss, and its gradient, for these numbers — and why.

As a library::

    import losscalc
    r = losscalc.compute("ce", logits=[[2.0, 0.5, -1.0]], target=[0])
    r.value, r.elementwise, r.grad["pred"]
    r.explain("markdown")

``losscalc.activation(name, x)`` and ``losscalc.info(measure, p, q)`` answer the same way;
errors raise ``losscalc.LosscalcError`` (with ``.exit_code``). Importing the package costs
nothing: its names load on first use, and only NumPy and the core until something is
rendered. The CLI adds Typer and, for tables, rich.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["LosscalcError", "Result", "__version__", "activation", "compute", "info"]

if TYPE_CHECKING:  # what the lazy names below are, for type checkers
    from .errors import LosscalcError
    from .library import Result, activation, compute, info


def __getattr__(name: str) -> Any:
    # Loaded on first use, so that `losscalc.cli` (which imports this package) pays nothing.
    if name == "LosscalcError":
        from .errors import LosscalcError

        return LosscalcError
    if name == "info":
        # `info` is also the module losscalc/info.py, which the import system sets on this
        # package once it is loaded: that module answers the call (see its end). Imported by
        # name: `from . import info` would ask this function again.
        from importlib import import_module

        return import_module(f"{__name__}.info")
    if name in ("Result", "activation", "compute"):
        from . import library

        return getattr(library, name)
    raise AttributeError(f"module 'losscalc' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
