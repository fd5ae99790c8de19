"""The student template, generated from the registry: one function per formula id.

Each function has the reference's signature (``inspect.signature``, without
annotations) and a docstring made of the reference docstring's first
paragraph (Sphinx roles and LaTeX rendered as plain text), the entry's
outputs and summary, and its source. Sections follow the registry's group
order, headed by the first line of ``reference/<group>.py``'s docstring.

``student/template.py`` is this text (tests/meta/test_template.py checks it);
regenerate it with ``python -m checks.registry.template --write``.
"""

from __future__ import annotations

import inspect
import re
import sys
import textwrap
from pathlib import Path

from checks import registry

WIDTH = 76  # of a docstring line, indent included

HEADER = '''\
"""formulacheck submission template.

Copy this file, implement any subset of the functions (keep the names and
signatures exactly), and check it locally:

    pytest --impl=my_submission.py            # every check, with messages (run from the formulacheck clone)
    formulacheck grade my_submission.py       # the grade, as the grader gives it

Rules (see the student API): numpy arrays in, float64 numpy arrays out;
never modify an argument in place; you may import numpy, scipy, math and the
standard library only (torch, jax, tensorflow, autograd and the project's
packages are forbidden). A function left raising NotImplementedError scores 0
for its formula id only.

Generated from the formula registry (`formulacheck template`): one function
per formula id, {n} in all.
"""

import numpy as np  # noqa: F401
'''

# ---------------------------------------------------------------- Sphinx and LaTeX to plain text

_LATEX = [  # (pattern, replacement), applied in order inside :math:`...`
    (r"\\text\{([^{}]*)\}", r"\1"), (r"\\mathrm\{([^{}]*)\}", r"\1"), (r"\\operatorname\{([^{}]*)\}", r"\1"),
    (r"\\mathbb\s*1", "1"), (r"\\frac\s*(\w)\{([^{}]*)\}", r"\1/\2 "), (r"\\frac\{([^{}]*)\}\{([^{}]*)\}", r"(\1)/(\2)"),
    (r"\\sqrt\{([^{}]*)\}", r"√(\1)"), (r"\\sqrt\s*", "√"), (r"\^\\top", "ᵀ"), (r"\\top", "ᵀ"), (r"\^\{?2\}?", "²"),
    (r"\\_", "_"), (r"\\[,;: ]", " "), (r"\\q?quad", "  "),
]
_SYMBOLS = {
    "sigma": "σ", "theta": "θ", "eta": "η", "beta": "β", "alpha": "α", "gamma": "γ", "delta": "δ", "mu": "μ",
    "lambda": "λ", "varepsilon": "ε", "epsilon": "ε", "odot": "⊙", "oslash": "⊘", "otimes": "⊗", "cdot": "·",
    "times": "×", "leftarrow": "←", "rightarrow": "→", "le": "≤", "ge": "≥", "leq": "≤", "geq": "≥", "in": "∈",
    "ni": "∋", "sum": "Σ", "prod": "Π", "partial": "∂", "nabla": "∇", "infty": "∞",
    "tanh": "tanh", "exp": "exp", "log": "log", "max": "max", "min": "min",
}


_OPERATORS = set("⊙⊘⊗·×←→≤≥∈∋")


def _symbol(g: re.Match) -> str:
    sym = _SYMBOLS.get(g.group("name"))
    if sym is None:
        return g.group(0)
    if g.group("glued") is not None and sym in _OPERATORS:
        return sym  # an operator written right after a character takes no space after either: x\odot m -> x⊙m
    return sym + g.group("space")


def _latex(m: str) -> str:
    for pat, rep in _LATEX:
        m = re.sub(pat, rep, m)
    m = re.sub(r"(?P<glued>(?<=\S))?\\(?P<name>[A-Za-z]+)(?P<space> ?)", _symbol, m)
    return re.sub(r"\s+", " ", m).strip()


def plain(text: str) -> str:
    """A reST docstring paragraph as plain text: ``:math:`` rendered, roles and literals unquoted."""
    text = re.sub(r":math:`([^`]*)`", lambda g: _latex(g.group(1)), text)
    text = re.sub(r":\w+:`~?([^`]*)`", r"\1", text)  # :func:`highway` -> highway
    text = re.sub(r"``([^`]*)``", r"\1", text)
    text = text.replace("\\|", "|")
    return re.sub(r"\s+", " ", text).strip()


