# Settings, inputs and input functions of the batch rules (workflow/rules/batch.smk, which
# includes this file).
import os
import re
import shlex
import shutil
import sys

from snakemake.exceptions import WorkflowError

BATCH = config.setdefault("batch", {})
BATCH_OUT = BATCH.get("output_dir", "results/batch").rstrip("/")
BATCH_SUFFIXES = (".fa", ".fasta", ".fna", ".ffn", ".fas", ".fq", ".fastq")


def _batch_use_conda() -> bool:
    try:
        from snakemake.settings.types import DeploymentMethod

        return DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
    except Exception:  # older Snakemake or a changed API: assume no conda
        return False


# the dnacomp command: on PATH, else the Python running Snakemake; under --use-conda, the
# environment's (workflow/envs/dnacomp.yaml)
if _batch_use_conda():
    BATCH_DNACOMP = "python -m dnacomp"
elif shutil.which("dnacomp"):
    BATCH_DNACOMP = shlex.quote(shutil.which("dnacomp"))
else:
    BATCH_DNACOMP = f"{shlex.quote(sys.executable)} -m dnacomp"


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


def _scattered(name: str) -> bool:
    """Whether a file is scattered: it is at least scatter_min_bytes large (its size, from the
    directory) and a multi-record FASTA, which the `batch_plan` checkpoint finds out by reading it
    in a job, so no input is read while the DAG is built."""
    limit = int(BATCH.get("scatter_min_bytes", 0) or 0)
    if not limit or os.path.getsize(BATCH_INPUTS[name]) < limit:
        return False
    with open(checkpoints.batch_plan.get(name=name).output[0]) as f:
        return f.read().strip() == "multi-record FASTA"


def batch_targets(wildcards=None):
    """The outputs of the batch: NAME.dnac, or NAME.dnacset/MANIFEST.tsv for scattered files. An
    input function (it waits for the `batch_plan` checkpoints): `input: batch_targets`."""
    folder = BATCH.get("input_dir") or ""
    if not folder or not os.path.isdir(folder):
        raise WorkflowError(
            f"batch: set batch.input_dir to a directory of FASTA/FASTQ files (now {folder!r}), "
            "e.g. --config batch='{input_dir: data}'"
        )
    if not BATCH_INPUTS:
        raise WorkflowError(f"batch: no FASTA/FASTQ files (*.fa, *.fq, ... optionally .gz) in {folder}")
    return [f"{BATCH_OUT}/{n}.dnacset/MANIFEST.tsv" if _scattered(n) else f"{BATCH_OUT}/{n}.dnac" for n in BATCH_INPUTS]


def _name_pattern() -> str:
    return "|".join(re.escape(n) for n in BATCH_INPUTS) or "(?!)"


def _batch_parts(wildcards):
    folder = checkpoints.batch_split.get(name=wildcards.name).output[0]
    parts = sorted(p for p in os.listdir(folder) if p.startswith("part-"))
    return [f"{BATCH_OUT}/{wildcards.name}.dnacset/{p}.dnac" for p in parts]
