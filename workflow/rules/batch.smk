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
include: "batch_common.smk"


rule batch:
    """Target: compress (and test) every file of batch.input_dir."""
    input:
        batch_targets,


rule batch_compress:
    input:
        lambda w: BATCH_INPUTS[w.name],
    output:
        f"{BATCH_OUT}/{{name}}.dnac",
    log:
        f"{BATCH_OUT}/logs/{{name}}.log",
    wildcard_constraints:
        name=_name_pattern(),
    conda:
        "../envs/dnacomp.yaml"
    threads: int(BATCH.get("threads", 2))
    params:
        dnacomp=BATCH_DNACOMP,
        level=int(BATCH.get("level", 5)),
    shell:
        "( {params.dnacomp} compress -k -f -q -{params.level} -T {threads} -o {output:q} {input:q}"
        " && {params.dnacomp} test -q {output:q} ) 2> {log:q}"


checkpoint batch_plan:
    """Whether a file of at least scatter_min_bytes is a multi-record FASTA (then it is scattered)."""
    input:
        lambda w: BATCH_INPUTS[w.name],
    output:
        f"{BATCH_OUT}/plan/{{name}}.txt",
    log:
        f"{BATCH_OUT}/logs/{{name}}.plan.log",
    wildcard_constraints:
        name=_name_pattern(),
    conda:
        "../envs/dnacomp.yaml"
    script:
        "../scripts/batch_plan.py"


checkpoint batch_split:
    """Cuts a multi-record FASTA at record boundaries into parts whose concatenation is the input."""
    input:
        lambda w: BATCH_INPUTS[w.name],
    output:
        temp(directory(f"{BATCH_OUT}/parts/{{name}}")),
    log:
        f"{BATCH_OUT}/logs/{{name}}.split.log",
    wildcard_constraints:
        name=_name_pattern(),
    conda:
        "../envs/dnacomp.yaml"
    params:
        parts=int(BATCH.get("scatter_parts", 8)),
    script:
        "../scripts/split_records.py"


rule batch_compress_part:
    input:
        f"{BATCH_OUT}/parts/{{name}}/{{part}}",
    output:
        f"{BATCH_OUT}/{{name}}.dnacset/{{part}}.dnac",
    log:
        f"{BATCH_OUT}/logs/{{name}}.{{part}}.log",
    wildcard_constraints:
        name=_name_pattern(),
        part=r"part-\d+\.fa",
    conda:
        "../envs/dnacomp.yaml"
    threads: int(BATCH.get("threads", 2))
    params:
        dnacomp=BATCH_DNACOMP,
        level=int(BATCH.get("level", 5)),
    shell:
        "( {params.dnacomp} compress -k -f -q -{params.level} -T {threads} -o {output:q} {input:q}"
        " && {params.dnacomp} test -q {output:q} ) 2> {log:q}"


rule batch_gather:
    """The set: restores every part in order and checks the concatenation against the original."""
    input:
        parts=_batch_parts,
        original=lambda w: BATCH_INPUTS[w.name],
        split=lambda w: checkpoints.batch_split.get(name=w.name).output[0],
    output:
        f"{BATCH_OUT}/{{name}}.dnacset/MANIFEST.tsv",
    log:
        f"{BATCH_OUT}/logs/{{name}}.gather.log",
    wildcard_constraints:
        name=_name_pattern(),
    conda:
        "../envs/dnacomp.yaml"
    script:
        "../scripts/gather_parts.py"
