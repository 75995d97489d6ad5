"""Every name of Typer's that is not in its public API (``typer.__init__``), in one place.

Typer is pinned ``>=0.28,<0.29`` (pyproject.toml); this module was checked with Typer 0.28.0,
which vendors Click as ``typer._click``. tests/test_typer_compat.py fails, naming the
internal, when one of them moves or changes shape, and no other module of losscalc imports
Typer beyond its public names (that test checks it too). Each use, and why there is no
public way:

* ``ClickException`` (``typer._click.exceptions``): the base of the option parser's usage
  errors (no such option, invalid value, missing argument). ``main()`` catches it to print
  one line and exit 2; Typer exports only ``BadParameter``, one of its subclasses.
* ``TyperGroup`` (``typer.core``): the group class a ``typer.Typer(cls=...)`` must derive from.
  The CLI's group builds each command only when it is asked for (a loss command is generated
  from the registry), which Typer has no public hook for.
* ``CompletionItem`` (``typer._click.shell_completion``): a completion candidate with its
  help, for the candidates the group adds itself (loss aliases). Typer's public autocompletion
  callbacks work for a parameter's values only, not for a group's command names.
* ``command_from_function``: ``typer.models.CommandInfo`` and
  ``typer.main.get_command_from_info``, which turn one function into a Click command, as
  ``@app.command()`` does. The group calls it for the one loss command a call needs; making a
  Typer app per loss and calling ``click_command`` on it would do the same at more cost.
* ``click_command``: ``typer.main.get_command``, the Click command of a Typer app. Typer's
  documentation shows it (for using Click features), but it lives in ``typer.main``.
* ``completion_script``: ``typer._completion_shared.get_completion_script``, the text of the
  completion script for a shell. Typer prints it only through its ``--show-completion``
  option, which detects the shell from the environment; `losscalc completions SHELL` and
  scripts/gen_completions.py need it for a shell named explicitly.
* ``plain_completion_help``: replaces ``typer._completion_classes._sanitize_help_text``, which
  renders the help beside each zsh, fish and PowerShell candidate through rich at 80 columns
  (markup such as "[default: …]" vanishes, and a long help wraps into a bogus candidate).
  There is no public setting for it.
"""

from __future__ import annotations

from typing import Callable

import typer
import typer._completion_classes as _completion_classes
from typer._click.exceptions import ClickException
from typer._click.shell_completion import CompletionItem
from typer._completion_shared import get_completion_script
from typer.core import TyperGroup
from typer.main import get_command, get_command_from_info
from typer.models import CommandInfo

CHECKED_WITH = "0.28.0"  # the Typer version every internal above was read from


def command_from_function(name: str, callback: Callable, short_help: str):
    """The Click command of ``callback`` (its signature the options, its docstring the help),
    as ``@app.command(name)`` makes it, with short exceptions and no rich markup."""
    info = CommandInfo(name=name, callback=callback, short_help=short_help)
    return get_command_from_info(info, pretty_exceptions_short=True, rich_markup_mode=None)


def click_command(app: typer.Typer):
    """The Click command (a group when the app has several commands) of a Typer app."""
    return get_command(app)


def completion_script(prog_name: str, complete_var: str, shell: str) -> str:
    """The completion script of ``shell`` (bash, zsh, fish, powershell) for ``prog_name``."""
    return get_completion_script(prog_name=prog_name, complete_var=complete_var, shell=shell)


def plain_completion_help(render: Callable[[str], str]) -> None:
    """Render the help beside each completion candidate with ``render`` instead of rich."""
    if not callable(getattr(_completion_classes, "_sanitize_help_text", None)):
        raise RuntimeError("typer._completion_classes._sanitize_help_text is gone: "
                           "see losscalc/typer_compat.py")
    _completion_classes._sanitize_help_text = render


__all__ = ["CHECKED_WITH", "ClickException", "CompletionItem", "TyperGroup", "click_command",
           "command_from_function", "completion_script", "plain_completion_help"]
