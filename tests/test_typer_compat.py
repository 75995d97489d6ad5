"""losscalc/typer_compat.py: each private Typer name it relies on is still where it was and
still has the shape used, and no other module reaches into Typer's internals.

A failure here names the internal that moved: read the new Typer's source for it and update
typer_compat.py (and its docstring's list), not the modules that use it."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
import typer

from losscalc import typer_compat as compat

ROOT = Path(__file__).resolve().parent.parent
PINNED = re.compile(r'"typer>=0\.28,<0\.29"')


def test_typer_is_the_version_checked():
    assert PINNED.search((ROOT / "pyproject.toml").read_text()), "the pin changed: re-check"
    assert typer.__version__.startswith("0.28."), typer.__version__
    assert compat.CHECKED_WITH.startswith("0.28.")


def test_click_exception_is_the_base_of_the_parsers_usage_errors():
    from typer._click.exceptions import BadParameter, NoSuchOption, UsageError

    for error in (UsageError, NoSuchOption, BadParameter, typer.BadParameter):
        assert issubclass(error, compat.ClickException), error
    assert compat.ClickException("boom").format_message() == "boom"


def test_typer_group_is_a_click_group_the_app_can_take():
    for method in ("get_command", "list_commands", "resolve_command", "shell_complete",
                   "make_context"):
        assert callable(getattr(compat.TyperGroup, method, None)), method

    class Group(compat.TyperGroup):
        pass

    app = typer.Typer(cls=Group, add_completion=False)

    @app.command()
    def one():
        """One."""

    @app.command()
    def two():
        """Two."""

    group = compat.click_command(app)
    assert isinstance(group, Group)
    assert sorted(group.list_commands(None)) == ["one", "two"]


def test_completion_item_has_a_value_and_a_help():
    item = compat.CompletionItem("mseloss", help="= mse")
    assert (item.value, item.help) == ("mseloss", "= mse")


def test_command_from_function_makes_a_click_command_from_a_signature():
    def callback(*, x: int = 3, name: str = "a"):
        """The help.

        More."""

    command = compat.command_from_function("cmd", callback, "short")
    assert command.name == "cmd" and command.short_help == "short"
    assert command.help.startswith("The help.")
    options = {p.name: p for p in command.params}
    assert options["x"].default == 3 and options["x"].opts == ["--x"]
    signature = inspect.signature(compat.get_command_from_info)
    assert {"pretty_exceptions_short", "rich_markup_mode"} <= set(signature.parameters)


@pytest.mark.parametrize("shell, marker", [
    ("bash", "COMP_WORDS"), ("zsh", "compdef"), ("fish", "complete"), ("powershell", "Register"),
])
def test_completion_script_for_a_named_shell(shell, marker):
    text = compat.completion_script("losscalc", "_LOSSCALC_COMPLETE", shell)
    assert "_LOSSCALC_COMPLETE" in text and marker in text


def test_the_completion_help_renderer_can_be_replaced(monkeypatch):
    import typer._completion_classes as completion

    monkeypatch.setattr(completion, "_sanitize_help_text", completion._sanitize_help_text)
    compat.plain_completion_help(lambda text: text.upper())
    fish = completion.FishComplete(None, {}, "losscalc", "_LOSSCALC_COMPLETE")
    assert fish.format_completion(compat.CompletionItem("mse", help="mean [squared]")) == \
        "mse\tMEAN [SQUARED]"


def test_no_other_module_uses_typer_internals():
    """Outside typer_compat.py, losscalc imports only Typer's public names."""
    private = re.compile(r"\btyper\.(_\w+|main|models|core|completion|params|utils)\b"
                         r"|from typer\.|from typer import _")
    offenders = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
                 for path in sorted((ROOT / "losscalc").rglob("*.py"))
                 if path.name != "typer_compat.py"
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if private.search(line)]
    assert not offenders, "\n".join(offenders)
