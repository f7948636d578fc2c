"""Human-readable summaries: `dnacomp info` and the bench table."""
from __future__ import annotations

from .archive import ArchiveStats
from .models.levels import LEVEL_DESCRIPTIONS


def _bpb(nbytes: int, symbols: int) -> str:
    return f"{8 * nbytes / symbols:.4f}" if symbols else "-"


def format_info(path: str, stats: ArchiveStats) -> str:
    """One archive: every stream's share, in bits per sequence symbol so streams add up."""
    total = sum(stats.stream_bytes.values())
    container = stats.archive_bytes - total if stats.archive_bytes else 0
    lines = [
        f"{path}: {stats.kind.upper()}, level {stats.level} ({LEVEL_DESCRIPTIONS.get(stats.level, '?')}), "
        f"{stats.n_blocks} block(s), {stats.n_records:,} record(s)",
        f"  original {stats.input_bytes:,} bytes, {stats.n_symbols:,} sequence symbols "
        f"({stats.n_bases:,} ACGT bases)",
        f"  archive  {stats.archive_bytes:,} bytes = {_bpb(stats.archive_bytes, stats.n_symbols)} bits/base "
        f"(ratio {stats.input_bytes / max(stats.archive_bytes, 1):.2f})",
        f"  {'stream':<14}{'raw bytes':>14}{'coded bytes':>14}{'bits/base':>11}{'share':>8}",
    ]
    for name in sorted(stats.stream_bytes, key=lambda n: -stats.stream_bytes[n]):
        coded = stats.stream_bytes[name]
        lines.append(f"  {name:<14}{stats.stream_raw[name]:>14,}{coded:>14,}{_bpb(coded, stats.n_symbols):>11}"
                     f"{100 * coded / max(stats.archive_bytes, 1):>7.1f}%")
    lines.append(f"  {'(container)':<14}{'':>14}{container:>14,}{_bpb(container, stats.n_symbols):>11}"
                 f"{100 * container / max(stats.archive_bytes, 1):>7.1f}%")
    p = stats.params
    if p:
        orders = ",".join(f"{k}{'+ir' if ir else ''}" for k, ir in zip(p.get("orders", []), p.get("ir", [])))
        lines.append(f"  base model: context orders {orders}; match models on {p.get('match_min')}-mers")
    return "\n".join(lines)
