"""README.md stays true: its two set-up commands are there, and every `$ losscalc …` example
shows what the command prints today (scripts/update_readme.py refreshes them)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _updater():
    spec = importlib.util.spec_from_file_location("update_readme",
                                                  ROOT / "scripts" / "update_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_setup_commands_come_first():
    text = (ROOT / "README.md").read_text()
    first = text[: text.index("---")]
    assert "pip install . && losscalc" in first
    assert "pip install -e '.[test]' && python -m pytest" in first


def test_examples_are_current():
    readme = (ROOT / "README.md").read_text()
    assert _updater().refresh(readme) == readme, "run: python scripts/update_readme.py"


def test_command_reference_is_current():
    """The README's command reference holds the `--help` of the app and of every command that
    is not a loss (one loss stands for the rest), as they print it today."""
    from losscalc.cli import SUBCOMMANDS

    updater = _updater()
    match = updater.COMMANDS.search((ROOT / "README.md").read_text())
    assert match, "README.md lacks the <!-- commands: … --> … <!-- /commands --> section"
    section = match.group(0)
    for name in ["", *SUBCOMMANDS, "list", updater.REPRESENTATIVE_LOSS]:
        assert f"$ losscalc{' ' + name if name else ''} --help\n" in section, name
    assert updater.refresh(section) == section, (
        "the command reference in README.md is stale: run python scripts/update_readme.py")
