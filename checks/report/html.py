"""``formulacheck report``'s page: ONE self-contained HTML file, for a course meeting's projector.

No script, no remote style, font or image: the charts are inline SVG
(:mod:`checks.report.charts`, text drawn as paths), the style is inline and
names local fonts only, ending with the CJK fonts (``"Noto Sans CJK SC",
"Noto Sans CJK JP", sans-serif``) so a CJK student name gets glyphs.

``lang``: the page's own text is English (``<html lang="en">``); a name or
message is marked with the language its script tells (kana: ``ja``,
hangul: ``ko``), ``lang=""`` (unknown, as HTML defines it) when it is
written in Han characters only (Chinese and Japanese names share them), or
the student record's own ``lang`` / ``language`` / ``locale`` field when the
LMS export gives one.
"""

from __future__ import annotations

import datetime as _dt
import html as _html
import re

from checks.report import charts
from checks.report import stats as st
from checks.report.rows import Row

FONT_STACK = ('system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", "Liberation Sans", '
              '"Noto Sans CJK SC", "Noto Sans CJK JP", sans-serif')
_CSS = """
html{font-size:20px}
body{font-family:%(fonts)s;max-width:1200px;margin:1.5em auto;padding:0 1em;color:#1f2328;background:#fff;line-height:1.45}
:lang(ja){font-family:system-ui, "Noto Sans CJK JP", "Noto Sans CJK SC", sans-serif}
:lang(ko){font-family:system-ui, "Noto Sans CJK KR", "Noto Sans CJK SC", sans-serif}
h1{font-size:2em;margin:.2em 0}h2{font-size:1.45em;margin-top:1.6em;border-bottom:2px solid #d0d7de;padding-bottom:.2em}
.meta{color:#57606a}.meta code{color:#1f2328}
.cards{display:flex;flex-wrap:wrap;gap:.8em;margin:1em 0}
.card{border:1px solid #d0d7de;border-radius:.4em;padding:.5em 1em;min-width:8em}
.card b{display:block;font-size:1.8em;line-height:1.2}.card.bad b{color:#cf222e}.card span{color:#57606a}
table{border-collapse:collapse;width:100%%;margin:.8em 0;font-size:.9em}
th,td{border:1px solid #d0d7de;padding:.3em .5em;vertical-align:top;text-align:left}
th{background:#f6f8fa}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tbody tr:nth-child(even){background:#fafbfc}
code{font-family:ui-monospace,"DejaVu Sans Mono",monospace,"Noto Sans CJK SC";font-size:.9em}
svg.chart{display:block;max-width:100%%;height:auto;margin:.5em 0}
.sw{display:inline-block;width:.8em;height:.8em;border-radius:.15em;vertical-align:baseline;margin-right:.25em}
.note{color:#57606a;font-size:.85em}
table.mistakes{table-layout:fixed}td{overflow-wrap:break-word}td.id code{word-break:break-all}
nav a{margin-right:1em}
""" % {"fonts": FONT_STACK}

_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")


def lang_of(text: str, hint: str | None = None) -> str | None:
    """The ``lang`` to put on ``text``: ``hint`` if given, else what its script tells (None: the page's English)."""
    if hint:
        return hint
    if _KANA.search(text):
        return "ja"
    if _HANGUL.search(text):
        return "ko"
    if _HAN.search(text):
        return ""  # Han only: Chinese or Japanese (or Korean hanja): unknown
    return None


def h(s) -> str:
    return _html.escape("" if s is None else str(s), quote=True)


def span(text: str, hint: str | None = None, tag: str = "span") -> str:
    """``text`` escaped, in a ``<span lang=...>`` when its language differs from the page's (see :func:`lang_of`)."""
    lang = lang_of(str(text), hint)
    if lang is None:
        return h(text)
    return f'<{tag} lang="{h(lang)}">{h(text)}</{tag}>'


def _student_lang(r: Row) -> str | None:
    for k in ("lang", "language", "locale"):
        v = (r.student or {}).get(k)
        if v and re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", v.replace("_", "-")):
            return v.replace("_", "-")
    return None


def _swatch(v: str) -> str:
    return f'<span class="sw" style="background:{charts.COLORS.get(v, "#57606a")}"></span>'


def _figure(svg: str, caption: str, label: str) -> str:
    svg = svg.replace('role="img"', f'role="img" aria-label="{h(label)}"', 1)
    return f'<figure>{svg}<figcaption class="note">{h(caption)}</figcaption></figure>'


