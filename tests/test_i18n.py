"""Messages in other languages (docs/contract.md, "Languages"): --lang and the environment
choose the language; the gettext catalogues shipped in losscalc/locale are current; a
translation changes words only — never a number, a JSON key, plain output or an exit code."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
import sys
from pathlib import Path

import pytest
from conftest import modules_after

from losscalc import i18n

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "losscalc" / "locale"


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


msgfmt = _script("msgfmt")
extract = _script("extract_messages")


# ---------------------------------------------------------------------------------------------
# Which language


@pytest.mark.parametrize(("env", "lang"), [
    ({}, "en"),
    ({"LANG": "C"}, "en"),
    ({"LANG": "POSIX"}, "en"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "en_US.UTF-8"}, "en"),
    ({"LANG": "zh_CN.UTF-8"}, "zh"),
    ({"LANG": "zh_TW"}, "zh"),
    ({"LANG": "zh"}, "zh"),
    ({"LANG": "fr_FR.UTF-8"}, "en"),  # no French catalogue: the code's English
    ({"LC_MESSAGES": "zh_CN.GB18030"}, "zh"),
    ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "zh"),  # LC_ALL before LANG
    ({"LC_ALL": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "en"),
    ({"LANGUAGE": "fr:zh:en", "LANG": "en_US.UTF-8"}, "zh"),  # the first one losscalc has
    ({"LANGUAGE": "en:zh"}, "en"),
    ({"LANGUAGE": "", "LANG": "zh_CN.UTF-8"}, "zh"),  # an empty variable is not set
    ({"LOSSCALC_LANG": "en", "LANG": "zh_CN.UTF-8"}, "en"),  # losscalc's own overrides
    ({"LOSSCALC_LANG": "zh", "LC_ALL": "C"}, "zh"),
])
def test_language_of_the_environment(monkeypatch, env, lang):
    for name in ("LOSSCALC_LANG", *i18n.ENVIRONMENT):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert i18n.from_environment() == lang


def test_lang_option_overrides_the_environment(cli, monkeypatch):
    monkeypatch.setenv("LOSSCALC_LANG", "zh")
    code, _, err = cli("mse", "-p", "1", "--lang", "en")
    assert (code, err.splitlines()[0]) == (2, "losscalc: error: mse needs --target")
    code, _, err = cli("mse", "-p", "1")
    assert code == 2 and "需要" in err
    monkeypatch.setenv("LOSSCALC_LANG", "en")
    code, _, err = cli("mse", "-p", "1", "--lang=zh")
    assert code == 2 and err.splitlines()[0] == "losscalc: error: mse 需要 --target"


def test_an_unknown_language_is_a_usage_error(cli):
    code, out, err = cli("mse", "-p", "1", "-t", "1", "--lang", "fr")
    assert (code, out) == (2, "")
    assert err.startswith("losscalc: error: unknown language 'fr' for --lang; choose en, zh")


def test_a_parsing_error_is_in_the_language_asked_for(cli):
    """--lang is read before the command line is parsed: the unknown command comes first."""
    code, _, err = cli("msee", "-p", "1", "--lang", "zh")
    assert code == 2 and "你是想输入 'losscalc mse' 吗？" in err


def test_values_are_carried_into_the_translation(cli):
    code, out, err = cli("batch", "--lang", "zh",
                         stdin='{"loss": "msee", "pred": [1], "target": [1]}\n')
    assert "未知的损失函数 'msee'" in out and "'mse'" in out


def test_english_runs_open_no_catalogue():
    """A plain result in an English environment pays nothing for the translations."""
    english = modules_after(["mse", "-p", "1,2,3", "-t", "1,2,5"],
                            "import os; os.environ.update(LOSSCALC_LANG='', LANG='en_US.UTF-8')")
    assert "losscalc._catalogue" not in english
    chinese = modules_after(["mse", "-p", "1,2,3", "--lang", "zh"], "")
    assert "losscalc._catalogue" in chinese  # the check above can see a catalogue load


# ---------------------------------------------------------------------------------------------
# The catalogues


def test_the_pot_is_current():
    """losscalc/locale/losscalc.pot holds every text the code and docs/errors.md show."""
    assert (LOCALE / "losscalc.pot").read_text(encoding="utf-8") == extract.pot_text(), (
        "run python scripts/extract_messages.py")


@pytest.mark.parametrize("po", msgfmt.catalogues(), ids=lambda p: p.parts[-3])
def test_each_mo_is_its_po_compiled(po):
    assert po.with_suffix(".mo").read_bytes() == msgfmt.mo_bytes(
        msgfmt.read_po(po.read_text(encoding="utf-8"))), "run python scripts/msgfmt.py"


def test_msgfmt_output_is_what_gettext_reads(tmp_path):
    """The compiled form, read back by Python's gettext: a round trip through an independent
    reader of the .mo format."""
    import gettext

    entries = [("", "Content-Type: text/plain; charset=UTF-8\n", False),
               ("loss", "损失", False), ("gradient", "梯度", True), ("mean", "", False)]
    path = tmp_path / "t.mo"
    path.write_bytes(msgfmt.mo_bytes(entries))
    with path.open("rb") as fp:
        t = gettext.GNUTranslations(fp)
    assert t.gettext("loss") == "损失"
    assert t.gettext("gradient") == "gradient"  # fuzzy: left out, as GNU msgfmt does
    assert t.gettext("mean") == "mean"


def test_templates_fill_in_their_values():
    from losscalc._catalogue import Template

    t = Template("<loss> needs <option>; got <n> of <m>", "<loss> 需要 <option>；得到 <m> 中的 <n>")
    assert t.fill("mse needs --target; got 1 of 2") == "mse 需要 --target；得到 2 中的 1"
    assert t.fill("something else") is None
    repeated = Template("the <name> shape <s> differs from the <name> shape <s>",
                        "<name> 的形状 <s> 与 <name> 的形状 <s> 不同")
    assert repeated.fill("the pred shape (2,) differs from the target shape (3,)") == \
        "pred 的形状 (2,) 与 target 的形状 (3,) 不同"


def _templates(tmp_path, entries):
    from losscalc._catalogue import Templates

    path = tmp_path / "t.mo"
    path.write_bytes(msgfmt.mo_bytes(
        [("", "Content-Type: text/plain; charset=UTF-8\n", False)] +
        [(m, s, False) for m, s in entries]))
    with path.open("rb") as fp:
        return Templates(fp)


def test_a_trailing_value_is_one_word_unless_the_catalogue_reads_it(tmp_path):
    """A template that ends in a value ("row <n>") is no prefix of every text that starts with
    its words: "row t is the target's row" is not row number "t is the target's row"."""
    t = _templates(tmp_path, [("row <n>", "第 <n> 行"), ("fails at index <fails>", "在索引 <fails> 处不成立"),
                              ("divides by <what>", "除以 <what>"),
                              ("the number of targets", "目标的个数")])
    assert t.translate("row 3") == "第 3 行"
    assert t.translate("row t is the target's row") == "row t is the target's row"
    # a list of values, a shape, a phrase the catalogue itself translates: all one value
    assert t.translate("fails at index 0, 1, 2") == "在索引 0, 1, 2 处不成立"
    assert t.translate("fails at index (0, 3), (1, 0)") == "在索引 (0, 3), (1, 0) 处不成立"
    assert t.translate("divides by the number of targets") == "除以 目标的个数"
    assert t.translate("divides by the batch of Sunday") == "divides by the batch of Sunday"


def test_a_value_right_before_another_is_one_value(tmp_path):
    """"expected 0 to <max><ignored>": the first value is 1, the second its own text."""
    t = _templates(tmp_path, [("expected 0 to <max><ignored>", "应为 0 到 <max><ignored>"),
                              (" (or the ignore index <i>)", "（或忽略索引 <i>）")])
    assert t.translate("expected 0 to 1 (or the ignore index -100)") == "应为 0 到 1（或忽略索引 -100）"
    assert t.translate("expected 0 to 4") == "应为 0 到 4"


@pytest.mark.parametrize("po", msgfmt.catalogues(), ids=lambda p: p.parts[-3])
def test_each_po_has_the_msgids_of_the_pot(po):
    pot = [m for m, _, _ in msgfmt.read_po((LOCALE / "losscalc.pot").read_text("utf-8"))]
    have = [m for m, _, _ in msgfmt.read_po(po.read_text(encoding="utf-8"))]
    assert have == pot, "run python scripts/extract_messages.py to bring the .po up to date"


def _numbers(text: str) -> list[str]:
    return re.findall(r"[−-]?\d+(?:\.\d+)?(?:e[−+-]?\d+)?", text)


def _translations(po: Path) -> dict[str, str]:
    return {m: s for m, s, fuzzy in msgfmt.read_po(po.read_text(encoding="utf-8"))
            if m and not fuzzy}


@pytest.mark.parametrize("po", msgfmt.catalogues(), ids=lambda p: p.parts[-3])
def test_every_message_is_translated(po):
    """A new English message (an error, hint, note, explanation line) needs its translation:
    run scripts/extract_messages.py, translate the msgids named here, run scripts/msgfmt.py."""
    missing = [m for m, s in _translations(po).items() if not s]
    assert not missing, f"{po.relative_to(ROOT)} lacks a translation of:\n  " + "\n  ".join(
        missing)


@pytest.mark.parametrize("po", msgfmt.catalogues(), ids=lambda p: p.parts[-3])
def test_translations_use_only_their_msgids_values(po):
    """A translation may leave out an English-only value (the "s" of a plural) but never
    invent one: a <name> the English template lacks would be printed as it is."""
    from losscalc._catalogue import PLACEHOLDER

    wrong = [f"{m!r} → {s!r}" for m, s in _translations(po).items()
             if s and set(PLACEHOLDER.findall(s)) - set(PLACEHOLDER.findall(m))]
    assert not wrong, "\n".join(wrong)


# ---------------------------------------------------------------------------------------------
# Words change, numbers do not


def _loss_examples() -> list:
    from losscalc.losses import all_losses
    from losscalc.registry import LOSSES

    all_losses()
    return [pytest.param(shlex.split(spec.example)[1:], id=name) for name, spec in LOSSES.items()]


OTHER_COMMANDS = [
    ["act", "softmax", "--x", "1,2,3"],
    ["act", "sigmoid", "--x", "-1,0,2"],
    ["info", "entropy", "--p", "0.7,0.2,0.1"],
    ["info", "kl", "--p", "0.7,0.2,0.1", "--q", "0.6,0.3,0.1"],
    ["backprop"],
]
NO_EXPLANATION = [["compare", "l1,mse,huber", "--pred", "0.5,2,4", "--target", "1,1,1"],
                  ["check", "answers.csv"]]


TEXT_FIELDS = ("error", "hint")  # the JSON fields in words, translated


def _untranslated(document):
    """A JSON document without its text fields (checked to be in the language asked for)."""
    if isinstance(document, dict):
        return {k: _untranslated(v) for k, v in document.items() if k not in TEXT_FIELDS}
    if isinstance(document, list):
        return [_untranslated(v) for v in document]
    return document


def _run_both(cli, args):
    return [cli(*args, "--lang", lang) for lang in ("en", "zh")]


@pytest.mark.parametrize("args", [*_loss_examples(),
                                  *[pytest.param(a, id=" ".join(a[:2]))
                                    for a in OTHER_COMMANDS + NO_EXPLANATION]])
def test_zh_output_has_the_same_numbers(cli, args, tmp_path, monkeypatch):
    """JSON and plain output are byte for byte the English ones; the zh explanation shows the
    same numbers, in the same order, as the English one."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "answers.csv").write_text('id,loss,pred,target,expect\nq1,mse,"1,2","1,3",0.5\n'
                                          'q2,mse,"1,2","1,3",9\nq3,msee,1,1,1\n')
    (code_en, out_en, _), (code_zh, out_zh, _) = _run_both(cli, [*args, "--json"])
    assert code_zh == code_en
    assert _untranslated(json.loads(out_zh)) == _untranslated(json.loads(out_en))
    (code_en, out_en, _), (code_zh, out_zh, _) = _run_both(cli, [*args, "--format", "plain"])
    assert code_zh == code_en
    if "error" in out_en:  # a problem's message is a text field: the rest is the same
        assert _numbers(out_zh) == _numbers(out_en)
    else:
        assert out_zh == out_en
    if args[0] in ("compare", "check"):
        return
    (code_en, en, _), (code_zh, zh, _) = _run_both(cli, [*args, "--explain", "--format", "plain"])
    assert code_en == code_zh == 0
    assert _numbers(zh) == _numbers(en)
    assert re.search(r"[\u4e00-\u9fff]", zh), "the zh explanation has no Chinese in it"


