"""`--format html`: one self-contained page per command — value, tables, explanation, formulas
in MathML Core with the numbers as computed — that names nothing outside itself, escapes what
the user typed, closes every tag, and renders in a browser.

With a headless Chromium (`.ci/run` installs one where it can) a page is loaded, screenshot and
measured; without one, the markup checks alone run.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ElementTree

import pytest

import losscalc
from losscalc.formulas import mathml
from losscalc.render import html

COMMANDS = {
    "loss": ("mse", "-p", "1,2,3", "-t", "1,2,5"),
    "class axis": ("ce", "--logits", "2,0.5,-1; 0.1,0.2,3", "-t", "0,2", "--explain"),
    "act": ("act", "softmax", "--x", "1,2,3"),
    "info": ("info", "kl", "--p", "0.5,0.5", "--q", "0.9,0.1"),
    "backprop": ("backprop",),
    "compare": ("compare", "mse,l1", "-p", "1,2", "-t", "1,3"),
}
MATHML_CORE = {"math", "mrow", "mi", "mn", "mo", "mtext", "mfrac", "msub", "msup", "munder"}


def _document(page: str) -> ElementTree.Element:
    """The page parsed as XML (every tag closed, every entity escaped); the doctype first."""
    assert page.startswith("<!DOCTYPE html>\n")
    return ElementTree.fromstring(page.split("\n", 1)[1])


def _self_contained(page: str) -> None:
    lowered = page.lower()
    for remote in ("http", "src=", "<script", "<link", "@import", "url(", "<iframe", "<img"):
        assert remote not in lowered, remote


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_writes_one_self_contained_page(cli, name):
    code, out, err = cli(*COMMANDS[name], "--format", "html")
    assert code == 0, err
    root = _document(out)
    _self_contained(out)
    assert root.tag == "html" and root.find("head/style") is None  # the style is in the body
    assert len(root.findall(".//article")) == 1 and root.find(".//style") is not None
    tags = {el.tag for el in root.iter()}
    if name != "compare":  # compare has no explanation
        assert "math" in tags and {t for t in tags if t.startswith("m")} <= MATHML_CORE | {"meta"}


def test_the_page_shows_the_value_tables_and_explanation_with_the_computed_numbers(cli):
    code, out, _ = cli("mse", "-p", "1,2,3", "-t", "1,2,5", "--format", "html")
    root = _document(out)
    # d = (0, 0, −2), ℓ = d² = (0, 0, 4); loss = Σℓ / n = 4/3; ∂/∂x = 2d/3
    assert root.find(".//p[@class='value']/strong").text == "1.33333"
    caption = [c.text for c in root.iter("caption")]
    assert caption == ["Per-element losses"]
    rows = [[td.text for td in tr.iter("td")] for tr in root.iter("tr")][1:]
    assert rows[2] == ["2", "3", "5", "4", "−1.33333"]
    assert "<msup><mi>d</mi><mn>2</mn></msup>" in out  # ℓ = d²
    assert ("<mi>loss</mi><mo>=</mo><mfrac><mn>4</mn><mn>3</mn></mfrac><mo>=</mo>"
            "<mn>1.33333</mn>") in out
    assert "<mi>d</mi><mo>=</mo><mn>3</mn><mo>−</mo><mn>5</mn><mo>=</mo><mn>−2</mn>" in out


def test_the_digits_option_holds_on_the_page(cli):
    code, out, _ = cli("mse", "-p", "1,2,3", "-t", "1,2,5", "--format", "html", "--digits", "3")
    assert "<mn>1.33</mn>" in out and "1.33333" not in out


@pytest.mark.parametrize("explain", [[], ["--explain"]])
def test_a_chinese_page_is_chinese_with_or_without_explain(cli, explain):
    # The page always shows the explanation: in the reader's language, like --explain's
    # text, and each note once (the explanation's notes are not repeated under it).
    code, out, err = cli("info", "cross-entropy", "--p", "0.5,0.5", "--q", "0.5,0.4",
                         "--lang", "zh", "--format", "html", *explain)
    assert code == 0, err
    assert "<h4>formulas</h4>" not in out and "公式" in out
    assert out.count("之和为 0.9") == 1 and "sums to 0.9" not in out


def test_user_text_is_escaped(cli, tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text('id,loss,pred,target,expect\n"<i>&x</i>",mse,1,3,4\n"<script>",mse,1,2,9\n')
    code, out, err = cli("check", answers, "--format", "html")
    assert code == 1, err  # the second answer is wrong: (1 − 2)² = 1, not 9
    _document(out)
    _self_contained(out)
    assert "&lt;i&gt;&amp;x&lt;/i&gt;" in out and "&lt;script&gt;" in out


def test_mathml_escapes_and_structures_a_formula():
    assert mathml("a < b & c") == ("<math display=\"inline\"><mrow><mi>a</mi><mo>&lt;</mo>"
                                    "<mi>b</mi><mo>&amp;</mo><mi>c</mi></mrow></math>")
    # Σ_c over its index, αₜ₋₁ as a subscript, ½ as a fraction, ∂loss/∂x as one
    markup = mathml("αₜ₋₁ = Σ_c(x) + ½d² + ∂loss/∂x")
    ElementTree.fromstring(markup)
    assert "<munder><mo>Σ</mo><mi>c</mi></munder>" in markup
    assert "<msub><mi>α</mi><mrow><mi>t</mi><mo>−</mo><mn>1</mn></mrow></msub>" in markup
    assert "<mfrac><mn>1</mn><mn>2</mn></mfrac><msup><mi>d</mi><mn>2</mn></msup>" in markup
    assert ("<mfrac><mrow><mo>∂</mo><mi>loss</mi></mrow><mrow><mo>∂</mo><mi>x</mi></mrow>"
            "</mfrac>") in markup
    # a parenthesised numerator loses its parentheses in the fraction
    assert mathml("(1 − y) / 2").count("<mo>(</mo>") == 0


def test_a_page_of_many_reports_and_explanations():
    """What a problem set's worked solutions are written with: reports and explanations."""
    first = losscalc.compute("mse", pred=[1, 2], target=[1, 3])
    second = losscalc.compute("huber", pred=[4.5], target=[3])
    page = html.page([first.report, second.report.explanation(6, False)], title="Solutions <1>")
    root = _document(page)
    _self_contained(page)
    assert root.find("head/title").text == "Solutions <1>"
    assert len(root.findall(".//article")) == 2
    assert [h.text for h in root.iter("h3")] == [
        "mse: torch.nn.MSELoss · reduction mean · float64",
        "huber: torch.nn.HuberLoss · reduction mean · float64"]


