"""`losscalc list` covers every command (docs/contract.md §11): the losses, the activations
of `act`, the measures of `info` and the other commands — and for scripts (`--json`, piped) it stays the
list of losses unless `--kind` asks for more, so counting its entries counts the losses."""

from __future__ import annotations

import json

import pytest

from losscalc.activations import ACTIVATIONS
from losscalc.cli import SUBCOMMANDS
from losscalc.info import MEASURES
from losscalc.losses import all_losses

CORE_KEYS = ["kind", "name", "aliases", "family", "formula", "reference", "summary", "usage"]
# What every loss object held before the other kinds joined the list.
LOSS_KEYS = ["name", "aliases", "family", "formula", "reference", "summary", "params",
             "reductions"]


def _json(cli, *args):
    code, out, err = cli("list", "--json", *args)
    assert code == 0, err
    return json.loads(out)


def test_json_has_every_kind(cli):
    rows = _json(cli, "--kind", "all")
    by_kind = {}
    for row in rows:
        assert set(CORE_KEYS) <= set(row), row
        by_kind.setdefault(row["kind"], []).append(row["name"])
    assert by_kind["loss"] == list(all_losses())
    assert by_kind["activation"] == [f"act {name}" for name in ACTIVATIONS]
    assert by_kind["info"] == [f"info {name}" for name in MEASURES]
    assert set(SUBCOMMANDS) | {"list"} <= set(by_kind["command"])
    assert not set(by_kind["command"]) & set(all_losses())


def test_names_and_aliases_are_unique(cli):
    """Each name or alias is what follows `losscalc` on the command line: the loss kl and the
    measure `info kl` never share one, so a dict by name or by alias loses nothing."""
    words = [w for row in _json(cli, "--kind", "all") for w in [row["name"], *row["aliases"]]]
    assert len(words) == len(set(words))
    assert {"kl", "info kl", "ce", "info ce", "act sigmoid"} <= set(words)


def test_losses_are_countable_and_keep_their_keys(cli):
    """A script's `losscalc list --json` is the losses: one object each, as before the other
    kinds joined the list: as many as the registry holds, in its order."""
    losses = _json(cli)
    assert [row["kind"] for row in losses] == ["loss"] * len(all_losses())
    assert [row["name"] for row in losses] == list(all_losses())
    for row in losses:
        assert set(LOSS_KEYS) <= set(row)
        assert row["params"] == [p.name for p in all_losses()[row["name"]].params]


@pytest.mark.parametrize("kind", ["loss", "activation", "info", "command"])
def test_kind_filter(cli, kind):
    rows = _json(cli, "--kind", kind)
    assert rows and {row["kind"] for row in rows} == {kind}


def test_several_kinds(cli):
    rows = _json(cli, "-k", "info", "-k", "activation")
    assert [row["kind"] for row in rows] == ["activation"] * len(ACTIVATIONS) + ["info"] * len(
        MEASURES)


def test_commands_show_their_usage_and_summary(cli):
    rows = {row["name"]: row for row in _json(cli, "--kind", "command")}
    assert rows["batch"]["usage"].startswith("losscalc batch [OPTIONS]")
    assert rows["compare"]["summary"]
    assert "lr" in rows["backprop"]["formula"]


def test_piped_lines_are_the_losses_and_every_kind_on_request(cli):
    code, out, _ = cli("list")
    assert code == 0
    assert [line.split("\t")[0] for line in out.splitlines()] == list(all_losses())
    code, out, _ = cli("list", "--kind", "all")
    names = [line.split("\t")[0] for line in out.splitlines()]
    assert len(names) == len(_json(cli, "--kind", "all"))
    assert {"act sigmoid", "info js", "batch", "list"} <= set(names)
    assert all(line.count("\t") == 4 for line in out.splitlines())


def test_unknown_kind_is_a_usage_error(cli):
    code, out, err = cli("list", "--kind", "lossy")
    assert code == 2 and not out and "lossy" in err
