# Configuration, inputs and the list of (file, tool, level) runs, shared by the other rule files.
import glob
import json
import os
import shlex
import sys

from snakemake.utils import validate
from snakemake.exceptions import WorkflowError

from dnacomp.measure import peers
from dnacomp.models.levels import DEFAULT_LEVEL


def _coerce(value):
    """Values given with --config arrive as strings ("3", "true"): make numbers and booleans of them."""
    if isinstance(value, dict):
        return {k: _coerce(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_coerce(v) for v in value]
    if isinstance(value, str):
        if value.lower() in ("true", "false"):
            return value.lower() == "true"
        if value.isdigit():
            return int(value)
    return value


for _key in ("tools", "batch", "benchmark_repeat"):
    if _key in config:
        config[_key] = _coerce(config[_key])

validate(config, "../schemas/config.schema.yaml")

PY = sys.executable  # the interpreter running snakemake: its dnacomp is the one measured
REPEAT = int(config.get("benchmark_repeat", 1))
PEER_DIRS = config.get("peer_dirs", list(peers.DEFAULT_PEER_DIRS))


def _use_conda() -> bool:
    try:
        from snakemake.settings.types import DeploymentMethod

        return DeploymentMethod.CONDA in workflow.deployment_settings.deployment_method
    except Exception:  # older Snakemake or a changed API: assume no conda
        return False


USE_CONDA = _use_conda()


def _strip_gz(name: str) -> str:
    return name[:-3] if name.endswith(".gz") else name


def _find_inputs() -> dict:
    """Result name (base name without .gz) -> input path, for every path or glob in config."""
    files = {}
    for pattern in config.get("inputs", []):
        matches = sorted(glob.glob(os.path.expanduser(pattern)))
        if not matches:
            raise WorkflowError(f"config 'inputs': {pattern!r} matches no file")
        for path in matches:
            name = _strip_gz(os.path.basename(path))
            if files.get(name, path) != path:
                raise WorkflowError(f"config 'inputs': two files named {name!r} ({files[name]}, {path})")
            files[name] = path
    return files


INPUTS = _find_inputs()  # globbing lists directories: no input is opened while the DAG is built


def _tool_exes():
    """tool name -> executables (absolute paths; bare names under --use-conda, where dnacomp is the
    `python -m dnacomp` of workflow/envs/dnacomp.yaml), or None if missing."""
    out = {}
    for name in config.get("tools", {}):
        tool = peers.TOOLS[name]
        if USE_CONDA:
            out[name] = {
                exe: (["python", "-m", "dnacomp"] if exe == peers.DNACOMP else [exe]) for exe in tool.executables
            }
        else:
            out[name] = peers.resolve(tool, PEER_DIRS)
    return out


EXES = _tool_exes()


def input_kinds() -> dict:
    """Input name -> 'fasta' or 'fastq', from results/formats.json: the `formats` checkpoint, so
    the formats are read from the stats jobs' outputs once they have run, never while the DAG is
    first built (no input is opened then)."""
    with open(checkpoints.formats.get().output[0]) as f:
        return json.load(f)


def write_formats(stats_paths, out):
    kinds = {}
    for path in stats_paths:
        with open(path) as f:
            stats = json.load(f)
        kinds[stats["file"]] = stats["format"]
    with open(out, "w") as f:
        json.dump(kinds, f, indent=1)


def runs() -> list:
    """One dict per (file, tool, level): what the aggregation needs, in report order. Called from
    input and params functions only (it waits for the `formats` checkpoint)."""
    out = []
    kinds = input_kinds()
    for fname in INPUTS:
        kind = kinds[fname]
        for tname, settings in config.get("tools", {}).items():
            tool = peers.TOOLS[tname]
            if not settings.get("enabled", True) or kind not in tool.formats:
                continue
            for level in settings.get("levels", [tool.default_level]):
                level = str(level)
                stem = f"{fname}/{tname}-{level}"
                out.append(
                    dict(
                        file=fname,
                        format=kind,
                        tool=tname,
                        level=level,
                        label=tool.label.format(level=level),
                        command=tool.command_label(level, settings.get("threads", 1)),
                        available=EXES[tname] is not None,
                        exactness=tool.exactness,
                        note=tool.note,
                        default=(tname == "dnacomp" and level == str(DEFAULT_LEVEL)),
                        stats=f"results/stats/{fname}.json",
                        archive=f"results/archives/{stem}.{tool.ext}",
                        compress_bench=f"results/benchmarks/{stem}.compress.tsv",
                        decompress_bench=f"results/benchmarks/{stem}.decompress.tsv",
                        verify=f"results/verify/{stem}.json",
                    )
                )
    return out


PEER_NAMES = [t for t in peers.TOOLS if t not in peers.OWN_TOOLS]
OWN_TOOLS = list(peers.OWN_TOOLS)  # dnacomp, dnacomp-gru: the rules in compare.smk


wildcard_constraints:
    file=r"[^/]+",
    level=r"[0-9A-Za-z]+",
    peer="|".join(PEER_NAMES),
    own="|".join(OWN_TOOLS),


FAILED_MARK = "DNACOMP-WORKFLOW: STEP FAILED"


def step_shell(tool_name, step_name, src, out, level, log, threads=1):
    """The shell command of one step, from the tool's definition in dnacomp/measure/peers.py, with its
    output (stderr, and stdout unless that is the data) in ``log``. A failing tool does not stop
    the run: the failure is written to the log, ``out`` is left empty, and the verify rule reports
    the run as failed."""
    tool = peers.TOOLS[tool_name]
    exes = EXES.get(tool_name) or peers.bare(tool)
    cmd = getattr(tool, step_name).shell_for(exes, src, out, level, threads)
    log, out = shlex.quote(log), shlex.quote(out)
    return f'( {cmd} ) > {log} 2>&1 || {{ echo "{FAILED_MARK} (exit status $?)" >> {log}; : > {out}; }}'


def step_log(wildcards, tool_name, step_name):
    """The log of one step (the rules' log: directive names the same file)."""
    return f"results/logs/{wildcards.file}/{tool_name}-{wildcards.level}.{step_name}.log"


def failure(log_path):
    """The last lines of a step's log if the step failed, else None."""
    try:
        with open(log_path, errors="replace") as f:
            lines = [line.strip() for line in f if line.strip()]
    except FileNotFoundError:
        return None
    if not any(line.startswith(FAILED_MARK) for line in lines):
        return None
    before = [line for line in lines if not line.startswith(FAILED_MARK)]
    return before[-1][:200] if before else "no message"


def compress_input(wildcards):
    prepare = peers.TOOLS[wildcards.peer].prepare
    if prepare:
        return f"results/prepared/{wildcards.file}/{wildcards.peer}-{wildcards.level}.{prepare}"
    return f"results/plain/{wildcards.file}"


def write_stats(name, plain, out):
    """results/stats/FILE.json: input bytes, sequence symbols (dnacomp's parser), sha256 of the
    input and of its A/C/G/T bases (what an ACGT-only tool restores)."""
    kind, symbols = peers.count_symbols(plain)
    stats = dict(
        file=name,
        source=INPUTS[name],
        format=kind,
        input_bytes=os.path.getsize(plain),
        symbols=symbols,
        sha256=peers.sha256_file(plain),
        acgt_sha256=peers.acgt_projection_sha256(plain, kind),
    )
    with open(out, "w") as f:
        json.dump(stats, f, indent=1)


def write_verification(wildcards, restored_path, stats_path, out):
    """results/verify/FILE/TOOL-LEVEL.json: the restored file's sha256 against the original's (for
    an ACGT-only tool, against the input's A/C/G/T bases; such a run is ACGT-only whatever the
    outcome), or the failure of a step."""
    with open(stats_path) as f:
        stats = json.load(f)
    tool = peers.TOOLS[wildcards.tool]
    restored = peers.sha256_file(restored_path)
    failed = {step: failure(step_log(wildcards, wildcards.tool, step)) for step in ("compress", "decompress")}
    if failed["compress"] or failed["decompress"]:
        step = "compress" if failed["compress"] else "decompress"
        exact, detail = "failed", f"{step} failed: {failed[step]} (see {step_log(wildcards, wildcards.tool, step)})"
    elif tool.exactness == peers.EXACT_ACGT:
        exact = peers.EXACT_ACGT
        same = restored == stats["acgt_sha256"]
        detail = (
            "restores the input's A/C/G/T bases exactly" if same else "restored bases differ from the input's A/C/G/T"
        )
    else:
        same = restored == stats["sha256"]
        exact = peers.EXACT_YES if same else peers.EXACT_NO
        detail = "byte-exact" if same else "restored file differs from the input (sha256)"
    with open(out, "w") as f:
        json.dump(
            dict(exact=exact, restored_sha256=restored, restored_bytes=os.path.getsize(restored_path), detail=detail),
            f,
            indent=1,
        )


def aggregate_inputs(wildcards):
    """Everything the table is read from."""
    files = [f"results/stats/{name}.json" for name in INPUTS]
    for r in runs():
        if r["available"]:
            files += [r["archive"], r["compress_bench"], r["decompress_bench"], r["verify"]]
    return files
