"""Gather a scattered file's part archives: restore each part in order (dnacomp's own decoder,
in this process), check that the concatenation equals the original (sha256), and write
NAME.dnacset/MANIFEST.tsv.

Restore the whole file with:  for a in NAME.dnacset/part-*.dnac; do dnacomp decompress -c "$a"; done > NAME
"""

import gzip
import hashlib
import os
import shutil


def sha256_of(path):
    h = hashlib.sha256()
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


class _Hasher:
    """A write-only sink that hashes what dnacomp restores (the whole file and the current part)."""

    def __init__(self, whole):
        self.whole, self.part, self.size = whole, hashlib.sha256(), 0

    def write(self, data):
        self.whole.update(data)
        self.part.update(data)
        self.size += len(data)
        return len(data)


def gather(parts, original, manifest):
    from dnacomp.archive import decompress_stream

    whole = hashlib.sha256()
    rows = []
    for arc in parts:
        sink = _Hasher(whole)
        with open(arc, "rb") as src:
            decompress_stream(src, sink)
        rows.append((os.path.basename(arc), os.path.getsize(arc), sink.size, sink.part.hexdigest()))
    expected = sha256_of(original)
    if whole.hexdigest() != expected:
        raise SystemExit(f"{original}: the parts restore to sha256 {whole.hexdigest()}, not {expected}")
    with open(manifest, "w") as f:
        f.write(f"# {os.path.basename(original)}: {len(rows)} parts; concatenation sha256 {expected} (verified)\n")
        f.write("archive\tarchive_bytes\tpart_bytes\tpart_sha256\n")
        for row in rows:
            f.write("\t".join(map(str, row)) + "\n")


if __name__ == "__main__" and "snakemake" in globals():
    gather(snakemake.input.parts, snakemake.input.original, snakemake.output[0])  # noqa: F821
    shutil.rmtree(snakemake.input.split, ignore_errors=True)  # the plain parts: no longer needed  # noqa: F821
