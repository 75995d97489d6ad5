"""docs/errors.md lists every error message the code can produce (issue 8): this test keeps it
true.

1. Every message the code raises is found by reading the source (``ast``): each call that
   constructs a LosscalcError subclass (``raise UsageError(f"…")``, ``open_error``'s
   ``return InputOutputError(…)``), and each ``_error(…)`` of cli.main() with the exit code
   its handler returns. A message is reduced to its skeleton: literal text, with ``*`` where
   an f-string or a variable puts a value; ``a + (" x" if c else "")`` gives both variants.
2. The catalogue lists each message as a template in a heading, ``### `unknown loss '<name>'` ``,
   under ``## Exit N``; a ``<placeholder>`` stands for a value. Skeleton and template are
   compared with values as ``*`` and quote characters dropped (``{name!r}`` prints the
   quotes).
3. Both ways: every skeleton has its entry (with the exit code of its class), and every entry
   still has its message in the code (or says ``- source: click`` — the option parser's own
   messages, which its examples check).
4. Every runnable example (``- example: `losscalc …` ``, optionally piped from ``echo`` or
   ``printf``) is run in-process, in a folder holding the files the examples name: its exit
   code is its section's, and the first line on stderr (or a line's error: batch's JSON
   "error", check's ``line N: …``) matches its template. An example that cannot run here says
   ``- example: not runnable …`` and why.
"""

from __future__ import annotations

import ast
import io
import json
import re
import shlex
import sys
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

from losscalc import errors

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "losscalc"
CATALOGUE = ROOT / "docs" / "errors.md"
WILD = "*"

EXIT_CODES = {cls.__name__: cls.exit_code for cls in
              [errors.LosscalcError, *errors.LosscalcError.__subclasses__()]}

# Raise sites whose message is not a string in the call (a variable, another error's message):
# (file, the argument's source) → what the message is and why it needs no entry of its own.
DERIVED = {
    ("losscalc/expectation.py", "err.message"):
        "--expect's value parsed as a tensor: the same messages as any tensor (exit 3 entries), "
        "reported as a usage error (exit 2) because they are about an option's value",
    ("losscalc/batch.py", "'; '.join(parts)"):
        "the batch summary; its two forms are listed in EXTRA below",
    ("losscalc/cli.py", "message[:1].lower() + message[1:]"):
        "click's own usage messages, lower-cased: catalogued with `- source: click`, checked "
        "by running their examples",
}
# Messages assembled from pieces the AST cannot see as one string: skeleton → exit codes.
EXTRA = {
    "rows *–*: *": {3},  # streaming: a chunk's error, prefixed with its rows (err.prefixed)
    "* of * * could not be computed": {2, 3},  # batch.outcome(): the worst line's code
    "* of * * could not be computed; * expectation* failed": {2, 3},
}


class Site(NamedTuple):
    where: str  # file:line
    skeleton: str
    codes: frozenset


def _name(node) -> str | None:
    return node.id if isinstance(node, ast.Name) else \
        node.attr if isinstance(node, ast.Attribute) else None


