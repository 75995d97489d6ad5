"""Extract every text losscalc shows in words into losscalc/locale/losscalc.pot, and bring
each language's .po up to date with it.

    python scripts/extract_messages.py           # write the .pot, update every .po
    python scripts/extract_messages.py --check   # exit 1 if the .pot is not current

Where the texts are found:

- **error messages**: the headings of docs/errors.md, whose templates name each value
  (``unknown loss '<name>'``); tests/test_error_catalogue.py keeps that page equal to every
  message the code can raise, wherever it is raised;
- **in the source** (every module under losscalc/, read with ``ast``): the hint of every
  error (``UsageError(message, hint)``, cli's ``_error(message, hint)``), and the text given
  to ``note``, ``remark``, ``table``, ``Prose``, ``Section``, ``hint``, ``N_`` (the marker of
  losscalc.i18n for a text shown elsewhere), ``divides_by=`` or a list of ``notes``, and the
  texts the functions of diagnose.py and the ``*divides_by*`` functions return, and a loss's
  ``gradient=`` text and an activation's ``derivative=`` text when it has words in it (not
  only a formula). An
  f-string's value becomes ``<name>``, named after its expression; ``a if c else b`` gives
  both texts.

A text without a letter outside its values (``<loss>: <note>``) is left out: it would match
anything. A .po keeps its translations; a msgid no longer extracted moves to its end as an
obsolete ``#~`` entry, a new one is added untranslated (tests/test_i18n.py names those).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "losscalc"
CATALOGUE = ROOT / "docs" / "errors.md"
POT = PACKAGE / "locale" / "losscalc.pot"
ERRORS = {"LosscalcError", "UsageError", "InvalidData", "InputOutputError", "CheckFailed"}
TEXT_CALLS = {"note", "remark", "Prose", "Section", "hint", "N_", "table"}
PLACEHOLDER = re.compile(r"<[A-Za-z_][^<>]*>")


def _name(node) -> str | None:
    return node.id if isinstance(node, ast.Name) else \
        node.attr if isinstance(node, ast.Attribute) else None


def value_name(node) -> str:
    """What a value of an f-string is called in a template: ``{self.rows:,}`` → rows."""
    if isinstance(node, (ast.Name, ast.Attribute)):
        return _name(node)
    if isinstance(node, ast.Subscript):
        return value_name(node.value)
    if isinstance(node, ast.Call):  # int(n), len(xs), ", ".join(names), fmt_number(v)
        if node.args and _name(node.func) in ("int", "float", "len", "str", "join", "abs"):
            return value_name(node.args[0])
        return _name(node.func) or "value"
    return "value"


def texts(node) -> list[str]:
    """The templates a string expression can give ([] if it is no text)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        out = [""]
        for part in node.values:
            pieces = [f"<{value_name(part.value)}>"] if isinstance(part, ast.FormattedValue) \
                else texts(part)
            out = [a + b for a in out for b in pieces]
        return out
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = texts(node.left), texts(node.right)
        left = left or [f"<{value_name(node.left)}>"]
        right = right or [f"<{value_name(node.right)}>"]
        return [a + b for a in left for b in right] if texts(node.left) or texts(node.right) \
            else []
    if isinstance(node, ast.IfExp):
        return texts(node.body) + texts(node.orelse)
    return []


# A loss's gradient text is a formula, shown as it is, unless it has words in it ("with
# smoothing or probability targets q: …"): then it is translated as a whole.
PROSE = re.compile(r"[A-Za-z]{2,} [A-Za-z]{2,}|\b(?:with|without|at|of|for|as)\b")


def _gradient_texts(call: ast.Call) -> list[str]:
    """A loss's gradient= and an activation's derivative= text, when it has words in it."""
    keyword = {"loss": "gradient", "activation": "derivative"}.get(_name(call.func))
    return [text for k in call.keywords if k.arg == keyword for text in texts(k.value)
            if PROSE.search(text)]


