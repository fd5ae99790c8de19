"""The class report's charts: matplotlib (Agg) figures saved as inline SVG.

Text is drawn as paths (``svg.fonttype = "path"``): a chart reads the same in
any browser, with no font to load; the font list still ends with the CJK
fonts, so a CJK label (none today: formula ids and numbers) gets glyphs.
Each chart has its own ``svg.hashsalt`` (ids of clip paths unique within the
page, the same from run to run) and no metadata block.
"""

from __future__ import annotations

import re

from checks.report import stats as st
from checks.report.rows import FAILED

#: one colour per verdict (passed green, wrong red-ish, not attempted grey), colour-blind safe-ish
COLORS = {
    "passed": "#1a7f37", "mismatch": "#cf222e", "wrong shape or type": "#bc4c00", "nan/inf": "#8250df",
    "not implemented": "#8c959f", "raised an exception": "#82071e", "modified its arguments": "#bf3989",
    "timed out": "#d4a72c", "crashed": "#24292f", "policy violation": "#0969da", "property violated": "#1b7c83",
    "not graded": "#d0d7de", FAILED: "#953800",
}
FONTS = ["DejaVu Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", "sans-serif"]
BASE_FONT = 13          # points: readable on a projector at the page's width
WIDTH_IN = 11.0


def _mpl():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _rc(name: str) -> dict:
    return {"svg.fonttype": "path", "svg.hashsalt": f"formulacheck-report-{name}", "font.family": FONTS,
            "font.size": BASE_FONT, "axes.titlesize": BASE_FONT + 3, "axes.labelsize": BASE_FONT + 1,
            "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 72}


def _svg(fig, name: str) -> str:
    import io

    plt = _mpl()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None, "Format": None,
                                                                   "Type": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]                        # no XML declaration, no DOCTYPE (an external DTD)
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    text = text.replace("<svg ", f'<svg role="img" class="chart" id="chart-{name}" ', 1)
    return text


def score_histogram(s: st.ClassStats) -> str:
    plt = _mpl()
    with plt.rc_context(_rc("scores")):
        counts, edges = s.histogram()
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 4.2))
        centers = (edges[:-1] + edges[1:]) / 2
        ax.bar(centers, counts, width=st.np.diff(edges) * 0.9, color="#0969da")
        for x, c in zip(centers, counts):
            if c:
                ax.annotate(str(int(c)), (x, c), ha="center", va="bottom", xytext=(0, 2), textcoords="offset points")
        if s.n_scored:
            med = float(st.np.median(s.scores))
            ax.axvline(med, color="#cf222e", linestyle="--", linewidth=2)
            top = max(1, int(counts.max()))
            ax.set_ylim(0, top * 1.3)
            ax.annotate(f"median {st.num(med)}", (med, top * 1.22), color="#cf222e", ha="right", va="center",
                        xytext=(-6, 0), textcoords="offset points")
        ax.set_xticks(centers)
        ax.set_xticklabels(s.bin_labels(edges))
        ax.set_xlabel(f"score (out of {st.num(s.max_score)})")
        ax.set_ylabel("submissions")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.set_title(f"Score distribution ({s.n_scored} scored submissions)")
        return _svg(fig, "scores")


def _rate_color(percent: float) -> str:
    """Green from 80 %, amber from 50 %, red below: the formulas to discuss stand out."""
    return COLORS["passed"] if percent >= 80 else "#bf8700" if percent >= 50 else COLORS["mismatch"]


def _height(n: int) -> float:
    return max(2.5, 0.42 * n + 1.4)


def pass_rates(s: st.ClassStats) -> str:
    plt = _mpl()
    fs = [f for f in s.formulas if f.n]
    fs.sort(key=lambda f: (f.rate, f.id))  # the hardest first, at the top (the y axis is inverted)
    with plt.rc_context(_rc("pass-rates")):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, _height(len(fs))))
        y = list(range(len(fs)))
        rates = [100 * f.rate for f in fs]
        ax.barh(y, rates, color=[_rate_color(r) for r in rates], height=0.7)
        for yi, f in zip(y, fs):
            ax.annotate(f"{st.pct(f.rate)}  ({f.passed}/{f.n})", (100 * f.rate, yi), va="center", xytext=(4, 0),
                        textcoords="offset points")
        ax.set_yticks(y)
        ax.set_yticklabels([f.id for f in fs])
        ax.invert_yaxis()
        ax.set_xlim(0, 118)
        ax.set_xticks([0, 25, 50, 75, 100])
        ax.set_xlabel("submissions that passed (%)")
        ax.set_title(f"Pass rate per formula (of the {s.n_ran} submissions whose formulas ran)")
        return _svg(fig, "pass-rates")


def verdict_breakdown(s: st.ClassStats) -> str:
    plt = _mpl()
    fs = [f for f in s.formulas if f.n]
    fs.sort(key=lambda f: (f.rate, f.id))
    present = [v for v in COLORS if any(f.verdicts.get(v) for f in fs)]
    with plt.rc_context(_rc("verdicts")):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, _height(len(fs)) + 0.3 * ((len(present) + 3) // 4)))
        y = list(range(len(fs)))
        left = [0] * len(fs)
        for v in present:
            w = [f.verdicts.get(v, 0) for f in fs]
            ax.barh(y, w, left=left, color=COLORS[v], label=v, height=0.7, edgecolor="white", linewidth=0.5)
            for yi, (l0, wi) in enumerate(zip(left, w)):
                if wi:
                    ax.annotate(str(wi), (l0 + wi / 2, yi), ha="center", va="center",
                                color="white" if v not in ("not graded", "timed out") else "black", fontsize=BASE_FONT - 2)
            left = [a + b for a, b in zip(left, w)]
        ax.set_yticks(y)
        ax.set_yticklabels([f.id for f in fs])
        ax.invert_yaxis()
        ax.set_xlabel("submissions")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=min(4, len(present)), frameon=False)
        return _svg(fig, "verdicts")


def all_charts(s: st.ClassStats) -> dict[str, str]:
    """name -> inline SVG text: ``scores`` (histogram), ``pass-rates`` and ``verdicts`` (when any formula ran)."""
    out = {"scores": score_histogram(s)}
    if any(f.n for f in s.formulas):
        out["pass-rates"] = pass_rates(s)
        out["verdicts"] = verdict_breakdown(s)
    return out
