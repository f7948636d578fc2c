"""Plots of results/bits_per_base.tsv: bits/base per file and tool; compression speed vs bits/base.

Every panel shows the tools in the same order (the table's: the config's tool order, levels in
order) and each tool in the same colour, named as on its command line ("dnacomp -5", "gzip -9").
Runs that are not byte-exact are hatched (bars) or hollow (points); runs that are not available or
failed keep their place in the bar chart, with the reason instead of a bar. Speeds are drawn only
for inputs of at least `speed_min_bytes` (1 MB): on smaller ones a tool's time is its start-up.
"""

import csv
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

#: one colour per tool, the same in every plot (dnacomp in reds, general-purpose tools in greys and
#: browns, DNA and FASTQ specialists in blues, greens, purples)
TOOL_COLORS = {
    "dnacomp": "#d62728",
    "dnacomp-gru": "#8b0000",
    "gzip": "#9e9e9e",
    "bzip2": "#bcbd22",
    "xz": "#8c564b",
    "zstd": "#17becf",
    "mfcompress": "#1f77b4",
    "geco3": "#9467bd",
    "jarvis3": "#00a087",
    "naf": "#e377c2",
    "fqzcomp": "#2ca02c",
    "enano": "#98df8a",
    "cram": "#ff7f0e",
}
FALLBACK_COLORS = ["#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173"]
MARKERS = ["o", "^", "s", "D", "v", "P"]  # the first, second, ... level of a tool
DPI = 100


def load(path):
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def label(r):
    return r.get("label") or f"{r['tool']} -{r['level']}"


def color(tool, order):
    if tool in TOOL_COLORS:
        return TOOL_COLORS[tool]
    return FALLBACK_COLORS[order.index(tool) % len(FALLBACK_COLORS)]


def tool_order(rows):
    """Tools in the order of the table (the config's order)."""
    return list(dict.fromkeys(r["tool"] for r in rows))


def slots(rows):
    """(tool, level) pairs in table order, levels within a tool in numeric order."""
    order = tool_order(rows)

    def key(tl):
        level = tl[1]
        return order.index(tl[0]), (int(level) if level.isdigit() else 0), level

    return sorted(dict.fromkeys((r["tool"], r["level"]) for r in rows), key=key)


def by_file(rows):
    files = {}
    for r in rows:
        files.setdefault(r["file"], []).append(r)
    return files


def marker_of(rows):
    """(tool, level) -> marker: a tool's levels get different shapes, in level order."""
    out, seen = {}, {}
    for tool, level in slots(rows):
        out[(tool, level)] = MARKERS[seen.get(tool, 0) % len(MARKERS)]
        seen[tool] = seen.get(tool, 0) + 1
    return out


def _grid(n, ncols=3):
    ncols = max(1, min(ncols, n))
    return math.ceil(n / ncols), ncols


def _absent(r):
    if r["exact"] == "not available":
        return "not available"
    if r["exact"] == "failed":
        return "failed"
    return "no result"