def render(rows: list[Row], *, title: str = "Class report", inputs: list[str] | None = None,
           now: _dt.datetime | None = None) -> str:
    """The page for ``rows`` (see the module docstring)."""
    s = st.compute(rows)
    now = now or _dt.datetime.now().astimezone()
    svgs = charts.all_charts(s)
    q = s.quantiles()
    o = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
         '<meta name="viewport" content="width=device-width, initial-scale=1">',
         f'<title>{h(title)}: formulacheck</title>', f'<style>{_CSS}</style></head><body>',
         f'<header><h1>{span(title)}</h1>']
    vec = (f'vectors <code title="sha256:{h(s.vectors[0])}">sha256:{h(s.vectors[0][:16])}</code>' if len(s.vectors) == 1
           else f'<b>{len(s.vectors)} different vectors files</b>: '
                + ", ".join(f'<code>{h(v[:16])}</code>' for v in s.vectors) if s.vectors else "vectors: not recorded")
    o.append(f'<p class="meta">Generated {h(now.strftime("%Y-%m-%d %H:%M %Z").strip())} by formulacheck; {vec}'
             + (f'; from {", ".join(span(i) for i in inputs)}' if inputs else "") + '</p></header>')
    mean = f"{q['mean']:.1f}" if q else "n/a"
    med = st.num(q["median"]) if q else "n/a"
    overall = sum(f.passed for f in s.formulas) / max(1, sum(f.n for f in s.formulas))
    o.append('<div class="cards">'
             f'<div class="card"><b>{s.n}</b><span>submissions</span></div>'
             f'<div class="card"><b>{s.n - len(s.not_ok)}</b><span>graded ok</span></div>'
             f'<div class="card{" bad" if s.not_ok else ""}"><b>{len(s.not_ok)}</b><span>not ok</span></div>'
             f'<div class="card"><b>{len(s.formulas)}</b><span>formulas</span></div>'
             f'<div class="card"><b>{h(med)}</b><span>median of {h(st.num(s.max_score))}</span></div>'
             f'<div class="card"><b>{h(mean)}</b><span>mean score</span></div>'
             f'<div class="card"><b>{h(st.pct(overall if s.n_ran else None))}</b><span>formula checks passed</span></div>'
             '</div>')
    o.append('<nav><a href="#scores">Scores</a><a href="#pass-rates">Pass rates</a><a href="#verdicts">Verdicts</a>'
             '<a href="#mistakes">Mistakes</a><a href="#not-ok">Not ok</a></nav>')
    # scores
    o.append('<section id="scores"><h2>Score distribution</h2>')
    o.append(_figure(svgs["scores"], "Every scored submission: a file that could not be graded (syntax error, policy...) "
                     "scores 0; submissions an interrupted batch did not grade are left out.", "score histogram"))
    if q:
        o.append('<table><thead><tr>' + "".join(f'<th class="n">{h(k)}</th>' for k in q) + '</tr></thead><tbody><tr>'
                 + "".join(f'<td class="n">{h(st.num(v) if k != "mean" else f"{v:.2f}")}</td>' for k, v in q.items())
                 + '</tr></tbody></table>')
    o.append('</section>')
    # pass rates and verdicts
    o.append('<section id="pass-rates"><h2>Pass rate per formula</h2>')
    if "pass-rates" in svgs:
        o.append(_figure(svgs["pass-rates"], f"Over the {s.n_ran} submissions whose formulas ran (status ok); the "
                         "submissions that could not run are listed below. Hardest first.", "pass rate per formula"))
    else:
        o.append('<p>No submission\'s formulas ran.</p>')
    o.append('</section><section id="verdicts"><h2>Verdicts per formula</h2>')
    fs = sorted((f for f in s.formulas if f.n), key=lambda f: (f.rate, f.id))
    if fs:
        o.append(_figure(svgs["verdicts"], "Why a formula failed: the verdict of each submission's check.",
                         "verdicts per formula, stacked"))
        present = [v for v in charts.COLORS if any(f.verdicts.get(v) for f in fs)]
        o.append('<table><thead><tr><th>formula</th><th class="n">pass rate</th>'
                 + "".join(f'<th class="n">{_swatch(v)}{h(v)}</th>' for v in present) + '</tr></thead><tbody>')
        for f in fs:
            o.append(f'<tr><td><code>{h(f.id)}</code></td><td class="n">{h(st.pct(f.rate))}</td>'
                     + "".join(f'<td class="n">{f.verdicts.get(v, 0) or ""}</td>' for v in present) + '</tr>')
        o.append('</tbody></table>')
        if "failed" in present:
            o.append('<p class="note">"failed": the results do not say why (a CSV without verdict columns).</p>')
    o.append('</section>')
    # mistakes
    o.append('<section id="mistakes"><h2>Most common diagnosed mistakes</h2>')
    top = s.top_mistakes(per_formula=5)
    if top:
        o.append('<table class="mistakes"><colgroup><col style="width:23%"><col style="width:20%"><col style="width:13%">'
                 '<col></colgroup><thead><tr><th>formula</th><th>mistake</th><th class="n">submissions</th>'
                 '<th>diagnosis</th></tr></thead><tbody>')
        for fid, m, c, ex in top:
            label = st.mistake_label(fid, m)
            cell = f'<code title="{h(m)}">{h(label)}</code>' if label != m or ":" in m else span(m)
            o.append(f'<tr><td><code>{h(fid)}</code></td><td class="id">{cell}</td><td class="n">{c}</td>'
                     f'<td>{span(ex) if ex != m else ""}</td></tr>')
        o.append('</tbody></table>')
    else:
        o.append('<p>No failure matched a known mistake (or the results carry no diagnosis).</p>')
    o.append('</section>')
    # not ok
    o.append(f'<section id="not-ok"><h2>Submissions not ok ({len(s.not_ok)})</h2>')
    if s.not_ok:
        o.append('<table><thead><tr><th>submission</th><th>student</th><th>status</th><th class="n">score</th>'
                 '<th>message</th></tr></thead><tbody>')
        for r in s.not_ok:
            who = r.who if r.who != r.name else ""
            lang = _student_lang(r)
            o.append(f'<tr><td>{span(r.name)}</td><td>{span(who, lang) if who else ""}</td><td>{h(r.status)}</td>'
                     f'<td class="n">{h(st.num(r.score)) if r.scored else ""}</td><td>{span(r.message)}</td></tr>')
        o.append('</tbody></table>')
    else:
        o.append('<p>Every submission was graded (status ok).</p>')
    o.append('</section>')
    o.append('<footer class="note"><p>Pass rates and verdicts count the submissions whose formulas ran; the score '
             'distribution counts every scored submission. Made by <code>formulacheck report</code>.</p></footer>')
    o.append('</body></html>')
    return "\n".join(o) + "\n"