def _first_paragraph(obj) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.split("\n\n", 1)[0]


def _capital(s: str) -> str:
    """A sentence's first word capitalised when it is a word ("ties: ..."), not a symbol ("dx = ...", "k largest")."""
    first = s.split(" ", 1)[0].rstrip(":,;")
    return s[:1].upper() + s[1:] if len(first) >= 3 and first.isalpha() and first.islower() else s


def _sentence(s: str) -> str:
    s = s.strip()
    return s if not s or s[-1] in ".!?" else s + "."


# ---------------------------------------------------------------- pieces


def signature(f: registry.Formula) -> str:
    """``name(params)`` of the reference, without annotations."""
    sig = inspect.signature(f.reference)
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    return f"{f.fn_name}{sig.replace(parameters=params, return_annotation=inspect.Signature.empty)}"


def source_line(s: registry.Source) -> str:
    where = f"notes {s.file} {s.section}" if s.in_notes else f"{s.file}, {s.section}"
    return f"{where}: {s.equation}" if s.equation else where


def docstring(f: registry.Formula) -> str:
    """The function's docstring text: what it computes and returns, the entry's summary; its source."""
    what = _sentence(plain(_first_paragraph(f.reference)))
    out = f.outputs[0] if len(f.outputs) == 1 else f"({', '.join(f.outputs)})"
    summary = _sentence(_capital(f.summary)) if f.summary.strip(" .") not in what else ""  # not said already
    parts = [what, "" if len(f.outputs) > 1 and out in what else f"Returns {out}.", summary]
    paras = [" ".join(p for p in parts if p), f"Source: {source_line(f.source)}"]
    return "\n".join(textwrap.fill(p, WIDTH - 4, break_long_words=False, break_on_hyphens=False) for p in paras)


def _quote(doc: str) -> str:
    """A triple-quoted literal of ``doc`` (raw when it holds a backslash), indented for a function body."""
    if '"""' in doc or doc.endswith("\\"):
        raise ValueError(f"docstring {doc[:40]!r}... cannot be quoted: it holds triple quotes or ends with a backslash")
    body = textwrap.indent(doc, "    ").lstrip()
    return f'    {"r" if chr(92) in doc else ""}"""{body}\n    """'


def function(f: registry.Formula) -> str:
    return f"def {signature(f)}:\n{_quote(docstring(f))}\n    raise NotImplementedError\n"


def section(group: str, formulas: list[registry.Formula]) -> str:
    """``# ---- <group>`` and the first paragraph of the group's reference module docstring."""
    mod = inspect.getmodule(formulas[0].reference)
    title = plain(_first_paragraph(mod)) if mod is not None else ""
    lines = [f"# {'-' * max(4, 76 - len(group))} {group}"]
    lines += ["# " + line for line in textwrap.wrap(title, 76, break_long_words=False)]
    return "\n".join(lines)


def render_template() -> str:
    """The whole student template, from the registry as it stands (a scratch one inside ``registry.scratch()``)."""
    fs = registry.all_formulas()
    chunks = [HEADER.format(n=len(fs))]
    for g in registry.groups():
        members = [f for f in fs if f.group == g]
        chunks.append("\n\n" + section(g, members) + "\n\n" + "\n".join(function(f) for f in members))
    return "".join(chunks)


TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "student" / "template.py"


def main(argv: list[str] | None = None) -> int:
    """``python -m checks.registry.template [--write | --check]``: print, rewrite or compare student/template.py."""
    args = sys.argv[1:] if argv is None else argv
    text = render_template()
    if args == ["--write"]:
        TEMPLATE_PATH.write_text(text, encoding="utf-8")
        print(f"wrote {TEMPLATE_PATH} ({text.count(chr(10))} lines)")
        return 0
    if args == ["--check"]:
        same = TEMPLATE_PATH.exists() and TEMPLATE_PATH.read_text(encoding="utf-8") == text
        print(f"{TEMPLATE_PATH}: {'up to date' if same else 'differs from the registry: run with --write'}")
        return 0 if same else 1
    if args:
        print("usage: python -m checks.registry.template [--write | --check]", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
