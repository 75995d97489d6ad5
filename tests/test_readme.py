"""The documentation stays true: README.md keeps its two set-up commands first and stays small
(it ships as the package description); every `$ losscalc …` example in README.md,
CONTRIBUTING.md and docs/ shows what the command prints today, and docs/commands.md holds the
current `--help` of every command (scripts/update_readme.py refreshes them all); every link
between the pages leads to a page and a heading that exist; and nothing in the repository
refers to documents outside it."""

from __future__ import annotations

import importlib.util
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README_LIMIT = 30_000  # bytes: the README is the front door and the package's description


def _updater():
    spec = importlib.util.spec_from_file_location("update_readme",
                                                  ROOT / "scripts" / "update_readme.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


UPDATER = _updater()
PAGES = [page for page in UPDATER.pages() if page.exists()]


def test_setup_commands_come_first():
    text = (ROOT / "README.md").read_text()
    first = text[: text.index("---")]
    assert "pip install . && losscalc ce --logits 0.1,0.2,0.3 --target 1" in first
    assert "pip install -e '.[test]' && python -m pytest" in first


def test_readme_is_small():
    size = len((ROOT / "README.md").read_bytes())
    assert size < README_LIMIT, f"README.md is {size} bytes: move material into docs/"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_examples_are_current(page):
    text = page.read_text()
    assert UPDATER.refresh(text) == text, "run: python scripts/update_readme.py"


def test_loss_table_is_in_the_readme():
    assert UPDATER.TABLE.search((ROOT / "README.md").read_text()), (
        "README.md lacks the <!-- losses: … --> … <!-- /losses --> table")


def test_command_reference_is_current():
    """docs/commands.md holds the `--help` of the app and of every command that is not a
    loss (one loss stands for the rest), as they print it today."""
    from losscalc.cli import SUBCOMMANDS

    match = UPDATER.COMMANDS.search(UPDATER.COMMAND_REFERENCE.read_text())
    assert match, "docs/commands.md lacks the <!-- commands: … --> … <!-- /commands --> section"
    section = match.group(0)
    for name in ["", *SUBCOMMANDS, "list", UPDATER.REPRESENTATIVE_LOSS]:
        assert f"$ losscalc{' ' + name if name else ''} --help\n" in section, name
    assert UPDATER.refresh(section) == section, (
        "the command reference in docs/commands.md is stale: run python scripts/update_readme.py")


# --- links between the pages ----------------------------------------------------------------

LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.S | re.M)


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped (but - and _),
    spaces as hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text())
    return {slug(m.group(1)) for m in re.finditer(r"^#+ (.+)$", text, re.M)}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_links_lead_somewhere(page):
    broken = []
    for target in LINK.findall(FENCE.sub("", page.read_text())):
        if re.match(r"[a-z]+:", target):  # https:, mailto: — not ours to check
            continue
        path, _, anchor = target.partition("#")
        where = (page.parent / path).resolve() if path else page
        if not where.exists():
            broken.append(f"{target}: no such file")
        elif anchor and where.suffix == ".md" and anchor not in anchors(where):
            broken.append(f"{target}: no heading with that anchor")
    assert not broken, broken


def test_slug_follows_github():
    assert slug("9. Errors and exit codes") == "9-errors-and-exit-codes"
    assert slug("7. Activations: `losscalc act`") == "7-activations-losscalc-act"


# --- the repository stands alone ------------------------------------------------------------

# Words that name documents outside the repository (the notes it was first specified in).
OUTSIDE = re.compile(r"\bSPEC\b|DESIGN\.md|ZOO\.md|PEERS\.md|GLOSSARY|\.\./shared|shared/")
# Modules still citing them until their comments point at docs/ (the mapping is in the report
# of the documentation change); empty this as they are rewritten, and never add to it.
PENDING: set[str] = set()


def test_nothing_refers_to_documents_outside_the_repository():
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout")
    here = str(Path(__file__).relative_to(ROOT))
    offenders = []
    for name in listed.stdout.splitlines():
        path = ROOT / name
        if name == here or name in PENDING or not path.is_file():
            continue
        try:
            text = path.read_text()
        except (UnicodeDecodeError, OSError):
            continue
        offenders += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1)
                      if OUTSIDE.search(line)]
    assert not offenders, offenders