def variants(node) -> list[str]:
    """The message's skeletons: literal text, WILD for values; an if-else of texts gives both."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        out = [""]
        for part in node.values:
            pieces = [WILD] if isinstance(part, ast.FormattedValue) else variants(part)
            out = [a + b for a in out for b in pieces]
        return out
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [a + b for a in variants(node.left) for b in variants(node.right)]
    if isinstance(node, ast.IfExp):
        return variants(node.body) + variants(node.orelse)
    return [WILD]


def normal(text: str) -> str:
    """Quotes dropped, runs of values merged into one WILD; a subject of a message template
    (``{pred}``, a tensor or parameter each door spells its own way) is a value too."""
    text = re.sub(r"\{[a-z_][a-z0-9_]*\}", WILD, text)
    return re.sub(r"\*+", WILD, re.sub(r"['\"]", "", text))


def _codes(func) -> frozenset | None:
    """The exit codes of the error class(es) a call constructs, or None if it is no error."""
    if isinstance(func, ast.IfExp):  # (UsageError if … else InvalidData)(message)
        both = [_codes(func.body), _codes(func.orelse)]
        return None if None in both else both[0] | both[1]
    name = _name(func)
    return frozenset({EXIT_CODES[name]}) if name in EXIT_CODES else None


def _edge_sites(tree, path: str) -> list[tuple[ast.Call, frozenset]]:
    """cli.main(): each handler's _error(message) with the code the handler returns."""
    out = []
    for handler in (n for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler)):
        returns = [n.value.value for n in ast.walk(handler) if isinstance(n, ast.Return)
                   and isinstance(n.value, ast.Constant) and isinstance(n.value.value, int)]
        calls = [n for n in ast.walk(handler) if isinstance(n, ast.Call)
                 and _name(n.func) == "_error" and n.args]
        # `_error(err.message, …)` passes a LosscalcError on: its messages are found where
        # they are raised.
        calls = [c for c in calls
                 if ast.unparse(c.args[0]) not in ("err.message", "err.render(option_spelling)")]
        assert not calls or len(returns) == 1, f"{path}:{handler.lineno}: which exit code?"
        out += [(call, frozenset(returns)) for call in calls]
    return out


def raise_sites(derived: set | None = None) -> list[Site]:
    """Every message the code can produce; the DERIVED keys met are added to ``derived``."""
    sites = []
    for file in sorted(PACKAGE.rglob("*.py")):
        path = file.relative_to(ROOT).as_posix()
        tree = ast.parse(file.read_text(encoding="utf-8"))
        calls = [(n, _codes(n.func)) for n in ast.walk(tree) if isinstance(n, ast.Call)]
        calls = [(n, c) for n, c in calls if c is not None and (n.args or n.keywords)]
        if path == "losscalc/cli.py":
            calls += _edge_sites(tree, path)
        for call, codes in calls:
            message = call.args[0] if call.args else next(
                k.value for k in call.keywords if k.arg == "message")
            for skeleton in variants(message):
                if normal(skeleton) == WILD:
                    key = (path, ast.unparse(message))
                    assert key in DERIVED, (
                        f"{path}:{call.lineno}: the message {ast.unparse(message)} is not a "
                        "string the catalogue can match: write it as an (f-)string, or add it "
                        "to DERIVED in tests/test_error_catalogue.py saying why")
                    if derived is not None:
                        derived.add(key)
                    continue
                sites.append(Site(f"{path}:{call.lineno}", normal(skeleton), codes))
    sites += [Site("EXTRA (tests/test_error_catalogue.py)", normal(s), frozenset(c))
              for s, c in EXTRA.items()]
    return sites


# ---------------------------------------------------------------------------------------------
# The catalogue


class Entry(NamedTuple):
    line: int
    template: str
    code: int
    examples: list[str]
    click: bool  # a message of the option parser, not of our code

    @property
    def skeleton(self) -> str:
        return normal(re.sub(r"<[^<>\s][^<>]*>", WILD, self.template))

    def pattern(self) -> re.Pattern:
        """The template as a regular expression: a placeholder matches anything, a quote
        is optional (as in the comparison with the code, which drops quotes)."""
        parts = re.split(r"(<[^<>\s][^<>]*>)", self.template)
        return re.compile("".join(".*?" if i % 2 else re.sub(r"['\"]", "['\"]?", re.escape(p))
                                  for i, p in enumerate(parts)), re.S)


def catalogue() -> list[Entry]:
    entries, code = [], None
    for number, line in enumerate(CATALOGUE.read_text(encoding="utf-8").splitlines(), 1):
        if m := re.match(r"## Exit (\d+)\b", line):
            code = int(m.group(1))
        elif line.startswith("## "):
            code = None
        elif m := re.match(r"### `(.+)`\s*$", line):
            assert code is not None, f"errors.md:{number}: an entry outside an 'Exit N' section"
            entries.append(Entry(number, m.group(1), code, [], False))
        elif entries and (m := re.match(r"- example: `(.+)`\s*$", line)):
            entries[-1].examples.append(m.group(1))
        elif entries and re.match(r"- source: click\b", line):
            entries[-1] = entries[-1]._replace(click=True)
    return entries


