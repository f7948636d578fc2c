"""results/bits_per_base.tsv: one row per (file, tool, level), every number read from results/.

archive_bytes is the size of the archive file, bits_per_base = 8 x archive_bytes / symbols
(symbols from results/stats/FILE.json, counted with dnacomp's parser), times and peak RSS from
Snakemake's benchmark files (median time, largest RSS over repeats; RSS is sampled, so a step
shorter than the sampling interval has none), exact from results/verify/.
"""
import csv
import json
import os
import statistics

COLUMNS = ["file", "format", "tool", "level", "input_bytes", "symbols", "archive_bytes", "bits_per_base",
           "compress_s", "decompress_s", "compress_MB_s", "decompress_MB_s", "compress_max_rss_MB",
           "decompress_max_rss_MB", "exact", "note", "command", "archive"]


def read_benchmark(path):
    """(median wall seconds, largest max_rss in MB or None) of a Snakemake benchmark file."""
    with open(path) as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    seconds = statistics.median(float(r["s"]) for r in rows)
    rss = [float(r["max_rss"]) for r in rows if r.get("max_rss") not in (None, "", "NA", "-")]
    rss = [x for x in rss if x > 0]  # 0: the step ended before Snakemake's first sample
    return seconds, (max(rss) if rss else None)


def fmt(x, digits):
    return "" if x is None else f"{x:.{digits}f}"


def row_for(run, stats_cache):
    stats = stats_cache.setdefault(run["stats"], json.load(open(run["stats"])))
    row = dict(file=run["file"], format=run["format"], tool=run["tool"], level=run["level"],
               input_bytes=stats["input_bytes"], symbols=stats["symbols"], command=run["command"])
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
    if verify["exact"] != "yes":  # the tool's known loss, then what verification found
        notes += [n for n in (run["note"], verify["detail"]) if n]
    if verify["exact"] == "failed":
        row.update(exact="failed", note="; ".join(notes), compress_s=fmt(cs, 3), decompress_s=fmt(ds, 3))
        return row
    row.update(archive_bytes=size, bits_per_base=f"{8 * size / stats['symbols']:.4f}" if stats["symbols"] else "",
               compress_s=fmt(cs, 3), decompress_s=fmt(ds, 3),
               compress_MB_s=fmt(mb / cs if cs > 0 else None, 3), decompress_MB_s=fmt(mb / ds if ds > 0 else None, 3),
               compress_max_rss_MB=fmt(crss, 1), decompress_max_rss_MB=fmt(drss, 1),
               exact=verify["exact"], archive=run["archive"])
    row["note"] = "; ".join(notes)
    return row


def main(runs, out):
    cache = {}
    rows = [row_for(run, cache) for run in runs]
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w", newline="") as f:
        writer = csv.DictWriter(f, COLUMNS, delimiter="\t", lineterminator="\n", restval="")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__" and "snakemake" in globals():
    main(snakemake.params.runs, snakemake.output.tsv)  # noqa: F821
