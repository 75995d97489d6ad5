"""Hints that name the fix for the option parser's usage errors on a loss command: an option
the loss does not take (`bce --logits` → bce-logits), tensors given as arguments
(`losscalc mse 1,2,3 1,2,5` → -p/--pred and -t/--target). cli.main() asks here, and only
when the parser has refused a command line, so a plain call never imports this module.
"""

from __future__ import annotations

from ..i18n import N_
from ..losses import all_losses
from ..names import NAMES
from ..registry import LOSSES, LossSpec


def same_question(loss: str, option: str) -> str | None:
    """The loss that takes ``option`` for the question ``loss`` was asked (bce, --logits →
    bce-logits: the registry entry's other_forms), or None."""
    all_losses()
    spec = LOSSES.get(loss)
    return dict(spec.other_forms).get(option) if spec else None


def usage_hint(err) -> str | None:
    """A hint for a usage error of the option parser (``err``, a Click exception), or None
    when its command is no loss or the error is of another kind."""
    spec = _loss_of(getattr(err, "ctx", None))
    if spec is None:
        return None
    option = getattr(err, "option_name", None)
    if option:
        return wrong_option(spec, option)
    if "unexpected extra argument" in err.format_message():
        return positional(spec)
    return None


def _loss_of(ctx) -> LossSpec | None:
    name = getattr(getattr(ctx, "command", None), "name", None)
    if not name:
        return None
    all_losses()
    entry = NAMES.lookup(name, ("loss",))
    return LOSSES[entry.name] if entry is not None else None


def _spelled(spec: LossSpec) -> str:
    """The loss's tensor options as its --help shows them: `-p/--probs and -t/--target`."""
    words = []
    for tensor in spec.tensors:
        short = [o for o in tensor.options if not o.startswith("--")]
        words.append("/".join(short + [tensor.option]))
    return N_(f"{', '.join(words[:-1])} and {words[-1]}") if len(words) > 1 else words[0]


def wrong_option(spec: LossSpec, option: str) -> str:
    """`bce takes -p/--probs and -t/--target; for logits use losscalc bce-logits --logits`."""
    name, spelled = spec.name, _spelled(spec)
    takers = [s.name for s in LOSSES.values() if option in _options(s) and s.name != spec.name]
    # each hint one whole text, so that it is translated whole
    if not takers:
        return N_(f"{name} takes {spelled}; add --help to see every option")
    best = same_question(spec.name, option)
    if best in takers:
        return N_(f"{name} takes {spelled}; {option} is an option of {best}: "
                  f"losscalc {best} {option} …")
    shown = ", ".join(sorted(takers)[:5]) + (", …" if len(takers) > 5 else "")
    return N_(f"{name} takes {spelled}; {option} is an option of {shown}")


def _options(spec: LossSpec) -> set[str]:
    """The options that give a loss's tensors (nll's --probs too: see cli._probs_option)."""
    out = {o for t in spec.tensors for o in t.options}
    return out | ({"--probs"} if spec.takes_probs else set())


def positional(spec: LossSpec) -> str:
    """Tensors are options: `use -p/--pred and -t/--target: losscalc mse -p 1,2,3 -t …`."""
    return N_(f"tensors are given as options: use {_spelled(spec)}, as in: {spec.example}")
