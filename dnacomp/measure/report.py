"""Human-readable summaries: `dnacomp info` and the bench table."""

from __future__ import annotations

from ..archive import ArchiveStats
from ..models.levels import level_description


def _bpb(nbytes: int, symbols: int) -> str:
    return f"{8 * nbytes / symbols:.4f}" if symbols else "-"


def plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _orders(orders: list, ir: list) -> str:
    return ",".join(f"{k}{'+ir' if flag else ''}" for k, flag in zip(orders, ir))


def describe_model(p: dict) -> str:
    """The stored base-model parameters in words (as the archive records them)."""
    parts = []
    if p.get("orders"):
        parts.append(f"count models of orders {_orders(p['orders'], p.get('ir', []))}")
    if p.get("dp_orders"):
        parts.append(f"probability models of orders {_orders(p['dp_orders'], p.get('dp_ir', []))}")
    if p.get("codon_order"):
        parts.append(
            f"codon model (order {p['codon_order']}"
            + (f", extra tables {','.join(map(str, p['codon_extra']))}" if p.get("codon_extra") else "")
            + ")"
        )
    parts.append(f"tolerant match models on {p.get('match_min')}-mers")
    if p.get("rep_count"):
        parts.append(
            f"repeat model ({p['rep_count']} candidates from {p.get('rep_kmer')}-mers, "
            f"{p.get('rep_slots')} recent copies each)"
        )
    mode = p.get("gru_mode", 0)
    if mode:
        role = {1: "as a model", 2: "as the mixer, blended with the CM", 3: "as a model and in the final blend"}.get(
            mode, f"mode {mode}"
        )
        parts.append(
            f"GRU {role} ({p.get('gru_hidden')} units, BPTT {p.get('gru_bptt')}, "
            f"Adam {p.get('gru_lr', 0) / 10000:g}, seed {p.get('gru_seed')})"
        )
    return "; ".join(parts)


def _reads_summary(stats: ArchiveStats) -> str:
    """FASTQ: each part of a read in its natural unit (names per read, qualities per quality)."""
    sizes = stats.stream_bytes
    names, bases, quals = sizes.get("names", 0), sizes.get("bases", 0), sizes.get("qualities", 0)
    other = stats.archive_bytes - names - bases - quals
    n_quals = stats.stream_raw.get("qualities", 0)
    per_read = f"{8 * names / stats.n_records:.2f} bits/read" if stats.n_records else "-"
    per_qual = f"{8 * quals / n_quals:.4f} bits/quality" if n_quals else "-"
    return (
        f"  reads: names {names:,} B ({per_read}); bases {bases:,} B ({_bpb(bases, stats.n_symbols)} bits/base); "
        f"qualities {quals:,} B ({per_qual}); other {other:,} B"
    )


def _level_text(stats: ArchiveStats) -> str:
    """The level's description, or, when the archive's base model is not what this version's level
    is (an archive written before the level changed), that it is an earlier form of it; the
    "base model:" line says what it really holds."""
    from ..models.levels import params_for_level

    try:
        now = params_for_level(stats.level, stats.kind).to_dict()
    except ValueError:
        return level_description(stats.level, stats.kind)
    written = {k: v for k, v in stats.params.items() if not k.startswith("gru_")}
    if written != now:
        return "as an earlier dnacomp defined it; see the base model below"
    return level_description(stats.level, stats.kind)


def _blocks_text(stats: ArchiveStats) -> str:
    """Version 5 blocks are independent segments (cut at up to ``segment_size`` bytes)."""
    if stats.version >= 5:
        size = stats.segment_size
        unit = f"{size >> 20} MiB" if size >= 1 << 20 and not size % (1 << 20) else f"{size:,} bytes"
        return f"{plural(stats.n_blocks, 'segment')} (of up to {unit})"
    return plural(stats.n_blocks, "block")


def format_info(path: str, stats: ArchiveStats) -> str:
    """One archive: every stream's share, in bits per sequence symbol so streams add up."""
    total = sum(stats.stream_bytes.values())
    container = stats.archive_bytes - total if stats.archive_bytes else 0
    lines = [
        f"{path}: {stats.kind.upper()}, level {stats.level} ({_level_text(stats)})"
        f"{', model cm+GRU' if stats.params.get('gru_mode') else ', model cm'}, "
        f"{_blocks_text(stats)}, {plural(stats.n_records, 'record')}"
        + (f", {stats.n_members} concatenated archives" if stats.n_members > 1 else ""),
        f"  original {stats.input_bytes:,} bytes, {stats.n_symbols:,} sequence symbols ({stats.n_bases:,} ACGT bases)",
        f"  archive  {stats.archive_bytes:,} bytes = {_bpb(stats.archive_bytes, stats.n_symbols)} bits/base "
        f"(ratio {stats.input_bytes / max(stats.archive_bytes, 1):.2f})",
        "  bits/base is bits per sequence symbol (ACGT, N and IUPAC codes) in every column and line, so streams add up",
        f"  {'stream':<14}{'raw bytes':>14}{'coded bytes':>14}{'bits/base':>11}{'share':>8}  method",
    ]
    for name in sorted(stats.stream_bytes, key=lambda n: -stats.stream_bytes[n]):
        coded = stats.stream_bytes[name]
        method = "base model" if name == "bases" else "/".join(sorted(stats.stream_methods.get(name, ())))
        lines.append(
            f"  {name:<14}{stats.stream_raw[name]:>14,}{coded:>14,}{_bpb(coded, stats.n_symbols):>11}"
            f"{100 * coded / max(stats.archive_bytes, 1):>7.1f}%  {method}"
        )
    lines.append(
        f"  {'(container)':<14}{'':>14}{container:>14,}{_bpb(container, stats.n_symbols):>11}"
        f"{100 * container / max(stats.archive_bytes, 1):>7.1f}%"
    )
    if stats.kind == "fastq":
        lines.append(_reads_summary(stats))
    p = stats.params
    if p:
        lines.append("  base model: " + describe_model(p))
    return "\n".join(lines)


def format_records(archive) -> str:
    """`info --records`: a FASTA archive's records (name, length: the first two .fai columns),
    or a FASTQ archive's segments and the reads each holds; ``archive`` is what
    ``dnacomp.open_archive`` returns."""
    if archive.kind == "fasta":
        return "\n".join(f"{r.name}\t{r.length}" for r in archive.records())
    lines, first = [], 1
    for m in archive.members:
        for entry in m.index.segments:
            last = first + entry.n_records - 1
            lines.append(f"segment {len(lines)}\treads {first}-{last}\t{entry.raw_len} bytes")
            first = last + 1
    return "\n".join(lines)