def test_every_message_is_catalogued():
    known = {e.skeleton: e for e in catalogue()}
    missing = [f"  {s.where}: {s.skeleton!r}" for s in raise_sites() if s.skeleton not in known]
    assert not missing, (
        "messages the code can produce but docs/errors.md does not list (add an entry "
        "'### `template`' with an example and the fix under its 'Exit N' section; '*' is a "
        "value, written <name> in the template):\n" + "\n".join(missing))


def test_every_catalogued_message_exists():
    skeletons = {s.skeleton for s in raise_sites()}
    stale = [f"  errors.md:{e.line}: {e.template}" for e in catalogue()
             if not e.click and e.skeleton not in skeletons]
    assert not stale, "entries whose message the code no longer produces:\n" + "\n".join(stale)


def test_derived_messages_still_exist():
    met: set = set()
    raise_sites(met)
    assert set(DERIVED) <= met, f"DERIVED lists raise sites that are gone: {set(DERIVED) - met}"


def test_exit_codes_agree():
    entries = {e.skeleton: e for e in catalogue()}
    wrong = [f"  {s.where}: {s.skeleton!r} exits {sorted(s.codes)}, listed under Exit "
             f"{entries[s.skeleton].code} (errors.md:{entries[s.skeleton].line})"
             for s in raise_sites()
             if s.skeleton in entries and entries[s.skeleton].code not in s.codes]
    assert not wrong, "\n".join(wrong)


def test_entries_are_unique_and_have_examples():
    entries = catalogue()
    seen: dict[str, int] = {}
    for e in entries:
        assert e.skeleton not in seen, f"errors.md:{e.line} repeats errors.md:{seen[e.skeleton]}"
        seen[e.skeleton] = e.line
    text = CATALOGUE.read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=### )", text)[1:]
    lacking = [b.splitlines()[0] for b in blocks
               if not re.search(r"^- example: ", b, re.M) or not re.search(r"^- fix: ", b, re.M)]
    assert not lacking, "entries without '- example:' or '- fix:':\n" + "\n".join(lacking)


# ---------------------------------------------------------------------------------------------
# Running the examples


