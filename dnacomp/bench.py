"""`dnacomp bench`: dnacomp levels and peer compressors on the same file, in the same run.

Every tool runs as a child process on the same plain-text copy of the input, so wall time and
peak memory (ru_maxrss of the child) are measured the same way for all, and every restored file
is compared with the original (a tool that is not byte-exact is marked, never silently counted).
bits/base = 8 x archive bytes / sequence symbols (every byte of sequence lines), as the issues'
target tables were measured.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

from .errors import DnacompError
from .fileio import open_input

PEER_DIRS = [os.path.expanduser("~/.local/peers/bin")]


@dataclass
class Result:
    tool: str
    level: str
    archive_bytes: int = 0
    compress_s: float = 0.0
    decompress_s: float = 0.0
    max_rss_mb: float = 0.0
    exact: str = "no"
    note: str = ""


def _which(name: str) -> str | None:
    path = os.pathsep.join([os.environ.get("PATH", "")] + PEER_DIRS)
    return shutil.which(name, path=path)


def _run(cmd: list[str], stdin_path: str | None = None, stdout_path: str | None = None) -> tuple[float, float]:
    """Runs cmd; returns (wall seconds, peak RSS in MB of the child)."""
    fin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    fout = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    try:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdin=fin, stdout=fout, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode(errors="replace").strip() if proc.stderr else ""
        if proc.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {err.splitlines()[-1] if err else proc.returncode}")
        return elapsed, usage.ru_maxrss / 1024
    finally:
        for f in (fin, fout):
            if hasattr(f, "close"):
                f.close()


def _tool_commands(tool: str, level: int | None, src: str, arc: str, out: str):
    """(compress cmd, its stdout file, decompress cmd, its stdout file, note) or None if missing."""
    py = [sys.executable, "-m", "dnacomp"]
    simple = {"gzip": ("gzip", "-9"), "bzip2": ("bzip2", "-9"), "xz": ("xz", "-9"), "zstd": ("zstd", "-19")}
    if tool == "dnacomp":
        return ([*py, "compress", f"-{level}", "-c", "-q", src], arc,
                [*py, "decompress", "-c", "-q", arc], out, "")
    if tool in simple:
        exe = _which(simple[tool][0])
        if not exe:
            return None
        extra = ["-T1"] if tool == "xz" else (["-q"] if tool == "zstd" else [])
        return ([exe, simple[tool][1], *extra, "-c", src], arc, [exe, "-d", *extra, "-c", arc], out, "")
    if tool == "mfcompress":
        c, d = _which("MFCompressC"), _which("MFCompressD")
        if not (c and d):
            return None
        return ([c, "-3", "-o", arc, src], None, [d, "-o", out, arc], None, "")
    raise DnacompError(f"unknown tool {tool!r} (known: dnacomp, gzip, bzip2, xz, zstd, mfcompress, geco3)")


def _sha(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _count_symbols(path: str) -> int:
    from .archive import PARSERS
    from .fileio import sniff_stream
    from .formats.chunks import iter_chunks
    from .formats.detect import detect_format

    with open(path, "rb") as f:
        head, stream = sniff_stream(f)
        kind = detect_format(head, path)
        return sum(PARSERS[kind](chunk, path, line, rec).n_symbols
                   for chunk, line, rec in iter_chunks(stream, kind, path))


def _measure(tool: str, level: int | None, plain: str, work: str, repeat: int) -> Result:
    label = "" if level is None else str(level)
    if tool == "geco3":
        return _measure_geco3(plain, work, repeat)
    arc = os.path.join(work, f"{tool}{label}.arc")
    out = os.path.join(work, f"{tool}{label}.out")
    cmds = _tool_commands(tool, level, plain, arc, out)
    if cmds is None:
        return Result(tool, label, note="not available")
    ccmd, cout, dcmd, dout, note = cmds
    ctimes, dtimes, rss = [], [], 0.0
    for _ in range(repeat):
        for p in (arc, out):
            if os.path.exists(p):
                os.unlink(p)
        t, m = _run(ccmd, stdout_path=cout)
        ctimes.append(t)
        rss = max(rss, m)
        t, m = _run(dcmd, stdout_path=dout)
        dtimes.append(t)
        rss = max(rss, m)
    exact = "yes" if _sha(out) == _sha(plain) else "NO"
    return Result(tool, label, os.path.getsize(arc), statistics.median(ctimes), statistics.median(dtimes),
                  rss, exact, note)


def _measure_geco3(plain: str, work: str, repeat: int) -> Result:
    """GeCo3 codes A/C/G/T only: it gets an uppercased copy, and its size is a lower bound."""
    c, d = _which("GeCo3"), _which("GeDe3")
    if not (c and d):
        return Result("geco3", "12", note="not available")
    upper = os.path.join(work, "geco_in.fa")
    with open(plain, "rb") as fi, open(upper, "wb") as fo:
        for block in iter(lambda: fi.read(1 << 20), b""):
            fo.write(block.upper())
    ctimes, dtimes, rss = [], [], 0.0
    for _ in range(repeat):
        t, m = _run([c, "-F", "-l", "12", upper])
        ctimes.append(t)
        rss = max(rss, m)
        t, m = _run([d, "-F", upper + ".co"])
        dtimes.append(t)
        rss = max(rss, m)
    return Result("geco3", "12", os.path.getsize(upper + ".co"), statistics.median(ctimes),
                  statistics.median(dtimes), rss, "ACGT-only", "uppercased input; lower bound")


def run_bench(path: str, levels: list[int], tools: list[str], repeat: int = 1, tsv: str | None = None) -> int:
    with tempfile.TemporaryDirectory(prefix="dnacomp-bench-") as work:
        plain = os.path.join(work, "input")
        with open_input(path) as src, open(plain, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        size = os.path.getsize(plain)
        symbols = _count_symbols(plain)
        results = [_measure("dnacomp", lv, plain, work, repeat) for lv in levels]
        results += [_measure(t, None, plain, work, repeat) for t in tools]
    ref = next((r for r in results if r.tool in ("mfcompress", "xz", "gzip") and r.archive_bytes), None)
    header = ["tool", "level", "archive_bytes", "bits_per_base", f"vs_{ref.tool if ref else 'ref'}",
              "compress_s", "decompress_s", "compress_MB_s", "decompress_MB_s", "max_rss_MB", "exact", "note"]
    rows = []
    for r in results:
        if not r.archive_bytes:
            rows.append([r.tool, r.level, "", "", "", "", "", "", "", "", "", r.note])
            continue
        rel = f"{100 * (r.archive_bytes / ref.archive_bytes - 1):+.1f}%" if ref else ""
        rows.append([r.tool, r.level, str(r.archive_bytes), f"{8 * r.archive_bytes / max(symbols, 1):.4f}", rel,
                     f"{r.compress_s:.2f}", f"{r.decompress_s:.2f}", f"{size / 1e6 / r.compress_s:.2f}",
                     f"{size / 1e6 / r.decompress_s:.2f}", f"{r.max_rss_mb:.0f}", r.exact, r.note])
    print(f"# {path}: {size:,} bytes, {symbols:,} sequence symbols; medians of {repeat} run(s)")
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    if tsv:
        with open(tsv, "w") as f:
            f.write("\t".join(["file", "input_bytes", "symbols", *header]) + "\n")
            for row in rows:
                f.write("\t".join([os.path.basename(path), str(size), str(symbols), *row]) + "\n")
    return 0
