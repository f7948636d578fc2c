"""results/bits_per_base.tsv: one row per (file, tool, level), every number read from results/.

archive_bytes is the size of the archive file, bits_per_base = 8 x archive_bytes / symbols
(symbols from results/stats/FILE.json, counted with dnacomp's parser), times and peak RSS from
Snakemake's benchmark files (median time, largest RSS over repeats; RSS is sampled, so a step
shorter than the sampling interval has none), exact from results/verify/, and `note` says why a
run is not exact (the tool's known loss, what verification found). `dnacomp_version` is what
`dnacomp --version` of the measured dnacomp says (with the git commit of its source when it is a
checkout), `format_version` the container version of each dnacomp archive.
"""

import csv
import json
import os
import statistics
import struct
import subprocess
import sys

COLUMNS = [
    "file",
    "format",
    "tool",
    "level",
    "label",
    "input_bytes",
    "symbols",
    "archive_bytes",
    "bits_per_base",
    "compress_s",
    "decompress_s",
    "compress_MB_s",
    "decompress_MB_s",
    "compress_max_rss_MB",
    "decompress_max_rss_MB",
    "exact",
    "note",
    "command",
    "archive",
    "format_version",
    "dnacomp_version",
]
MAGIC = b"\x89DNAC\r\n\x1a\n"  # a .dnac archive starts with MAGIC and its format version (uint16 LE)


def read_benchmark(path):
    """(median wall seconds, largest max_rss in MB or None) of a Snakemake benchmark file."""
    with open(path) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    seconds = statistics.median(float(r["s"]) for r in rows)
    rss = [float(r["max_rss"]) for r in rows if r.get("max_rss") not in (None, "", "NA", "-")]
    rss = [x for x in rss if x > 0]  # 0: the step ended before Snakemake's first sample
    return seconds, (max(rss) if rss else None)


def format_version(path):
    with open(path, "rb") as f:
        head = f.read(len(MAGIC) + 2)
    return str(struct.unpack("<H", head[len(MAGIC) :])[0]) if head.startswith(MAGIC) and len(head) == 11 else ""


def _output(argv):
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


def dnacomp_version(exes):
    """'dnacomp 0.1.0 (git 33b884c)': the measured dnacomp's --version, and the commit of its source
    when that is a git checkout (an editable install, or PYTHONPATH)."""
    argv = exes.get("dnacomp") or [sys.executable, "-m", "dnacomp"]  # [python, -m, dnacomp]
    version = _output([*argv, "--version"]) or "dnacomp (version unknown)"
    where = _output([argv[0], "-c", "import dnacomp, os; print(os.path.dirname(os.path.abspath(dnacomp.__file__)))"])
    commit = _output(["git", "-C", where, "describe", "--always", "--dirty", "--abbrev=7"]) if where else ""
    return version + (f" (git {commit})" if commit else "")


def fmt(x, digits):
    return "" if x is None else f"{x:.{digits}f}"


def row_for(run, stats_cache, version):
    if run["stats"] not in stats_cache:
        with open(run["stats"]) as f:
            stats_cache[run["stats"]] = json.load(f)
    stats = stats_cache[run["stats"]]
    row = dict(
        file=run["file"],
        format=run["format"],
        tool=run["tool"],
        level=run["level"],
        label=run["label"],
        input_bytes=stats["input_bytes"],
        symbols=stats["symbols"],
        command=run["command"],
        dnacomp_version=version,
    )
    notes = ["default level"] if run["default"] else []
    if not run["available"]:
        row.update(exact="not available", note="not found on PATH or in peer_dirs")
        return row
    size = os.path.getsize(run["archive"])
    cs, crss = read_benchmark(run["compress_bench"])
    ds, drss = read_benchmark(run["decompress_bench"])
    with open(run["verify"]) as f:
        verify = json.load(f)
    mb = stats["input_bytes"] / 1e6
    if verify["exact"] == "failed":  # what failed (not the tool's known loss: nothing was restored)
        notes.append(verify["detail"])
    elif verify["exact"] != "yes":  # the tool's known loss, then what verification found
        notes += [n for n in (run["note"], verify["detail"]) if n]
    if verify["exact"] == "failed":
        row.update(exact="failed", note="; ".join(notes), compress_s=fmt(cs, 3), decompress_s=fmt(ds, 3))
        return row
    row.update(
        archive_bytes=size,
        bits_per_base=f"{8 * size / stats['symbols']:.4f}" if stats["symbols"] else "",
        compress_s=fmt(cs, 3),
        decompress_s=fmt(ds, 3),
        compress_MB_s=fmt(mb / cs if cs > 0 else None, 3),
        decompress_MB_s=fmt(mb / ds if ds > 0 else None, 3),
        compress_max_rss_MB=fmt(crss, 1),
        decompress_max_rss_MB=fmt(drss, 1),
        exact=verify["exact"],
        archive=run["archive"],
        format_version=format_version(run["archive"]) if run["archive"].endswith(".dnac") else "",
    )
    row["note"] = "; ".join(notes)
    return row


def main(runs, out, exes):
    cache = {}
    version = dnacomp_version(exes)
    rows = [row_for(run, cache, version) for run in runs]
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS, delimiter="\t", lineterminator="\n", restval="")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__" and "snakemake" in globals():
    main(snakemake.params.runs, snakemake.output.tsv, dict(snakemake.params.dnacomp))  # noqa: F821
