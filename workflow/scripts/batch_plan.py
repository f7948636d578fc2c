"""Whether a FASTA/FASTQ file (plain or gzipped) is a multi-record FASTA: it starts with '>' and
has another header line. Reads up to the second header only."""

import gzip


def plan(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        if f.read(1) != b">":
            return "not a multi-record FASTA"
        return "multi-record FASTA" if any(line.startswith(b">") for line in f) else "not a multi-record FASTA"


if __name__ == "__main__" and "snakemake" in globals():
    with open(snakemake.output[0], "w") as out:  # noqa: F821
        out.write(plan(snakemake.input[0]) + "\n")  # noqa: F821
