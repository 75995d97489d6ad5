"""The one name table (losscalc/names.py): every loss, activation, measure and command, the
words that call each, and everything that reads it — resolution, "did you mean" across kinds,
completion, `list` and `plot`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from conftest import modules_after

from losscalc import activations, info
from losscalc.cli import SUBCOMMANDS, app
from losscalc.losses import all_losses
from losscalc.names import KINDS, NAMES, Name, NameTable, hint
from losscalc.typer_compat import click_command

ROOT = Path(__file__).resolve().parent.parent


def _all_entries() -> list[Name]:
    all_losses()
    return [entry for kind in KINDS for entry in NAMES.entries(kind).values()]


def _error(cli, *args) -> tuple[int, str, str]:
    """Exit code, the error line and the hint line of a failing call."""
    code, out, err = cli(*args)
    assert out == "" and "Traceback" not in err, err
    lines = err.splitlines()
    return code, lines[0], lines[1] if len(lines) > 1 else ""


# ---------------------------------------------------------------------------------------------
# The table


def test_every_word_calls_one_entry():
    words = [entry.words(spelling) for entry in _all_entries()
             for spelling in (entry.name, *entry.aliases)]
    assert len(words) == len(set(words))
    assert {"kl", "info kl", "ce", "info ce", "act sigmoid", "batch"} <= set(words)


def test_words_are_what_follows_losscalc():
    all_losses()
    assert NAMES.lookup("ce", ("loss",)).words() == "ce"
    assert NAMES.lookup("logistic", ("activation",)).words() == "act sigmoid"
    assert NAMES.lookup("shannon", ("info",)).words() == "info entropy"
    assert NAMES.lookup("batch", ("command",)).words() == "batch"
    assert NAMES.lookup("kld", ("info",)).call() == "losscalc info kl"


def test_the_table_and_the_registries_agree():
    """Same entries, in the same order, and each spec's aliases are the table's."""
    for kind, specs in (("loss", all_losses()), ("activation", activations.ACTIVATIONS),
                        ("info", info.MEASURES)):
        entries = NAMES.entries(kind)
        assert list(entries) == list(specs), kind
        for name, spec in specs.items():
            assert tuple(spec.aliases) == entries[name].aliases, name


def test_every_command_is_in_the_table():
    """The table's commands are the app's: each is a module of losscalc/commands/ with a Typer
    app."""
    commands = set(NAMES.entries("command"))
    assert set(SUBCOMMANDS) == commands
    for name in SUBCOMMANDS:
        assert (ROOT / "losscalc" / "commands" / f"{name}.py").exists(), name
    group = click_command(app)
    assert set(group.commands) <= commands  # the commands Typer registered itself


@pytest.mark.parametrize("spelling, canonical", [
    ("LeakyReLU", "leaky-relu"), ("leaky_relu", "leaky-relu"), ("leaky relu", "leaky-relu"),
    ("LOGISTIC", "sigmoid"), ("hyperbolictangent", "tanh"),
])
def test_spellings(spelling, canonical):
    assert NAMES.lookup(spelling, ("activation",)).name == canonical


def test_a_word_of_one_kind_is_not_found_as_another():
    all_losses()
    assert NAMES.lookup("sigmoid", ("command", "loss")) is None
    assert NAMES.lookup("entropy", ("command", "loss")) is None
    assert NAMES.lookup("kl", ("loss",)).kind == "loss"
    assert NAMES.lookup("kl", ("info",)).kind == "info"


def test_a_word_that_two_entries_claim_is_refused():
    table = NameTable()
    table.declare("command", {"batch": ()})
    table.declare("loss", {"mse": ("batch",)})
    with pytest.raises(ValueError, match="'batch' of loss mse is taken by command batch"):
        table.lookup("mse", ("command", "loss"))
    table = NameTable()
    table.declare("loss", {"mse": ("l2",), "l1": ("l-2",)})  # l-2 is also spelt l2
    with pytest.raises(ValueError, match="taken by loss mse"):
        table.lookup("mse", ("loss",))


def test_the_same_word_after_act_and_at_the_top_is_no_clash():
    table = NameTable()
    table.declare("loss", {"kl": ()})
    table.declare("info", {"kl": ()})
    assert table.lookup("kl", ("loss",)) == Name("loss", "kl")
    assert table.lookup("kl", ("info",)) == Name("info", "kl")


def test_losses_asked_for_before_they_are_loaded_is_a_programming_error():
    table = NameTable()
    table.add(Name("loss", "mse"))
    with pytest.raises(RuntimeError, match="not loaded"):
        table.lookup("mse", ("loss",))
    table.completed("loss")
    assert table.lookup("MSE", ("loss",)) == Name("loss", "mse")


def test_an_undeclared_activation_is_refused_at_registration():
    with pytest.raises(ValueError, match="not declared in losscalc/names.py"):
        activations.activation("no-such-activation", formula="", derivative="", reference="",
                     example="")(lambda t, x: x)


def test_closest_prefers_an_exact_name_of_another_kind_then_the_kind_asked():
    table = NameTable()
    table.declare("loss", {"focal": (), "cross-entropy": ("crossentropy",)})
    table.declare("activation", {"sigmoid": ()})
    table.declare("info", {"cross-entropy": ("crossentropy",)})
    kinds = ("loss", "activation", "info")
    assert table.closest("sigmoid", kinds, prefer=("loss",)) == Name("activation", "sigmoid")
    assert table.closest("sigmod", kinds, prefer=("loss",)) == Name("activation", "sigmoid")
    # crossentropy2 is as close to the loss as to the measure: the kind it was asked as wins.
    assert table.closest("crossentropy2", kinds, prefer=("loss",)).kind == "loss"
    assert table.closest("crossentropy2", kinds, prefer=("info",)).kind == "info"
    assert table.closest("zzz", kinds) is None


def test_hint_shows_a_name_of_another_kind_as_its_call():
    all_losses()
    assert hint("focal", KINDS, ("activation",), "") == "did you mean 'losscalc focal'?"
    assert hint("sigmod", KINDS, ("activation",), "") == "did you mean 'sigmoid'?"
    assert hint("msee", KINDS, ("loss",), "", bare=False) == "did you mean 'losscalc mse'?"
    assert hint("zzzzzz", KINDS, ("loss",), "none") == "none"


# ---------------------------------------------------------------------------------------------
# On the command line


@pytest.mark.parametrize("args, message, suggestion", [
    (("sigmoid", "-p", "1", "-t", "1"), "unknown command 'sigmoid'", "losscalc act sigmoid"),
    (("entropy", "--p", "0.5,0.5"), "unknown command 'entropy'", "losscalc info entropy"),
    (("crossentropy2", "--logits", "1,2", "--target", "0"), "unknown command 'crossentropy2'",
     "losscalc ce"),
    (("msee", "-p", "1", "-t", "1"), "unknown command 'msee'", "losscalc mse"),
    (("act", "focal", "--x", "1"), "unknown activation 'focal'", "losscalc focal"),
    (("act", "entropy", "--x", "1"), "unknown activation 'entropy'", "losscalc info entropy"),
    (("act", "sigmod", "--x", "1"), "unknown activation 'sigmod'", "sigmoid"),
    (("info", "mse", "--p", "1"), "unknown measure 'mse'", "losscalc mse"),
    (("info", "sigmoid", "--p", "1"), "unknown measure 'sigmoid'", "losscalc act sigmoid"),
    (("info", "entropie", "--p", "1"), "unknown measure 'entropie'", "entropy"),
    (("plot", "hubr"), "unknown loss or activation 'hubr'", "huber"),
    (("plot", "entropy"), "unknown loss or activation 'entropy'", "losscalc info entropy"),
])
def test_did_you_mean_across_kinds(cli, args, message, suggestion):
    code, error, hint_line = _error(cli, *args)
    assert code == 2
    assert error == f"losscalc: error: {message}"
    assert hint_line == f"hint: did you mean '{suggestion}'?"


def test_kl_is_the_loss_and_info_kl_the_measure(cli):
    # The loss (KLDivLoss, input ln q = 0): Σ y·(ln y − x) = 2 · 0.5·ln 0.5 = ln 0.5.
    code, out, err = cli("kl", "--log-probs", "0,0", "-t", "0.5,0.5", "--reduction", "sum",
                         "--json")
    assert code == 0, err
    obj = json.loads(out)
    assert obj["loss"] == "kl" and math.isclose(obj["value"], math.log(0.5), rel_tol=1e-12)
    # The measure: 0.5·ln(0.5/0.9) + 0.5·ln(0.5/0.1) = 0.5·ln(25/9) = ln(5/3).
    code, out, err = cli("info", "kl", "--p", "0.5,0.5", "--q", "0.9,0.1", "--json")
    assert code == 0, err
    obj = json.loads(out)
    assert obj["info"] == "kl" and math.isclose(obj["value"], math.log(5 / 3), rel_tol=1e-12)


def test_commands_and_losses_resolve_by_any_spelling(cli):
    code, out, _ = cli("MSELoss", "-p", "1,2,3", "-t", "1,2,5")
    assert (code, out) == (0, "1.3333333333333333\n")  # (0 + 0 + 4) / 3
    code, out, _ = cli("ACT", "logistic", "--x", "0")
    assert (code, out) == (0, "0.5\n")  # σ(0) = 1/2


def test_plot_resolves_through_the_table():
    from losscalc.plot import resolve_names

    kind, specs = resolve_names("HuberLoss, l2")
    assert kind == "loss" and [s.name for s in specs] == ["huber", "mse"]
    kind, specs = resolve_names("logistic,tanh")
    assert kind == "activation" and [s.name for s in specs] == ["sigmoid", "tanh"]


# ---------------------------------------------------------------------------------------------
# Completion


def _complete(incomplete: str, *words: str) -> dict[str, str]:
    group = click_command(app)
    ctx = group.make_context("losscalc", list(words), resilient_parsing=True)
    return {item.value: item.help for item in group.shell_complete(ctx, incomplete)}


def test_top_level_completion_gives_commands_losses_and_aliases():
    found = _complete("cross")
    assert {"cross-entropy", "crossentropyloss"} <= set(found)
    assert found["crossentropyloss"] == "= ce"
    assert {"compare", "completions", "check", "ce"} <= set(_complete("c"))
    assert not {"sigmoid", "act sigmoid"} & set(_complete("sig"))  # activations come after act


def test_act_and_info_completion_read_the_table():
    leaky = activations.ACTIVATIONS["leaky-relu"]
    assert dict(activations.complete("leaky")) == {"leaky-relu": leaky.formula,
                                                   "leakyrelu": "= leaky-relu"}
    # names only, at first
    assert [name for name, _ in activations.complete("")] == list(activations.ACTIVATIONS)
    assert dict(info.complete("kull")) == {"kullback-leibler": "= kl"}


# ---------------------------------------------------------------------------------------------
# Start-up


def test_a_loss_command_loads_no_other_kind():
    """A plain loss call imports neither the activations, the measures, `list`, `plot`, nor
    the commands' modules: the table knows their names without them. Nor does it load what
    only other outputs need: rich (tables), json, csv, the explanation, batch."""
    loaded = modules_after(["mse", "-p", "1,2,3", "-t", "1,2,5"])
    assert not loaded & {"losscalc.activations", "losscalc.info", "losscalc.listing",
                         "losscalc.plot", "losscalc.commands.act", "losscalc.commands.info",
                         "losscalc.commands.plot", "rich", "json", "csv", "losscalc.batch",
                         "losscalc.render.explain", "losscalc.render.table"}
