"""The compressors that `dnacomp bench` and the Snakemake workflow compare, each written once.

A tool is two steps, compress and decompress, each an argv template with the placeholders
``{in}`` (input path), ``{out}`` (output path), ``{level}``, ``{threads}`` and ``{tmp}`` (a
private scratch directory, also the step's working directory). A step's output reaches ``{out}``
in one of three ways: the tool writes it there itself (``-o {out}``), it writes to standard output
(``stdout=True``, redirected into ``{out}``), or it names the file itself (``produces``, a
template such as ``"{in}.co"``, renamed to ``{out}`` afterwards).

``dnacomp bench`` runs the steps as argv lists (:meth:`Step.argv_for`); the workflow runs the
very same steps as shell commands (:meth:`Step.shell_for`), so both measure the same command
lines. The executable ``dnacomp`` stands for ``python -m dnacomp`` with the running interpreter,
so the dnacomp being measured is the one installed beside the caller.

bits/base = 8 x archive bytes / sequence symbols (every byte of sequence lines; for FASTQ the read
bases), counted with dnacomp's own parser (:func:`count_symbols`).
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import sys
from dataclasses import dataclass, field

DNACOMP = "dnacomp"
DEFAULT_PEER_DIRS = ("~/.local/peers/bin",)

# What the `exact` column of a report says for each outcome.
EXACT_YES, EXACT_NO, EXACT_ACGT, NOT_AVAILABLE = "yes", "no", "ACGT-only", "not available"
#: why a run is not exact when its tool has no known loss (each Tool's ``note``, beside its command
#: lines, says what that tool loses)
UNEXPECTED_LOSS = "restored file differs from the input (sha256)"


@dataclass(frozen=True)
class Step:
    argv: tuple[str, ...]
    stdout: bool = False  # output comes on stdout, redirected into {out}
    produces: str | None = None  # the tool picks its output name: this file is renamed to {out}

    def _fields(self, src: str, out: str, level: str, threads: int, tmp: str) -> dict[str, str]:
        return {
            "in": src,
            "out": out,
            "level": str(level),
            "threads": str(threads),
            "tmp": tmp,
            "in_noext": os.path.splitext(src)[0],
        }

    def argv_for(
        self, exes: dict[str, list[str]], src: str, out: str, level: str, threads: int = 1, tmp: str = "."
    ) -> list[str]:
        """The command as a list; ``exes`` maps each executable name to its resolved argv prefix."""
        fields = self._fields(src, out, level, threads, tmp)
        return [*exes[self.argv[0]], *(a.format(**fields) for a in self.argv[1:])]

    def produced(self, src: str, out: str, level: str, threads: int = 1, tmp: str = ".") -> str | None:
        return self.produces.format(**self._fields(src, out, level, threads, tmp)) if self.produces else None

    def shell_for(self, exes: dict[str, list[str]], src: str, out: str, level: str, threads: int = 1) -> str:
        """The step as one bash command: run in a private scratch directory beside ``out``, which
        is removed afterwards; paths are made absolute first so the `cd` does not matter."""
        src, out = os.path.abspath(src), os.path.abspath(out)
        tmp = '"$tmp"'
        cmd = shlex.join(self.argv_for(exes, src, out, level, threads, "TMPDIR_PLACEHOLDER"))
        cmd = cmd.replace("TMPDIR_PLACEHOLDER", tmp)
        if self.stdout:
            cmd += f" > {shlex.quote(out)}"
        if self.produces:
            cmd += f" && mv -f {shlex.quote(self.produced(src, out, level, threads))} {shlex.quote(out)}"
        scratch = shlex.quote(os.path.dirname(out))
        return f'tmp=$(mktemp -d {scratch}/.tmp.XXXXXX) && trap \'rm -rf "$tmp"\' EXIT && cd "$tmp" && {cmd}'


@dataclass(frozen=True)
class Tool:
    name: str
    label: str  # how reports name it
    formats: tuple[str, ...]  # "fasta", "fastq"
    ext: str  # archive file extension
    default_level: str
    compress: Step
    decompress: Step
    exactness: str = EXACT_YES  # what a byte-exact run is reported as (EXACT_ACGT for ACGT-only)
    prepare: str | None = None  # a key of PREPARE: the tool gets that copy of the input, not the input
    note: str = ""  # why a run is not byte-exact: what the tool loses ("" = nothing known)
    executables: tuple[str, ...] = field(default=())

    def __post_init__(self):
        if not self.executables:
            object.__setattr__(
                self, "executables", tuple(dict.fromkeys((self.compress.argv[0], self.decompress.argv[0])))
            )

    def command_label(self, level: str, threads: int = 1) -> str:
        """The compress command as a person would type it, for reports."""
        args = " ".join(
            a.format(**{"in": "IN", "out": "OUT", "level": level, "threads": threads, "tmp": "TMP", "in_noext": "IN"})
            for a in self.compress.argv
        )
        return args + (" > OUT" if self.compress.stdout else "")


def _simple(name: str, level: str, ext: str, extra: tuple[str, ...] = ()) -> Tool:
    return Tool(
        name,
        f"{name} -{{level}}",
        ("fasta", "fastq"),
        ext,
        level,
        Step((name, "-{level}", *extra, "-c", "{in}"), stdout=True),
        Step((name, "-d", *extra, "-c", "{in}"), stdout=True),
    )


TOOLS: dict[str, Tool] = {
    t.name: t
    for t in [
        Tool(
            "dnacomp",
            "dnacomp -{level}",
            ("fasta", "fastq"),
            "dnac",
            "5",
            Step((DNACOMP, "compress", "-{level}", "-T", "{threads}", "-c", "-q", "{in}"), stdout=True),
            Step((DNACOMP, "decompress", "-c", "-q", "{in}"), stdout=True),
        ),
        # the GRU model: not among the 'auto' peers (slow); ask for it with --tools dnacomp-gru
        Tool(
            "dnacomp-gru",
            "dnacomp -{level} --model gru",
            ("fasta", "fastq"),
            "dnac",
            "9",
            Step(
                (DNACOMP, "compress", "-{level}", "--model", "gru", "-T", "{threads}", "-c", "-q", "{in}"), stdout=True
            ),
            Step((DNACOMP, "decompress", "-c", "-q", "{in}"), stdout=True),
        ),
        _simple("gzip", "9", "gz"),
        _simple("bzip2", "9", "bz2"),
        _simple("xz", "9", "xz", ("-T1",)),
        _simple("zstd", "19", "zst", ("-q",)),
        Tool(
            "mfcompress",
            "MFCompress -{level}",
            ("fasta",),
            "mfc",
            "3",
            Step(("MFCompressC", "-{level}", "-o", "{out}", "{in}")),
            Step(("MFCompressD", "-o", "{out}", "{in}")),
            note="MFCompress drops the final blank line",
        ),
        Tool(
            "geco3",
            "GeCo3 -l {level}",
            ("fasta",),
            "co",
            "12",
            Step(("GeCo3", "-F", "-l", "{level}", "{in}"), produces="{in}.co"),
            Step(("GeDe3", "{in}"), produces="{in_noext}.de"),
            exactness=EXACT_ACGT,
            prepare="uppercase",
            note="ACGT only: no N runs, case, headers or layout (GeCo3 codes the A/C/G/T of an uppercased "
            "copy), so its size is a lower bound",
        ),
        Tool(
            "jarvis3",
            "JARVIS3 -l {level}",
            ("fasta",),
            "jc",
            "27",
            Step(("JARVIS3", "-l", "{level}", "{in}"), produces="{in}.jc"),
            Step(("JARVIS3", "-d", "{in}"), produces="{in}.jd"),
            exactness=EXACT_ACGT,
            prepare="acgt",
            note="ACGT only: no N runs, case, headers or layout (JARVIS3 codes the A/C/G/T of the sequence, "
            "uppercased, as one line), so its size is a lower bound",
        ),
        Tool(
            "naf",
            "NAF -{level}",
            ("fasta",),
            "naf",
            "22",
            Step(("ennaf", "-{level}", "--temp-dir", "{tmp}", "{in}", "-o", "{out}")),
            Step(("unnaf", "{in}", "-o", "{out}")),
        ),
        Tool(
            "fqzcomp",
            "fqzcomp -s{level}+ -e -q3",
            ("fastq",),
            "fqz",
            "5",
            Step(("fqzcomp", "-s{level}+", "-e", "-q3", "{in}", "{out}")),
            Step(("fqzcomp", "-d", "{in}", "{out}")),
            note="fqzcomp 4.6 restores the quality of every N base as '!', so it is not byte-exact where N bases "
            "had other qualities",
        ),
        # ENANO (guilledufort/EnanoFASTQ): the nanopore specialist the long-read targets are set
        # against (issue 15); -c is its strongest mode, the level its base context length (-k)
        Tool(
            "enano",
            "ENANO -c -k {level}",
            ("fastq",),
            "enano",
            "7",
            Step(("enano", "-c", "-k", "{level}", "-t", "{threads}", "{in}", "{out}")),
            Step(("enano", "-d", "-t", "{threads}", "{in}", "{out}")),
            note="ENANO writes every '+' line with the read's name repeated, so it is byte-exact only where "
            "the input did so",
        ),
        Tool(
            "cram",
            "CRAM 3.1 archive level {level}",
            ("fastq",),
            "cram",
            "9",
            Step(("samtools", "import", "-0", "{in}", "-O", "cram,version=3.1,archive,level={level}", "-o", "{out}")),
            Step(("samtools", "fastq", "{in}"), stdout=True),
            note="samtools import: read names cut at the first space (comments dropped), so not byte-exact",
        ),
    ]
}

#: the tools that are dnacomp itself (no conda environment of their own; one pair of workflow rules)
OWN_TOOLS = tuple(name for name, tool in TOOLS.items() if set(tool.executables) == {DNACOMP})

PEERS_FOR = {
    "fasta": ["gzip", "bzip2", "xz", "zstd", "mfcompress", "geco3", "jarvis3", "naf"],
    "fastq": ["gzip", "bzip2", "xz", "zstd", "fqzcomp", "enano", "cram"],
}


def search_path(peer_dirs=DEFAULT_PEER_DIRS) -> str:
    """PATH plus the peer directories that exist (e.g. ~/.local/peers/bin)."""
    dirs = [os.path.expanduser(d) for d in peer_dirs]
    return os.pathsep.join([os.environ.get("PATH", ""), *[d for d in dirs if os.path.isdir(d)]])


def resolve(tool: Tool, peer_dirs=DEFAULT_PEER_DIRS) -> dict[str, list[str]] | None:
    """Executable name -> argv prefix for every executable of ``tool``; None if one is missing."""
    path = search_path(peer_dirs)
    exes: dict[str, list[str]] = {}
    for name in tool.executables:
        if name == DNACOMP:
            exes[name] = [sys.executable, "-m", "dnacomp"]
            continue
        found = shutil.which(name, path=path)
        if not found:
            return None
        exes[name] = [found]
    return exes


def bare(tool: Tool) -> dict[str, list[str]]:
    """Executables by bare name (found on the job's PATH, e.g. inside a conda environment)."""
    return {name: ([sys.executable, "-m", "dnacomp"] if name == DNACOMP else [name]) for name in tool.executables}


def uppercase_copy(src: str, dst: str) -> None:
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        for block in iter(lambda: fi.read(1 << 20), b""):
            fo.write(block.upper())


def acgt_copy(src: str, dst: str) -> None:
    """What an ACGT-only tool that reads a bare sequence (JARVIS3) is given: the bytes that
    ``acgt_projection_sha256`` hashes (sequence lines, uppercased, only A/C/G/T, no newlines)."""
    keep = bytes(range(256)).translate(None, b"ACGT")
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        for line in fi:
            if not line.startswith(b">"):
                fo.write(line.upper().translate(None, keep))


#: the copies a tool can ask for (``Tool.prepare``): how each is made, and its file suffix
PREPARE = {"uppercase": (uppercase_copy, ".upper"), "acgt": (acgt_copy, ".acgt")}


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def detect_kind(path: str) -> str:
    """'fasta' or 'fastq', by content (dnacomp's own detection)."""
    from ..fileio import open_input, sniff_stream
    from ..formats.detect import detect_format

    with open_input(path) as f:
        head, _ = sniff_stream(f)
        return detect_format(head, path)


def count_symbols(path: str) -> tuple[str, int]:
    """(format, sequence symbols) of a FASTA/FASTQ file, plain or gzipped, with dnacomp's parser:
    every byte of sequence lines (FASTA), the read bases (FASTQ)."""
    from ..fileio import open_input, sniff_stream
    from ..formats import PARSERS
    from ..formats.chunks import iter_chunks
    from ..formats.detect import detect_format

    with open_input(path) as f:
        head, stream = sniff_stream(f)
        kind = detect_format(head, path)
        return kind, sum(
            PARSERS[kind](chunk, path, line, rec).n_symbols for chunk, line, rec in iter_chunks(stream, kind, path)
        )


def acgt_projection_sha256(path: str, kind: str) -> str:
    """sha256 of what an ACGT-only tool (GeCo3) restores: the sequence bytes, uppercased, with
    everything but A/C/G/T dropped (headers and line breaks too)."""
    h = hashlib.sha256()
    keep = bytes(range(256)).translate(None, b"ACGT")  # all bytes except ACGT: deleted
    with open(path, "rb") as f:
        for i, line in enumerate(f):
            if kind == "fasta" and line.startswith(b">"):
                continue
            if kind == "fastq" and i % 4 != 1:
                continue
            h.update(line.upper().translate(None, keep))
    return h.hexdigest()
