"""Plots of results/bits_per_base.tsv: bits/base per file and tool; compression speed vs bits/base.

Runs that are not byte-exact are hatched (bars) or hollow (points), ACGT-only runs are marked
with '*', and runs that are not available or failed are listed under each panel instead of drawn.
"""
import csv
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402

TOOL_COLORS = {"dnacomp": "#d62728", "dnacomp-gru": "#8b0000", "gzip": "#7f7f7f", "bzip2": "#bcbd22", "xz": "#8c564b", "zstd": "#17becf",
               "mfcompress": "#1f77b4", "geco3": "#9467bd", "naf": "#e377c2", "fqzcomp": "#2ca02c",
               "cram": "#ff7f0e"}


def load(path):
    with open(path) as f:
        return list(csv.DictReader(f, delimiter="\t"))


def label(r):
    star = " *" if r["exact"] == "ACGT-only" else (" (not exact)" if r["exact"] == "no" else "")
    return f"{r['tool']} {r['level']}{star}"


def by_file(rows):
    files = {}
    for r in rows:
        files.setdefault(r["file"], []).append(r)
    return files


def bits_per_base(rows, out):
    files = by_file(rows)
    ncols = min(3, len(files))
    nrows = math.ceil(len(files) / ncols)
    height = max(len(v) for v in files.values()) * 0.28 + 1.3
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.4 * ncols, height * nrows), squeeze=False)
    for ax, (fname, runs) in zip(axes.flat, files.items()):
        done = [r for r in runs if r["bits_per_base"]]
        missing = sorted({r["tool"] for r in runs if r["exact"] == "not available"})
        failed = [f"{r['tool']} {r['level']}" for r in runs if r["exact"] == "failed"]
        done.sort(key=lambda r: -float(r["bits_per_base"]))
        ys = range(len(done))
        vals = [float(r["bits_per_base"]) for r in done]
        bars = ax.barh(ys, vals, color=[TOOL_COLORS.get(r["tool"], "#333333") for r in done])
        for bar, r in zip(bars, done):
            if r["exact"] != "yes":
                bar.set_hatch("///")
                bar.set_alpha(0.6)
        for y, v in zip(ys, vals):
            ax.text(v, y, f" {v:.3f}", va="center", fontsize=7)
        ax.set_yticks(list(ys), [label(r) for r in done], fontsize=7)
        ax.set_xlim(0, max(vals) * 1.25 if vals else 1)
        ax.set_title(f"{fname} ({runs[0]['format'].upper()})", fontsize=9)
        ax.set_xlabel("bits/base (lower is better)", fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        absent = "; ".join(part for part in ("not available: " + ", ".join(missing) if missing else "",
                                             "failed: " + ", ".join(failed) if failed else "") if part)
        if absent:
            ax.annotate(absent, (0, 0), xycoords="axes fraction", xytext=(0, -34), textcoords="offset points",
                        fontsize=7, color="#555555")
    for ax in list(axes.flat)[len(files):]:
        ax.set_visible(False)
    fig.suptitle("bits/base = 8 x archive bytes / sequence symbols   (* ACGT-only lower bound; hatched: not byte-exact)",
                 fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


def speed(rows, out):
    files = by_file(rows)
    ncols = min(3, len(files))
    nrows = math.ceil(len(files) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.4 * ncols, 3.4 * nrows), squeeze=False)
    for ax, (fname, runs) in zip(axes.flat, files.items()):
        for r in runs:
            if not (r["bits_per_base"] and r["compress_MB_s"]):
                continue
            x, y = float(r["compress_MB_s"]), float(r["bits_per_base"])
            color = TOOL_COLORS.get(r["tool"], "#333333")
            exact = r["exact"] == "yes"
            ax.scatter([x], [y], s=28, marker="o" if exact else "s", facecolors=color if exact else "none",
                       edgecolors=color)
            ax.annotate(label(r), (x, y), xytext=(3, 2), textcoords="offset points", fontsize=6)
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_title(fname, fontsize=9)
        ax.set_xlabel("compression speed, MB/s of input (log)", fontsize=8)
        ax.set_ylabel("bits/base", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(files):]:
        ax.set_visible(False)
    fig.suptitle("speed vs bits/base (down and right is better; hollow squares: not byte-exact or ACGT-only)",
                 fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


if __name__ == "__main__" and "snakemake" in globals():
    rows = load(snakemake.input.tsv)  # noqa: F821
    bits_per_base(rows, snakemake.output.bits)  # noqa: F821
    speed(rows, snakemake.output.speed)  # noqa: F821