def _make_files(where: Path) -> None:
    """The files the examples name (their names say what they are)."""
    (where / "latin1.txt").write_bytes("é,1\n".encode("latin-1"))
    (where / "empty.csv").write_text("")
    (where / "latin1-answers.csv").write_bytes("loss,pred,target,expect\nmse,1,1,0\nmse,é,1,0\n"
                                               .encode("latin-1"))
    (where / "problems.json").write_text('[{"loss": "mse", "pred": [1], "target": [1]}]\n')
    (where / "huge-int.jsonl").write_text('{"loss": "mse", "pred": [1%s], "target": [1]}\n'
                                          % ("0" * 400))
    (where / "huge-int.json").write_text("[1%s]" % ("0" * 400))
    (where / "huger-int.json").write_text("[1%s]" % ("0" * 5000))
    (where / "long-cell.csv").write_text('loss,pred,target,expect\nmse,"%s",0,1\n'
                                         % ("1," * 70_000 + "1"))
    (where / "header-only.csv").write_text("pred,target\n")
    (where / "one-column.csv").write_text("pred\n1\n2\n")
    (where / "pairs.csv").write_text("pred,target\n1,2\n3,1\n")
    (where / "data.csv").write_text("pred,target\n0.5,1\n0.3.1,0\n")
    (where / "ragged.csv").write_text("pred,target\n0.5,1\n0.25\n")
    (where / "nan.csv").write_text("pred,target\n0.5,1\nnan,0\n")
    (where / "cr.csv").write_text("pred,target\n0.5,1\n0.3\r0,1\n", newline="")
    (where / "names.csv").write_text("student,score\nAnn,0.5\n")
    (where / "gbk.csv").write_bytes("student,pred,target\n张三,0.5,1\n".encode("gb18030"))
    (where / "gbk-pred.txt").write_bytes("1，2，3  # 预测值\n".encode("gb18030"))
    (where / "gbk-problems.jsonl").write_bytes('{"loss": "mse", "pred": [1], "target": [1], '
                                               '"id": "第一题"}\n'.encode("gb18030"))
    (where / "binary.txt").write_bytes(b"\x00\x01\xff\xfe" * 8)
    (where / "gbk-answers.csv").write_bytes("题号,loss,pred,target,expect\nq1,mse,1,1,0\n"
                                            .encode("gb18030"))
    (where / "object.json").write_text('{"a": 1}')
    (where / "bad.json").write_text("[1, 2")
    (where / "typo.csv").write_text("0.5,1o\n0.3,1\n")
    deep = "[" * 10_000 + "]" * 10_000
    (where / "deep.json").write_text(deep)
    (where / "deep.jsonl").write_text(f'{{"loss": "mse", "pred": {deep}, "target": [1]}}\n')
    (where / "mixed.jsonl").write_text('{"loss": "msee", "pred": [1], "target": [1]}\n'
                                       '{"loss": "mse", "pred": [1], "target": [2], "expect": 5}\n')
    (where / "ragged-answers.csv").write_text('id,loss,pred,target,expect\nq1,mse,"1,2","1,3"\n')
    (where / "extra-column.csv").write_text(
        'id,loss,pred,target,expect,note\nq1,mse,"1,2","1,3",0.5,x\n')
    (where / "objects.npy").write_bytes(b"\x93NUMPY\x01\x00garbage")
    np.save(where / "strings.npy", np.array(["a", "b"]))
    np.savez(where / "two.npz", a=np.arange(3.0), b=np.arange(3.0))
    (where / "a-directory").mkdir()
    (where / "answers.csv").write_text('id,loss,pred,target\nq1,mse,"1,2","1,3"\n')
    (where / "no-expect.jsonl").write_text('{"loss": "mse", "pred": [1], "target": [2]}\n')
    (where / "wrong.jsonl").write_text(
        '{"loss": "mse", "pred": [1], "target": [2], "expect": 5}\n')
    # A .npy whose header claims 10**12 float64 values (8 TB), followed by no data.
    header = "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000000,), }"
    header += " " * (-(len(header) + 11) % 64) + "\n"
    (where / "huge.npy").write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little")
                                     + header.encode())
    # An .npz whose member's header claims 50 million float64 values (400 MB inflated).
    bomb = header.replace("1000000000000", "50000000")
    with zipfile.ZipFile(where / "bomb.npz", "w") as z:
        z.writestr("a.npy", b"\x93NUMPY\x01\x00" + len(bomb).to_bytes(2, "little")
                   + bomb.encode())
    _make_datasets(where)


def _make_datasets(where: Path) -> None:
    """The Parquet files and folders the --table examples name."""
    (where / "empty-folder").mkdir()
    (where / "broken.parquet").write_bytes(b"PAR1 not really")
    (where / "folder-with-csv-and-parquet").mkdir()
    (where / "folder-with-csv-and-parquet" / "a.csv").write_text("pred,target\n1,2\n")
    (where / "ragged-parts").mkdir()
    (where / "mse-part.json").write_text(
        '{"format": "losscalc-partial/1", "loss": "mse", "reduction": "mean", "dtype": "float64", '
        '"params": {}, "rows": 1, "shape": {"pred": [1], "target": [1]}, "sum": ["0x1p+0"], '
        '"divisor": ["0x1p+0"], "value": 1.0}')
    (where / "l1-part.json").write_text(
        (where / "mse-part.json").read_text().replace('"mse"', '"l1"'))
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return
    pq.write_table(pa.table({"pred": [1.0]}), where / "folder-with-csv-and-parquet" / "b.parquet")
    pq.write_table(pa.table({"pred": [1.0, None], "target": [1.0, 2.0]}),
                   where / "with-nulls.parquet")
    pq.write_table(pa.table({"name": ["a", "b"], "pred": [1.0, 2.0], "target": [1.0, 2.0]}),
                   where / "data.parquet")
    pq.write_table(pa.table({"pred": [1.0], "target": [1.0]}), where / "ragged-parts" / "a.parquet")
    pq.write_table(pa.table({"pred": [1.0], "y": [1.0]}), where / "ragged-parts" / "b.parquet")


