"""The loss functions, one module per family; importing a module registers its losses
(``@loss`` in losscalc.registry). This package's own functions find them: every loss, the loss
a name means, the closest name, and how each door spells a tensor or parameter an error names
(LosscalcError.render). They live here, above the family modules, so that the registry the
families import never imports them back.
"""

from __future__ import annotations

from ..names import NAMES
from ..registry import LOSSES, LossSpec


def _load() -> None:
    # In this order `list` and the README show them: PyTorch's first, then the zoo.
    from . import (  # noqa: F401, I001  (registers)
        regression, classification, divergence, margin, embedding, ctc, keras, coursework)


def all_losses() -> dict[str, LossSpec]:
    """Every loss by canonical name, the family modules loaded on the first call."""
    if not LOSSES:
        _load()
        NAMES.completed("loss")
    return LOSSES


def resolve(name: str) -> LossSpec | None:
    """The loss a user's name means (canonical name or alias), or None."""
    all_losses()
    found = NAMES.lookup(name, ("loss",))
    return LOSSES[found.name] if found else None


def suggest(name: str) -> str | None:
    """The closest loss name, for "did you mean …?"."""
    all_losses()
    found = NAMES.closest(name, ("loss",))
    return found.name if found else None


# ---------------------------------------------------------------------------------------------
# How each door spells a tensor or parameter that an error names (LosscalcError.render)


def _spec_of(loss: str | None) -> LossSpec | None:
    return resolve(loss) if loss else None


def option_spelling(loss: str | None, name: str) -> str:
    """The command line's word: the tensor's option (``--logits``), ``--ignore-index``."""
    spec = _spec_of(loss)
    tensor = next((t for t in spec.tensors if t.name == name), None) if spec else None
    return tensor.option if tensor else "--" + name.replace("_", "-")


def field_spelling(loss: str | None, name: str) -> str:
    """A batch line's or check file's word: ``"pred"``, ``"params.margin"``."""
    spec = _spec_of(loss)
    if spec and any(p.name == name for p in spec.params):
        return f'"params.{name}"'
    return f'"{name}"'


def keyword_spelling(loss: str | None, name: str) -> str:
    """A Python caller's word: ``logits=`` for a prediction the loss calls logits."""
    spec = _spec_of(loss)
    if spec and name == "pred" and spec.pred_alias:
        return f"{spec.pred_alias.replace('-', '_')}="
    return f"{name}="


__all__ = ["all_losses", "field_spelling", "keyword_spelling", "option_spelling", "resolve",
           "suggest"]
