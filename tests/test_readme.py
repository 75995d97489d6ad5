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
