"""`dnacomp bench`: dnacomp levels and peer compressors on the same file, in the same run.

The tools and their command lines are those of :mod:`dnacomp.measure.peers`, which the Snakemake workflow
(`workflow/`) runs too. Every tool runs as a child process on the same plain-text copy of the
input, so wall time and peak memory (ru_maxrss of the child) are measured the same way for all,
and every restored file is compared with the original (a tool that is not byte-exact is marked,
never silently counted). bits/base = 8 x archive bytes / sequence symbols (every byte of sequence
lines; for FASTQ the read bases).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass

from ..errors import DnacompError
from ..fileio import open_input
from . import peers


@dataclass
class Result:
    tool: str
    level: str
    archive_bytes: int = 0
    compress_s: float = 0.0
    decompress_s: float = 0.0
    max_rss_mb: float = 0.0
    exact: str = peers.EXACT_NO
    note: str = ""


# A small launcher that forks the tool itself and reports the tool's wall time and peak RSS. Needed
# because a child forked (or vforked) straight from this process inherits its peak RSS: Linux keeps
# the pre-exec high-water mark in ru_maxrss, so every tool would show at least Python's footprint.
_LAUNCHER = """
import os, sys, time
report, cmd = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(cmd[0], cmd)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(report, "w") as f:
    f.write(f"{time.perf_counter() - start} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status) & 255)
"""


def _run(cmd: list[str], stdout_path: str | None = None, cwd: str | None = None) -> tuple[float, float]:
    """Runs cmd; returns (wall seconds, peak RSS in MB of the tool's process)."""
    fout = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    fd, report = tempfile.mkstemp(prefix="rusage-")
    os.close(fd)
    try:
        proc = subprocess.run(
            [sys.executable, "-S", "-c", _LAUNCHER, report, *cmd],
            stdin=subprocess.DEVNULL,
            stdout=fout,
            stderr=subprocess.PIPE,
            cwd=cwd,
        )
        if proc.returncode != 0:
            err = proc.stderr.decode(errors="replace").strip()
            raise DnacompError(f"{' '.join(cmd)} failed: {err.splitlines()[-1] if err else proc.returncode}")
        with open(report) as f:
            elapsed, maxrss_kb = f.read().split()
        return float(elapsed), int(maxrss_kb) / 1024
    finally:
        os.unlink(report)
        if hasattr(fout, "close"):
            fout.close()


def _run_step(step: peers.Step, exes, src: str, out: str, level: str, tmp: str) -> tuple[float, float]:
    elapsed, rss = _run(step.argv_for(exes, src, out, level, 1, tmp), out if step.stdout else None, cwd=tmp)
    produced = step.produced(src, out, level, 1, tmp)
    if produced:
        os.replace(produced, out)
    return elapsed, rss


def resolve_tools(names: list[str], kind: str) -> list[str]:
    """Expands 'auto' (every peer for the file's format) and checks the names."""
    out: list[str] = []
    for name in names:
        if name in ("auto", "all"):
            out += peers.PEERS_FOR[kind]
        elif name in peers.TOOLS and name != "dnacomp":
            out.append(name)
        else:
            known = ", ".join(t for t in peers.TOOLS if t != "dnacomp")
            raise DnacompError(f"unknown tool {name!r} (known: {known}, auto)")
    return list(dict.fromkeys(out))


def _measure(name: str, level: str, plain: str, kind: str, work: str, repeat: int) -> Result:
    tool = peers.TOOLS[name]
    if kind not in tool.formats:
        return Result(name, level, note=f"{'/'.join(f.upper() for f in tool.formats)} only")
    exes = peers.resolve(tool)
    if exes is None:
        return Result(name, level, exact=peers.NOT_AVAILABLE, note=peers.NOT_AVAILABLE)
    tmp = tempfile.mkdtemp(prefix=f"{name}{level}-", dir=work)
    src = plain
    if tool.prepare:
        make_copy, suffix = peers.PREPARE[tool.prepare]
        src = os.path.join(tmp, "input" + suffix)
        make_copy(plain, src)
    arc = os.path.join(work, f"{name}{level}.{tool.ext}")
    out = os.path.join(work, f"{name}{level}.out")
    ctimes, dtimes, rss = [], [], 0.0
    for _ in range(repeat):
        for p in (arc, out):
            if os.path.exists(p):
                os.unlink(p)
        t, m = _run_step(tool.compress, exes, src, arc, level, tmp)
        ctimes.append(t)
        rss = max(rss, m)
        t, m = _run_step(tool.decompress, exes, arc, out, level, tmp)
        dtimes.append(t)
        rss = max(rss, m)
    restored = peers.sha256_file(out)
    if tool.exactness == peers.EXACT_ACGT:
        exact = peers.EXACT_ACGT
        ok = restored == peers.acgt_projection_sha256(plain, kind)
        note = tool.note + ("" if ok else "; restored bases differ from the input's A/C/G/T")
    else:
        exact = peers.EXACT_YES if restored == peers.sha256_file(plain) else peers.EXACT_NO
        note = (tool.note or peers.UNEXPECTED_LOSS) if exact != peers.EXACT_YES else ""
    size = os.path.getsize(arc)
    shutil.rmtree(tmp, ignore_errors=True)
    return Result(name, level, size, statistics.median(ctimes), statistics.median(dtimes), rss, exact, note)


def _measure_peer(name: str, plain: str, kind: str, work: str, repeat: int) -> Result:
    """A peer that fails (fqzcomp on some inputs) is a row marked failed, not the end of the
    bench; dnacomp's own runs are not caught: if dnacomp fails, the bench must fail loudly."""
    level = peers.TOOLS[name].default_level
    try:
        return _measure(name, level, plain, kind, work, repeat)
    except DnacompError as exc:
        return Result(name, level, exact="failed", note=str(exc).splitlines()[-1][-120:])


def run_bench(path: str, levels: list[int], tools: list[str], repeat: int = 1, tsv: str | None = None) -> int:
    with tempfile.TemporaryDirectory(prefix="dnacomp-bench-") as work:
        plain = os.path.join(work, "input")
        with open_input(path) as src, open(plain, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        size = os.path.getsize(plain)
        kind, symbols = peers.count_symbols(plain)
        names = resolve_tools(tools, kind)
        results = [_measure("dnacomp", str(lv), plain, kind, work, repeat) for lv in levels]
        results += [_measure_peer(t, plain, kind, work, repeat) for t in names]
    ref = next((r for r in results if r.tool in ("mfcompress", "fqzcomp", "xz", "gzip") and r.archive_bytes), None)
    header = [
        "tool",
        "level",
        "archive_bytes",
        "bits_per_base",
        f"vs_{ref.tool if ref else 'ref'}",
        "compress_s",
        "decompress_s",
        "compress_MB_s",
        "decompress_MB_s",
        "max_rss_MB",
        "exact",
        "note",
    ]
    rows = []
    for r in results:
        if not r.archive_bytes:
            rows.append(
                [
                    r.tool,
                    r.level,
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    r.exact if r.exact in (peers.NOT_AVAILABLE, "failed") else "",
                    r.note,
                ]
            )
            continue
        rel = f"{100 * (r.archive_bytes / ref.archive_bytes - 1):+.1f}%" if ref else ""
        rows.append(
            [
                r.tool,
                r.level,
                str(r.archive_bytes),
                f"{8 * r.archive_bytes / max(symbols, 1):.4f}",
                rel,
                f"{r.compress_s:.2f}",
                f"{r.decompress_s:.2f}",
                f"{size / 1e6 / r.compress_s:.2f}",
                f"{size / 1e6 / r.decompress_s:.2f}",
                f"{r.max_rss_mb:.0f}",
                r.exact,
                r.note,
            ]
        )
    print(f"# {path}: {kind.upper()}, {size:,} bytes, {symbols:,} sequence symbols; medians of {repeat} run(s)")
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip())
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    if tsv:
        with open(tsv, "w") as f:
            f.write("\t".join(["file", "input_bytes", "symbols", *header]) + "\n")
            for row in rows:
                f.write("\t".join([os.path.basename(path), str(size), str(symbols), *row]) + "\n")
    return 0