# --- in a browser ----------------------------------------------------------------------------

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# Test-only: the page with a script that writes each <math>'s rendered size into the DOM.
PROBE = ("<script>var s=[];document.querySelectorAll('math').forEach(function(m){"
         "var b=m.getBoundingClientRect();s.push([b.width,b.height]);});"
         "var p=document.createElement('pre');p.id='sizes';p.textContent=JSON.stringify(s);"
         "document.body.appendChild(p);</script>")


def _browser() -> str | None:
    return next((path for path in map(shutil.which, BROWSERS) if path), None)


def _headless(browser: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                           "--hide-scrollbars", "--no-first-run", *args],
                          capture_output=True, text=True, timeout=120)


def test_a_browser_renders_the_math(cli, tmp_path):
    code, out, _ = cli("ce", "--logits", "2,0.5,-1; 0.1,0.2,3", "-t", "0,2", "--format", "html")
    _document(out)  # without a browser, the markup is what can be checked
    browser = _browser()
    if browser is None:
        pytest.skip("no headless Chromium here (.ci/run installs one where it can)")
    page = tmp_path / "ce.html"
    page.write_text(out, encoding="utf-8")
    shot = tmp_path / "ce.png"
    _headless(browser, "--window-size=900,1400", f"--screenshot={shot}", page.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    probe = tmp_path / "probe.html"
    probe.write_text(out.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    dom = _headless(browser, "--dump-dom", probe.as_uri()).stdout
    sizes = json.loads(re.search(r'<pre id="sizes">([^<]*)</pre>', dom).group(1))
    assert len(sizes) == out.count("<math") > 10
    assert all(width > 0 and height > 0 for width, height in sizes), sizes


@pytest.mark.parametrize(("args", "expected"), [
    (["act", "sigmoid", "-x", "0"], "0.5"),  # σ(0) = ½: a single value without a line of its own
    (["mse", "-p", "1", "-t", "3"], "4"),  # (1 − 3)² = 4
    (["info", "entropy", "--p", "0.5,0.5"], "0.693147 nats"),  # ln 2 = 0.693147…, 6 digits
])
def test_the_value_line_is_the_same_in_a_table_and_in_html(cli, args, expected):
    import re

    code, table, _ = cli(*args, "--format", "table", "--no-color")
    assert code == 0
    code, html, _ = cli(*args, "--format", "html")
    shown = re.search(r'<p class="value">value <strong>([^<]*)</strong>', html).group(1)
    assert f"value {shown}" in table.splitlines()[1], (table, shown)
    assert shown == expected