def _hint_args(call: ast.Call) -> list:
    name = _name(call.func)
    if name in ERRORS or name == "_error":
        return call.args[1:2] + [k.value for k in call.keywords if k.arg == "hint"]
    if name in TEXT_CALLS:
        return list(call.args)
    if any(k.arg == "divides_by" for k in call.keywords):  # what a mean divides by, in words
        return [k.value for k in call.keywords if k.arg == "divides_by"]
    if name == "append" and (_name(call.func.value) or "").endswith("notes"):
        return list(call.args)
    return []


def source_texts(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            for arg in _hint_args(node):
                found += texts(arg)
            found += _gradient_texts(node)
        elif isinstance(node, ast.Assign) and any(_name(t) == "notes" for t in node.targets):
            for item in ast.walk(node.value):
                if isinstance(item, ast.List):
                    for element in item.elts:
                        found += texts(element)
        elif isinstance(node, ast.FunctionDef) and (
                path.name == "diagnose.py" or "divides_by" in node.name):
            found += [text for r in ast.walk(node) if isinstance(r, ast.Return) and r.value
                      for text in texts(r.value)]
    return found


def catalogue_texts() -> list[str]:
    return [m.group(1) for m in re.finditer(r"^### `(.+)`\s*$",
                                            CATALOGUE.read_text(encoding="utf-8"), re.M)]


def worth_translating(text: str) -> bool:
    return bool(re.search(r"[A-Za-z]", PLACEHOLDER.sub("", text)))


def msgids() -> list[str]:
    """Every text to translate, once each, in the order found (errors first)."""
    found = catalogue_texts()
    for path in sorted(PACKAGE.rglob("*.py")):
        found += source_texts(path)
    return list(dict.fromkeys(t for t in found if t.strip() and worth_translating(t)))


def quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") \
        .replace("\t", "\\t") + '"'


HEADER = ('msgid ""\nmsgstr ""\n"Project-Id-Version: losscalc\\n"\n'
          '"Content-Type: text/plain; charset=UTF-8\\n"\n"Content-Transfer-Encoding: 8bit\\n"\n')


def pot_text() -> str:
    return HEADER + "".join(f"\nmsgid {quote(m)}\nmsgstr \"\"\n" for m in msgids())


def update_po(po: Path, ids: list[str]) -> None:
    """Keep the translations of ``po``, in the .pot's order; add the new msgids untranslated;
    keep the ones gone as obsolete entries at the end."""
    sys.path.insert(0, str(Path(__file__).parent))
    from msgfmt import read_po

    old = {msgid: msgstr for msgid, msgstr, _ in read_po(po.read_text(encoding="utf-8"))}
    header = old.pop("", None)
    lines = ['msgid ""', f"msgstr {quote(header)}" if header else 'msgstr ""']
    for msgid in ids:
        lines += ["", f"msgid {quote(msgid)}", f"msgstr {quote(old.get(msgid, ''))}"]
    for msgid in (m for m in old if m not in set(ids) and old[m]):
        lines += ["", f"#~ msgid {quote(msgid)}", f"#~ msgstr {quote(old[msgid])}"]
    po.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str]) -> int:
    text = pot_text()
    if "--check" in argv:
        current = POT.exists() and POT.read_text(encoding="utf-8") == text
        if not current:
            print("losscalc/locale/losscalc.pot is not current: run "
                  "python scripts/extract_messages.py")
        return 0 if current else 1
    POT.parent.mkdir(parents=True, exist_ok=True)
    POT.write_text(text, encoding="utf-8")
    ids = msgids()
    for po in sorted(POT.parent.glob("*/LC_MESSAGES/losscalc.po")):
        update_po(po, ids)
        print(f"updated {po.relative_to(ROOT)}")
    print(f"wrote {POT.relative_to(ROOT)}: {len(ids)} messages")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
