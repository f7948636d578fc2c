"""Learning curves: what each base costs, over the position in the file, for several base models.

Why: a model that learns online (the GRU above all) pays while it learns; the curve shows where
it starts to pay off, which a single bits/base number hides. Used for the README's CM-vs-GRU plot:

    python -m dnacomp.measure.curve ecoli_536.fna.gz --runs 9:cm,9:gru -o docs/gru_learning.png --tsv curve.tsv
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from ..archive import segment_target
from ..fileio import open_input, sniff_stream
from ..formats import PARSERS
from ..formats.chunks import iter_chunks
from ..formats.detect import detect_format
from ..models.basecodec import BaseEncoder
from ..models.levels import params_for_level


def base_costs(
    path: str, level: int, model: str = "cm", segment_size: int | None = None, one_stream: bool = False
) -> np.ndarray:
    """Bits spent on each ACGT base of ``path`` (in file order) by the base model of ``level`` and
    ``model``, coded as ``dnacomp compress`` codes them in segments of ``segment_size`` bytes
    (None: the level's target, without balancing); ``one_stream``: with one model state
    through the whole file instead (what segments cost is the difference)."""
    with open_input(path) as src:
        head, src = sniff_stream(src)
        kind = detect_format(head, path)
        params = params_for_level(level, kind, model)
        encoder = BaseEncoder(params)
        parts = []
        for chunk, first_line, first_record in iter_chunks(
            src, kind, path, segment_size or segment_target(kind, level, head)
        ):
            bases = PARSERS[kind](chunk, path, first_line, first_record).bases
            costs = np.zeros(len(bases), dtype=np.int64)
            if not one_stream:
                encoder = BaseEncoder(params)
            encoder.encode(bases, costs=costs)
            parts.append(costs)
    return np.concatenate(parts) / 256.0 if parts else np.zeros(0)


def windowed(costs: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """(window start positions, mean bits/base per window); the last partial window is dropped
    unless it is the only one."""
    n = max(len(costs) // window, 1)
    usable = costs[: n * window] if len(costs) >= window else costs
    return np.arange(n) * window, usable.reshape(n, -1).mean(axis=1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m dnacomp.measure.curve",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ap.add_argument("file")
    ap.add_argument("--runs", default="9:cm,9:gru", help="LEVEL:MODEL pairs, comma separated (default %(default)s)")
    ap.add_argument("--window", type=int, default=100_000, help="bases per point (default %(default)s)")
    ap.add_argument("-o", "--plot", help="write the plot here (PNG/SVG/PDF)")
    ap.add_argument("--tsv", help="write the windowed curves here")
    args = ap.parse_args(argv)
    curves = {}
    for run in args.runs.split(","):
        level, _, model = run.partition(":")
        costs = base_costs(args.file, int(level), model or "cm")
        curves[f"-{level} {model or 'cm'}"] = costs
        print(
            f"{args.file} -{level} {model or 'cm'}: {costs.sum() / 8:,.0f} bytes of bases, "
            f"{costs.mean():.4f} bits/base over {len(costs):,} bases",
            file=sys.stderr,
        )
    if args.tsv:
        with open(args.tsv, "w") as out:
            names = list(curves)
            out.write("position\t" + "\t".join(names) + "\n")
            cols = [windowed(curves[n], args.window) for n in names]
            for i, pos in enumerate(cols[0][0]):
                out.write(f"{pos}\t" + "\t".join(f"{c[1][i]:.5f}" for c in cols) + "\n")
    if args.plot:
        try:
            import matplotlib
        except ImportError:
            sys.exit("dnacomp.measure.curve: --plot needs matplotlib (pip install matplotlib, or the [test] extra)")
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 6), sharex=True, height_ratios=(2, 1))
        names = list(curves)
        for name in names:
            x, y = windowed(curves[name], args.window)
            top.plot(x / 1e6, y, label=f"{name} ({curves[name].mean():.4f} bits/base)", lw=1)
        top.set_ylabel(f"bits/base (windows of {args.window:,} bases)")
        top.legend(loc="upper right")
        top.set_title(f"Learning curves on {args.file.rsplit('/', 1)[-1]}")
        ref = curves[names[0]]
        step = max(args.window // 20, 1)
        for name in names[1:]:
            saved = np.cumsum(ref - curves[name])[::step]
            bottom.plot(np.arange(len(saved)) * step / 1e6, saved / 8, label=f"{name} vs {names[0]}", lw=1)
        bottom.axhline(0, color="grey", lw=0.5)
        bottom.set_ylabel("bytes saved so far")
        bottom.set_xlabel("position (M bases)")
        if len(names) > 1:
            bottom.legend(loc="lower right")
        fig.tight_layout()
        fig.savefig(args.plot, dpi=110)
    return 0


if __name__ == "__main__":
    sys.exit(main())
