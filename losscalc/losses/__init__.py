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


def in_keywords(loss: str, text: str) -> str:
    """A note the core wrote in the command line's words (``--target``, ``--probs``,
    ``--no-log-input``, ``--reduction batchmean``) in a Python caller's (``target=``,
    ``probs=``, ``log_input=False``, ``reduction="batchmean"``), by the registry's spellings."""
    import re

    spec = _spec_of(loss)
    words = {"--pred": keyword_spelling(loss, "pred")}
    for tensor in spec.tensors if spec else ():
        words[tensor.option] = keyword_spelling(loss, tensor.name)
    for param in spec.params if spec else ():
        dashed = "--" + param.name.replace("_", "-")
        words[dashed] = f"{param.name}=True" if param.kind == "bool" else f"{param.name}="
        if param.kind == "bool":
            words["--no-" + dashed[2:]] = f"{param.name}=False"
    if spec is not None and spec.takes_probs:  # nll's --probs Q: the prediction, as probabilities
        words["--probs"] = "probs="
    text = re.sub(r"--reduction (\w+)", r'reduction="\1"', text)
    return re.sub(r"--[a-z][a-z-]*", lambda m: words.get(m.group(), m.group()), text)


__all__ = ["all_losses", "field_spelling", "in_keywords", "keyword_spelling",
           "option_spelling", "resolve", "suggest"]