# ---------------------------------------------------------------------------------------------
# Chinese that reads whole: no English phrase left in what a zh reader sees

# Words a formula or a name uses, and names kept in Latin letters in Chinese texts too.
LATIN = {"if", "else", "ln", "exp", "log", "max", "min", "sign", "mean", "sum", "none",
         "softmax", "sigmoid", "cos", "onehot", "argmax", "PyTorch", "Keras", "NumPy", "logits",
         "one-hot", "batchmean", "nan", "inf"}
ENGLISH_RUN = re.compile(r"[A-Za-z]{2,}(?:[ ][A-Za-z]{2,})+")


def english_runs(text: str, names=()) -> list[str]:
    """Runs of two or more English words outside formulas, option names, loss names, quoted
    values and references: what a translation left in English."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if re.match(r"^[^\s\u4e00-\u9fff]+ = ", line):  # a formula or step: name = …
            continue
        for name in names:
            line = line.replace(name, " ")
        line = re.sub(r"'[^']*'|--[\w-]+|\b[\w-]+(?:\.\w+)+|\b\w+(?:-\w+)+", " ", line)
        line = " ".join("·" if w in LATIN else w for w in line.split(" "))
        found += ENGLISH_RUN.findall(line)
    return found


def test_a_hint_glued_from_options_reads_whole_in_zh(cli):
    """The options a loss takes, as a list in a hint: joined in Chinese too."""
    _, _, err = cli("margin-ranking", "--logits", "1", "--lang", "zh")
    assert "margin-ranking 接受 --x1, --x2 和 -t/--target；--logits 是 " in err


def test_english_runs_finds_a_fragment_left_in_english():
    assert english_runs("--target：应为一个数 at index [2]，实际得到 'x'") == ["at index"]
    assert english_runs("ℓ = x if y = 1 else max(margin − x, 0)") == []
    assert english_runs("--target：应为一个数（索引 [2] 处），实际得到 'not a number'") == []


def _zh_cases():
    cases = [pytest.param([*args.values[0], "--explain", "-f", "plain"], id=args.id)
             for args in _loss_examples()]
    cases += [pytest.param([*a, "--explain", "-f", "plain"], id=" ".join(a[:2]))
              for a in OTHER_COMMANDS]
    errors = [["mse", "-p", "1,2,3", "-t", "1,2,x"],  # a bad number
              ["mse", "-p", "1,2,3", "-t", "1,2,nan"],
              ["mse", "-p", "1,2,3", "-t", "1,2"],  # shapes
              ["mse", "-p", "1,2,3"],  # a missing tensor
              ["mse", "-p", "[1,2", "-t", "1"],  # brackets
              ["msee", "-p", "1"],  # an unknown loss
              ["ce", "--logits", "1,2;3,4", "-t", "0,5"],  # a class out of range
              ["bce", "-p", "0.5,1.5", "-t", "1,0"],  # outside [0, 1]
              ["mse", "-p", "@/nonexistent/file", "-t", "1"],  # I/O
              ["huber", "-p", "1", "-t", "1", "--delta", "-1"],  # a parameter
              ["mse", "1,2,3", "1,2,5"],  # positional tensors
              ["bce", "--logits", "1", "-t", "1"]]  # the option of another loss
    cases += [pytest.param(a, id="error " + " ".join(a[:3])) for a in errors]
    return cases


# Texts still (partly) in English in zh. Strict: a case that starts to pass must leave this
# list.
KNOWN_GAPS: set[str] = set()


def _with_known_gaps(cases):
    return [pytest.param(*c.values, id=c.id, marks=pytest.mark.xfail(
        strict=True, reason="not yet translated")) if c.id in KNOWN_GAPS else c for c in cases]


@pytest.mark.parametrize("args", _with_known_gaps(_zh_cases()))
def test_zh_output_has_no_english_phrases(cli, args):
    """Every loss's example explained, the other commands, and errors of each kind with their
    hints: in zh, nothing a reader sees is left in English (formulas, names and values
    aside)."""
    from losscalc.losses import all_losses
    from losscalc.registry import LOSSES

    all_losses()
    # a reference is a name, whole or as a title shows it: its citation (authors, year, paper
    # title) without the parenthesis after it
    references = {r for s in LOSSES.values() for r in (s.reference, s.reference.split(" (")[0])}
    names = sorted(references | set(LOSSES), key=len, reverse=True)
    _, out, err = cli(*args, "--lang", "zh")
    assert not english_runs(out + err, names), out + err
