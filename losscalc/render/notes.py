"""The explanation as Markdown (with $…$ math) and as a LaTeX align* block, for homework,
notes and slides. Formulas are translated from the Unicode the other renderers show."""

from __future__ import annotations

import re

from .explain import Explanation, Prose

# Unicode symbols → LaTeX (in math mode).
_SYMBOLS = {
    "−": "-", "·": r" \cdot ", "≠": r" \neq ", "≥": r" \geq ", "≤": r" \leq ",
    "∞": r"\infty ", "∂": r"\partial ", "…": r"\ldots ", "ℓ": r"\ell ", "ε": r"\varepsilon ",
    "δ": r"\delta ", "β": r"\beta ", "σ": r"\sigma ", "Σ": r"\Sigma ", "‖": r"\| ",
    # act, info, backprop
    "′": "'", "½": r"\tfrac{1}{2}", "√": r"\surd ",
    "→": r"\to ", "α": r"\alpha ", "κ": r"\kappa ", "π": r"\pi ",
    "τ": r"\tau ", "Φ": r"\Phi ", "φ": r"\varphi ",
    # margin losses
    "∉": r" \notin ",
}
# Runs of Unicode sub- and superscripts (αₜ₋₁, d⁻ₘᵢₙ, x², Wᵀ) → one _{…} or ^{…} each.
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋ₐₑₒₓₕₖₗₘₙₚₛₜᵢⱼ", "0123456789+-aeoxhklmnpstij"))
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻ᵀ", "0123456789+-T"))
_SCRIPT_RUN = re.compile(f"[{''.join(_SUBSCRIPTS)}]+|[{''.join(_SUPERSCRIPTS)}]+")


def _scripts(text: str) -> str:
    def one(match: re.Match) -> str:
        run = match.group(0)
        if run[0] in _SUBSCRIPTS:
            return "_{" + "".join(_SUBSCRIPTS[c] for c in run) + "}"
        return "^{" + "".join(_SUPERSCRIPTS[c] for c in run) + "}"

    return _SCRIPT_RUN.sub(one, text)


_FUNCTIONS = {"ln": r"\ln", "exp": r"\exp", "max": r"\max", "min": r"\min", "sign":
              r"\operatorname{sign}", "onehot": r"\operatorname{onehot}"}


def _word(match: re.Match) -> str:
    word = match.group(0)
    if word in ("if", "else"):  # become \text{ if } below
        return word
    if word in _FUNCTIONS:
        return _FUNCTIONS[word] + " "
    return rf"\mathrm{{{word}}}" if len(word) > 1 else word


def latex_math(text: str) -> str:
    """A formula line as LaTeX math: symbols, functions, words, subscripts, sums."""
    text = re.sub(r"Σ_(\w)\(", r"\\sum_{\1}(", text)
    text = re.sub(r"Σ\(", r"\\sum(", text)
    text = re.sub(r"(?<![\\A-Za-z])[A-Za-z]{2,}(?![A-Za-z{])", _word, text)
    text = text.replace(" if ", r" \text{ if } ").replace(" else ", r" \text{ else } ")
    text = re.sub(r"_(\w+)", r"_{\1}", text).replace("%", r"\%")
    text = _scripts(text)
    for symbol, command in _SYMBOLS.items():
        text = text.replace(symbol, command)
    return re.sub(r" +", " ", text).strip()


def latex_prose(text: str) -> str:
    """Words for \\text{}: LaTeX specials escaped, math symbols as inline math."""
    text = re.sub(r"([%&#_{}$])", r"\\\1", text)
    text = text.replace("^", r"\^{}").replace("~", r"\~{}")
    text = _SCRIPT_RUN.sub(lambda m: f"${_scripts(m.group(0))}$", text)
    for symbol, command in _SYMBOLS.items():
        text = text.replace(symbol, f"${command.strip()}$")
    return text


def markdown(explanation: Explanation) -> str:
    out = [f"**{explanation.title}**", ""]
    for section in explanation.sections:
        if not section.lines:
            out += [f"*{section.title}*", ""]
            continue
        out += [f"**{section.title.capitalize()}**", ""]
        for line in section.lines:
            out.append(f"- {line}" if isinstance(line, Prose) else f"- ${latex_math(line)}$")
        out.append("")
    out += [f"> note: {note}" for note in explanation.notes]
    return "\n".join(out).rstrip() + "\n"


def _align_row(line: str) -> str:
    if isinstance(line, Prose) or " = " not in line:
        return rf"  & \text{{{latex_prose(line)}}}"
    left, right = line.split(" = ", 1)
    return f"  {latex_math(left)} &= {latex_math(right)}"


def latex(explanation: Explanation) -> str:
    """An align* block (needs amsmath) that compiles as it is."""
    rows = [rf"  & \text{{{latex_prose(explanation.title)}}}"]
    for section in explanation.sections:
        rows.append(rf"  & \text{{\textbf{{{latex_prose(section.title)}}}}}")
        rows += [_align_row(line) for line in section.lines]
    rows += [rf"  & \text{{note: {latex_prose(note)}}}" for note in explanation.notes]
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"
