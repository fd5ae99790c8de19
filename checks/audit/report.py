"""Rendering the audit: text (rich), markdown, self-contained HTML, JSON."""

from __future__ import annotations

import html
import json
import re
from collections import Counter

from checks.audit.model import FILES, VERDICTS, AuditResult

_BY_SHORT = {v: k for k, v in FILES.items()}
_STYLE = {"verified": "green", "erratum": "red", "variant": "yellow", "convention": "cyan"}
_BADGE = {"verified": "#1a7f37", "erratum": "#cf222e", "variant": "#9a6700", "convention": "#0969da"}


def counts(results: list[AuditResult]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for r in results:
        out.setdefault(r.file, Counter())[r.verdict] += 1
    return {f: {v: int(c.get(v, 0)) for v in VERDICTS} for f, c in out.items()}


def _one_line(s: str, limit: int = 220) -> str:
    s = " ".join(s.split())
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _claim_line(r: AuditResult) -> str:
    return f"{r.claim} — “{_one_line(r.quote, 160)}”"


def _errata(results):
    return [r for r in results if r.verdict == "erratum"]


def _header_text(profile: str, seconds: float | None) -> str:
    t = f" in {seconds:.1f}s" if seconds is not None else ""
    return f"Audit of the course notes ({profile} profile{t}): every verdict computed by Hypothesis (derandomized) against the verified reference, torch and SymPy."


# --------------------------------------------------------------------------- JSON


def to_json(results: list[AuditResult]) -> str:
    return json.dumps([r.as_json() for r in results], ensure_ascii=False, indent=2)


# --------------------------------------------------------------------------- markdown


def _md_cell(s: str) -> str:
    return _one_line(s, 400).replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _md_code(s: str) -> str:
    fence = "```"
    while fence in s:
        fence += "`"
    return f"{fence}\n{s}\n{fence}"


def to_markdown(results: list[AuditResult], profile: str = "ci", seconds: float | None = None) -> str:
    out = ["# Audit of the course notes", "", _header_text(profile, None), "",  # no run time: the committed report stays stable
           "Regenerate with `formulacheck audit --format md --out docs/audit.md`. Verdicts: **verified** (holds on every generated input), "
           "**erratum** (wrong: minimal counterexample, error size, correction), **variant** (a legitimate different convention: how far "
           "the results differ and when it matters), **convention** (right under a stated convention that differs from the library's).", ""]
    c = counts(results)
    out += ["## Summary", "", "| notes file | " + " | ".join(VERDICTS) + " | total |", "|---|" + "---:|" * (len(VERDICTS) + 1)]
    tot = Counter()
    for f in sorted(c):
        row = c[f]
        tot.update(row)
        out.append(f"| {f} | " + " | ".join(str(row[v]) for v in VERDICTS) + f" | {sum(row.values())} |")
    out.append("| **all** | " + " | ".join(f"**{tot[v]}**" for v in VERDICTS) + f" | **{sum(tot.values())}** |")
    er = _errata(results)
    if er:
        out += ["", "### Errata found", ""]
        for r in er:
            out.append(f"- [`{r.id}`](#{_anchor(r.id)}) ({_BY_SHORT.get(r.file, r.file)} {r.location}): {_md_cell(r.claim)}")
    for f in sorted({r.file for r in results}):
        out += ["", f"## {f}", "", "| id | location | claim | verdict | evidence |", "|---|---|---|---|---|"]
        for r in results:
            if r.file != f:
                continue
            v = f"**{r.verdict}**" if r.verdict == "erratum" else r.verdict
            idc = f"[`{r.id}`](#{_anchor(r.id)})" if r.verdict != "verified" else f"`{r.id}`"
            out.append(f"| {idc} | {_md_cell(r.location)} | {_md_cell(_claim_line(r))} | {v} | {_md_cell(r.evidence)} |")
    details = [r for r in results if r.verdict != "verified"]
    if details:
        out += ["", "## Errata, variants and conventions", ""]
        for r in details:
            out += [f"### {r.id}", "", f"<a id=\"{_anchor(r.id)}\"></a>", "",
                    f"- **verdict:** {r.verdict}", f"- **file:** {r.file}, {r.location}", f"- **quoted:** {_md_cell(r.quote)}",
                    f"- **claim:** {_md_cell(r.claim)}"]
            if r.convention:
                out.append(f"- **convention:** {_md_cell(r.convention)}")
            if r.counterexample:
                out.append(f"- **counterexample:** `{r.counterexample}`" if "`" not in r.counterexample else f"- **counterexample:** {r.counterexample}")
            if r.error:
                out.append(f"- **{'error' if r.verdict == 'erratum' else 'difference'}:** {_md_cell(r.error)}")
            if r.matters and r.verdict in ("variant", "convention"):
                out.append(f"- **when it matters:** {_md_cell(r.matters)}")
            if r.correction:
                out.append(f"- **correction:** {_md_cell(r.correction)}")
            out.append(f"- **checked:** {_md_cell(r.checked)}; truths: {', '.join(r.truths)}")
            out += ["", _md_code(r.details), ""]
    return "\n".join(out).rstrip() + "\n"


def _anchor(i: str) -> str:
    return "audit-" + "".join(ch if ch.isalnum() else "-" for ch in i.lower())


# --------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","DejaVu Sans","Noto Sans CJK SC","Noto Sans CJK JP",sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#1f2328;line-height:1.45}
table{border-collapse:collapse;width:100%;margin:1em 0;font-size:.92em}th,td{border:1px solid #d0d7de;padding:.35em .5em;vertical-align:top;text-align:left}
th{background:#f6f8fa}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace,"Noto Sans CJK SC","Noto Sans CJK JP";font-size:.88em}
pre{background:#f6f8fa;padding:.8em;overflow-x:auto;white-space:pre-wrap}
.v{color:#fff;border-radius:1em;padding:.05em .6em;font-size:.85em;white-space:nowrap}
section.entry{border-left:4px solid #d0d7de;padding-left:1em;margin:1.5em 0}dt{font-weight:600}dd{margin:0 0 .4em 1em}
"""


def _h(s) -> str:
    return html.escape("" if s is None else str(s), quote=True)


#: the language of the course notes (Simplified Chinese: shared/notes): every quote and a location naming a section
NOTES_LANG = "zh-Hans"
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def _notes(s, tag: str = "span") -> str:
    """Text quoted from the notes, escaped, marked with the notes' language (fonts, screen readers, hyphenation)."""
    return f'<{tag} lang="{NOTES_LANG}">{_h(s)}</{tag}>'


def _location(s) -> str:
    """A location (``A6.2 (5分) eq. 3``): in the notes' language when it quotes a heading (CJK in it)."""
    return _notes(s) if _CJK.search(str(s or "")) else _h(s)


def _badge(v: str) -> str:
    return f'<span class="v" style="background:{_BADGE.get(v, "#57606a")}">{_h(v)}</span>'


def to_html(results: list[AuditResult], profile: str = "ci", seconds: float | None = None) -> str:
    o = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">',
         '<title>formulacheck: audit of the course notes</title>', f'<style>{_CSS}</style></head><body>',
         '<h1>Audit of the course notes</h1>', f'<p>{_h(_header_text(profile, seconds))}</p>']
    c = counts(results)
    o.append('<h2>Summary</h2><table><thead><tr><th>notes file</th>' + ''.join(f'<th>{_badge(v)}</th>' for v in VERDICTS) + '<th>total</th></tr></thead><tbody>')
    tot = Counter()
    for f in sorted(c):
        tot.update(c[f])
        o.append(f'<tr><td>{_h(f)}</td>' + ''.join(f'<td>{c[f][v]}</td>' for v in VERDICTS) + f'<td>{sum(c[f].values())}</td></tr>')
    o.append('<tr><th>all</th>' + ''.join(f'<th>{tot[v]}</th>' for v in VERDICTS) + f'<th>{sum(tot.values())}</th></tr></tbody></table>')
    er = _errata(results)
    if er:
        o.append('<h3>Errata found</h3><ul>')
        for r in er:
            o.append(f'<li><a href="#{_anchor(r.id)}"><code>{_h(r.id)}</code></a> ({_h(_BY_SHORT.get(r.file, r.file))} {_location(r.location)}): {_h(r.claim)}</li>')
        o.append('</ul>')
    for f in sorted({r.file for r in results}):
        o.append(f'<h2>{_h(f)}</h2><table><thead><tr><th>id</th><th>location</th><th>claim</th><th>verdict</th><th>evidence</th></tr></thead><tbody>')
        for r in results:
            if r.file != f:
                continue
            idc = f'<a href="#{_anchor(r.id)}"><code>{_h(r.id)}</code></a>' if r.verdict != "verified" else f'<code>{_h(r.id)}</code>'
            o.append(f'<tr><td>{idc}</td><td>{_location(r.location)}</td><td>{_h(r.claim)}<br><small>“{_notes(_one_line(r.quote, 300))}”</small></td>'
                     f'<td>{_badge(r.verdict)}</td><td><small>{_h(_one_line(r.evidence, 500))}</small></td></tr>')
        o.append('</tbody></table>')
    details = [r for r in results if r.verdict != "verified"]
    if details:
        o.append('<h2>Errata, variants and conventions</h2>')
        for r in details:
            o.append(f'<section class="entry" id="{_anchor(r.id)}"><h3><code>{_h(r.id)}</code> {_badge(r.verdict)}</h3><dl>')
            rows = [("file", f"{r.file}, {r.location}"), ("quoted", r.quote), ("claim", r.claim), ("convention", r.convention),
                    ("counterexample", r.counterexample), ("error" if r.verdict == "erratum" else "difference", r.error),
                    ("when it matters", r.matters if r.verdict in ("variant", "convention") else ""),
                    ("correction", r.correction), ("checked", f"{r.checked}; truths: {', '.join(r.truths)}")]
            for k, v in rows:
                if v:
                    if k == "quoted":
                        o.append(f'<dt>{_h(k)}</dt><dd lang="{NOTES_LANG}">{_h(v)}</dd>')
                        continue
                    body = (f'<code>{_h(v)}</code>' if k == "counterexample" else
                            f'{_h(r.file)}, {_location(r.location)}' if k == "file" else _h(v))
                    o.append(f'<dt>{_h(k)}</dt><dd>{body}</dd>')
            o.append(f'</dl><pre>{_h(r.details)}</pre></section>')
    o.append('</body></html>')
    return "\n".join(o) + "\n"


# --------------------------------------------------------------------------- text (rich)


def print_text(results: list[AuditResult], console=None, profile: str = "ci", seconds: float | None = None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    t = Table(title=_header_text(profile, seconds), show_lines=False)
    for col in ("location", "claim", "verdict", "evidence"):
        t.add_column(col, overflow="fold")
    for r in results:
        s = _STYLE.get(r.verdict, "white")
        t.add_row(f"{r.id}\n{r.location}", _one_line(r.claim, 120), f"[{s}]{r.verdict}[/{s}]", _one_line(r.evidence, 200))
    console.print(t)
    c = counts(results)
    st = Table(title="entries per notes file and verdict")
    st.add_column("file")
    for v in VERDICTS:
        st.add_column(v, justify="right")
    for f in sorted(c):
        st.add_row(f, *[str(c[f][v]) for v in VERDICTS])
    console.print(st)
    for r in _errata(results):
        console.rule(f"[red]erratum {r.id}")
        console.print(f"{r.file}, {r.location}", markup=False, highlight=False)
        console.print(f"quoted: {r.quote}", markup=False, highlight=False)
        console.print(r.details, markup=False, highlight=False)
        if r.correction:
            console.print(f"correction: {r.correction}", markup=False, highlight=False)