def _parse_example(example: str) -> tuple[list[str], str]:
    """`[echo 'X' | ] [printf 'X' | ] losscalc ARGS [< FILE]` → (ARGS, standard input)."""
    stdin = ""
    if " | losscalc " in f" {example}":
        producer, example = example.split(" | losscalc ", 1)
        example = "losscalc " + example
        words = shlex.split(producer)
        assert words[0] in ("echo", "printf") and len(words) == 2, producer
        stdin = words[1] + "\n" if words[0] == "echo" else \
            words[1].replace("\\n", "\n").replace("\\r", "\r").replace("\\t", "\t")
    words = shlex.split(example)
    assert words[0] == "losscalc", example
    if "<" in words:
        at = words.index("<")
        stdin = Path(words[at + 1]).read_text(encoding="utf-8")
        words = words[:at] + words[at + 2:]
    return words[1:], stdin


def _examples():
    return [pytest.param(e, x, id=f"errors.md:{e.line}") for e in catalogue() for x in e.examples
            if x.startswith(("losscalc ", "echo ", "printf "))]


@pytest.mark.parametrize(("entry", "example"), _examples())
def test_example_gives_its_message(entry, example, tmp_path, monkeypatch, capsys):
    from losscalc.cli import main

    _make_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    args, stdin = _parse_example(example)
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(args)
    out, err = capsys.readouterr()
    assert code == entry.code, f"{example}: exit {code}, not {entry.code}\n{err}"
    prefix = "losscalc: " if entry.code == 1 else "losscalc: error: "
    first = err.splitlines()[0] if err else ""
    said = [first.removeprefix(prefix)]
    for line in out.splitlines():  # batch answers a bad line on stdout, check lists it
        if line.startswith("{") and '"error"' in line:
            said.append((json.loads(line)["error"] or "").split(" (hint: ")[0])
        elif m := re.match(r"line \d+: (.*)|\d+\terror\t(.*)", line):  # table, plain
            said.append((m.group(1) or m.group(2)).split(" (hint: ")[0])
    assert first.startswith(prefix), f"{example}: stderr is {err!r}"
    assert any(entry.pattern().fullmatch(s) for s in said), (
        f"{example}: the message does not match its template\n  template: {entry.template}\n"
        f"  got:      {said}")


# ---------------------------------------------------------------------------------------------
# Translations


def test_every_message_has_a_translation():
    """Each message of the catalogue is a msgid of every language's catalogue
    (losscalc/locale/LL/LC_MESSAGES/losscalc.po), translated: the entries named here need
    one (scripts/extract_messages.py adds them untranslated; then scripts/msgfmt.py). A
    template without words of its own (``<option>: <message>``) needs none."""
    locale = PACKAGE / "locale"
    for po in sorted(locale.glob("*/LC_MESSAGES/losscalc.po")):
        translated = {m.group(1) for m in re.finditer(
            r'^msgid "(.*)"\nmsgstr "(?!")', po.read_text(encoding="utf-8"), re.M)}
        untranslated = [f"  errors.md:{e.line}: {e.template}" for e in catalogue()
                        if re.search("[A-Za-z]", re.sub(r"<[^<>\s][^<>]*>", "", e.template))
                        and e.template.replace("\\", "\\\\").replace('"', '\\"')
                        not in translated]
        assert not untranslated, (f"{po.relative_to(ROOT)} has no translation of:\n"
                                  + "\n".join(untranslated))
