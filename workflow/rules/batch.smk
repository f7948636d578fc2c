# Batch compression with dnacomp: every FASTA/FASTQ file (plain or .gz) in batch.input_dir ->
# batch.output_dir/NAME.dnac (NAME = file name without .gz), one job per file, `--threads`
# honoured, each archive checked with `dnacomp test` inside the same job (a job whose archive does
# not test clean fails, and Snakemake removes its output). Inputs are never removed.
#
# Optional scatter/gather: a multi-record FASTA of at least batch.scatter_min_bytes is cut at
# record boundaries into up to batch.scatter_parts parts (one per record when it has fewer
# records), byte for byte; each part is compressed and tested in its own job, and the set is
# gathered as NAME.dnacset/ (part archives + MANIFEST.tsv), checked by restoring every part and
# comparing the concatenation's sha256 with the original's. docs/workflow.md says what it costs.
#
# Self-contained: include it (or use it as a module) in another pipeline with a `batch:` config.
import os
import re
import shlex
import shutil
import sys

from snakemake.exceptions import WorkflowError

BATCH = config.setdefault("batch", {})
BATCH_OUT = BATCH.get("output_dir", "results/batch").rstrip("/")
BATCH_SUFFIXES = (".fa", ".fasta", ".fna", ".ffn", ".fas", ".fq", ".fastq")
BATCH_DNACOMP = (shlex.quote(shutil.which("dnacomp")) if shutil.which("dnacomp")
                 else f"{shlex.quote(sys.executable)} -m dnacomp")


def _batch_inputs() -> dict:
    folder = BATCH.get("input_dir") or ""
    if not folder or not os.path.isdir(folder):
        return {}
    found = {}
    for entry in sorted(os.listdir(folder)):
        stem = entry[:-3] if entry.endswith(".gz") else entry
        if stem.lower().endswith(BATCH_SUFFIXES) and os.path.isfile(os.path.join(folder, entry)):
            found[stem] = os.path.join(folder, entry)
    return found


BATCH_INPUTS = _batch_inputs()


def _is_multirecord_fasta(path: str) -> bool:
    import gzip

    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        if f.read(1) != b">":
            return False
        return any(line.startswith(b">") for line in f)


def _scattered(name: str) -> bool:
    limit = int(BATCH.get("scatter_min_bytes", 0) or 0)
    path = BATCH_INPUTS[name]
    return bool(limit) and os.path.getsize(path) >= limit and _is_multirecord_fasta(path)


def batch_targets():
    """The outputs of the batch: NAME.dnac, or NAME.dnacset/MANIFEST.tsv for scattered files."""
    folder = BATCH.get("input_dir") or ""
    if not folder or not os.path.isdir(folder):
        raise WorkflowError(f"batch: set batch.input_dir to a directory of FASTA/FASTQ files (now {folder!r}), "
                            "e.g. --config batch='{input_dir: data}'")
    if not BATCH_INPUTS:
        raise WorkflowError(f"batch: no FASTA/FASTQ files (*.fa, *.fq, ... optionally .gz) in {folder}")
    return [f"{BATCH_OUT}/{n}.dnacset/MANIFEST.tsv" if _scattered(n) else f"{BATCH_OUT}/{n}.dnac"
            for n in BATCH_INPUTS]


def _name_pattern() -> str:
    return "|".join(re.escape(n) for n in BATCH_INPUTS) or "(?!)"


rule batch:
    """Target: compress (and test) every file of batch.input_dir."""
    input:
        lambda w: batch_targets(),


rule batch_compress:
    input:
        lambda w: BATCH_INPUTS[w.name],
    output:
        f"{BATCH_OUT}/{{name}}.dnac",
    wildcard_constraints:
        name=_name_pattern(),
    threads: int(BATCH.get("threads", 2))
    params:
        dnacomp=BATCH_DNACOMP,
        level=int(BATCH.get("level", 5)),
    log:
        f"{BATCH_OUT}/logs/{{name}}.log",
    shell:
        "( {params.dnacomp} compress -k -f -q -{params.level} -T {threads} -o {output:q} {input:q}"
        " && {params.dnacomp} test -q {output:q} ) 2> {log:q}"


checkpoint batch_split:
    """Cuts a multi-record FASTA at record boundaries into parts whose concatenation is the input."""
    input:
        lambda w: BATCH_INPUTS[w.name],
    output:
        temp(directory(f"{BATCH_OUT}/parts/{{name}}")),
    wildcard_constraints:
        name=_name_pattern(),
    params:
        parts=int(BATCH.get("scatter_parts", 8)),
    script:
        "../scripts/split_records.py"


rule batch_compress_part:
    input:
        f"{BATCH_OUT}/parts/{{name}}/{{part}}",
    output:
        f"{BATCH_OUT}/{{name}}.dnacset/{{part}}.dnac",
    wildcard_constraints:
        name=_name_pattern(),
        part=r"part-\d+\.fa",
    threads: int(BATCH.get("threads", 2))
    params:
        dnacomp=BATCH_DNACOMP,
        level=int(BATCH.get("level", 5)),
    log:
        f"{BATCH_OUT}/logs/{{name}}.{{part}}.log",
    shell:
        "( {params.dnacomp} compress -k -f -q -{params.level} -T {threads} -o {output:q} {input:q}"
        " && {params.dnacomp} test -q {output:q} ) 2> {log:q}"


def _batch_parts(wildcards):
    folder = checkpoints.batch_split.get(name=wildcards.name).output[0]
    parts = sorted(p for p in os.listdir(folder) if p.startswith("part-"))
    return [f"{BATCH_OUT}/{wildcards.name}.dnacset/{p}.dnac" for p in parts]


rule batch_gather:
    """The set: restores every part in order and checks the concatenation against the original."""
    input:
        parts=_batch_parts,
        original=lambda w: BATCH_INPUTS[w.name],
        split=lambda w: checkpoints.batch_split.get(name=w.name).output[0],
    output:
        f"{BATCH_OUT}/{{name}}.dnacset/MANIFEST.tsv",
    wildcard_constraints:
        name=_name_pattern(),
    script:
        "../scripts/gather_parts.py"
