"""Cut a FASTA file (plain or gzipped) at record boundaries into parts, byte for byte.

The parts' concatenation is exactly the (uncompressed) input: every byte, headers, line breaks and
blank lines included. With at most `parts` records, each record is its own part (one per
chromosome); otherwise consecutive records are grouped into `parts` parts of about equal size.
Anything before the first header goes with the first part.
"""

import gzip
import os


def _open(path):
    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")


def record_starts(path):
    """(byte offsets of the header lines, total bytes) of the uncompressed file."""
    starts, offset = [], 0
    with _open(path) as f:
        for line in f:
            if line.startswith(b">"):
                starts.append(offset)
            offset += len(line)
    return starts, offset


def cut_points(starts, total, parts):
    if not starts:
        return [0]
    if len(starts) <= parts:
        return [0] + starts[1:]
    cuts, k = [0], 1
    for s in starts[1:]:
        if s >= k * total / parts and s > cuts[-1]:
            cuts.append(s)
            k += 1
            if k == parts:
                break
    return cuts


def split(path, outdir, parts):
    starts, total = record_starts(path)
    cuts = cut_points(starts, total, parts) + [total]
    os.makedirs(outdir, exist_ok=True)
    width = max(4, len(str(len(cuts) - 1)))
    with _open(path) as f:
        for i, (a, b) in enumerate(zip(cuts, cuts[1:]), 1):
            with open(os.path.join(outdir, f"part-{i:0{width}d}.fa"), "wb") as out:
                left = b - a
                while left:
                    block = f.read(min(left, 1 << 20))
                    if not block:
                        raise OSError(f"{path}: ended early")
                    out.write(block)
                    left -= len(block)


if __name__ == "__main__" and "snakemake" in globals():
    split(snakemake.input[0], snakemake.output[0], int(snakemake.params.parts))  # noqa: F821