def bits_per_base(rows, out):
    files = by_file(rows)
    order = tool_order(rows)
    # one list of slots per format, so every FASTA panel has the same rows (and every FASTQ panel)
    formats = dict.fromkeys(r["format"] for r in rows)
    fmt_slots = {fmt: slots([r for r in rows if r["format"] == fmt]) for fmt in formats}
    nrows, ncols = _grid(len(files))
    slot_h = 0.26
    heights = [max(len(fmt_slots[runs[0]["format"]]) for runs in files.values())] * nrows
    fig_h = sum(h * slot_h + 1.1 for h in heights) + 0.5
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, fig_h), squeeze=False)
    for ax, (fname, runs) in zip(axes.flat, files.items()):
        here = {(r["tool"], r["level"]): r for r in runs}
        names = fmt_slots[runs[0]["format"]]
        vals = [float(here[s]["bits_per_base"]) for s in names if s in here and here[s]["bits_per_base"]]
        top = max(vals) if vals else 1.0
        for y, s in enumerate(names):
            r = here.get(s)
            if r is None:
                continue
            if not r["bits_per_base"]:
                ax.text(0.02 * top, y, _absent(r), va="center", fontsize=8, color="#777777", style="italic")
                continue
            v = float(r["bits_per_base"])
            exact = r["exact"] == "yes"
            ax.barh(
                [y],
                [v],
                color=color(r["tool"], order),
                alpha=1.0 if exact else 0.55,
                hatch=None if exact else "///",
                edgecolor="white" if exact else "#333333",
                linewidth=0.5,
            )
            ax.text(v, y, f" {v:.3f}" + ("" if exact else " (not exact)"), va="center", fontsize=8)
        ax.set_yticks(range(len(names)), [label(here[s]) if s in here else "" for s in names], fontsize=8)
        ax.set_ylim(len(names) - 0.5, -0.5)  # first tool at the top
        ax.set_xlim(0, top * 1.45)
        ax.set_title(f"{fname} ({runs[0]['format'].upper()}, {int(runs[0]['input_bytes']) / 1e6:.2g} MB)", fontsize=10)
        ax.set_xlabel("bits/base (lower is better)", fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
        ax.set_axisbelow(True)
    for ax in list(axes.flat)[len(files) :]:
        ax.set_visible(False)
    fig.suptitle(
        "bits/base = 8 × archive bytes / sequence symbols   (hatched: not byte-exact, or ACGT only)", fontsize=10
    )
    fig.tight_layout()
    fig.savefig(out, dpi=DPI)
    plt.close(fig)


def speed(rows, out, min_bytes=1_000_000):
    order = tool_order(rows)
    markers = marker_of(rows)
    shown = {f: runs for f, runs in by_file(rows).items() if int(runs[0]["input_bytes"]) >= min_bytes}
    if not shown:
        fig, ax = plt.subplots(figsize=(8, 1.6))
        ax.axis("off")
        ax.text(
            0.5,
            0.5,
            f"no input of {min_bytes / 1e6:g} MB or more: on smaller inputs a tool's time is mostly its "
            "start-up,\nso speeds are not plotted (the table has them)",
            ha="center",
            va="center",
            fontsize=10,
        )
        fig.savefig(out, dpi=DPI)
        plt.close(fig)
        return
    nrows, ncols = _grid(len(shown), 2)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols + 2.6, 3.8 * nrows), squeeze=False)
    legend = {}
    for ax, (fname, runs) in zip(axes.flat, shown.items()):
        for r in runs:
            if not (r["bits_per_base"] and r["compress_MB_s"]):
                continue
            x, y = float(r["compress_MB_s"]), float(r["bits_per_base"])
            c = color(r["tool"], order)
            m = markers[(r["tool"], r["level"])]
            exact = r["exact"] == "yes"
            ax.scatter(
                [x], [y], s=46, marker=m, facecolors=c if exact else "none", edgecolors=c, linewidths=1.3, zorder=3
            )
            legend.setdefault((r["tool"], r["level"]), (label(r), c, m))
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_title(f"{fname} ({int(runs[0]['input_bytes']) / 1e6:.2g} MB)", fontsize=10)
        ax.set_xlabel("compression speed, MB of input per second (log)", fontsize=8)
        ax.set_ylabel("bits/base (lower is better)", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(shown) :]:
        ax.set_visible(False)
    order_of = slots(rows)
    handles = [
        Line2D([], [], linestyle="none", marker=m, markersize=7, markerfacecolor=c, markeredgecolor=c, label=name)
        for _, (name, c, m) in sorted(legend.items(), key=lambda kv: order_of.index(kv[0]))
    ]
    fig.legend(
        handles=handles, loc="center right", fontsize=8, frameon=False, title="hollow: not byte-exact", title_fontsize=8
    )
    fig.suptitle(
        f"compression speed vs bits/base, inputs of {min_bytes / 1e6:g} MB or more (lower right is better)", fontsize=10
    )
    fig.tight_layout(rect=(0, 0, 1 - 2.4 / (5.2 * ncols + 2.6), 1))
    fig.savefig(out, dpi=DPI)
    plt.close(fig)


if __name__ == "__main__" and "snakemake" in globals():
    rows = load(snakemake.input.tsv)  # noqa: F821
    bits_per_base(rows, snakemake.output.bits)  # noqa: F821
    speed(rows, snakemake.output.speed, int(snakemake.params.speed_min_bytes))  # noqa: F821
