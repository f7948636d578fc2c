"""Command line: gzip habits for genomes.

Errors caused by input, archives or the file system print one line (``dnacomp: FILE (record
R, line L): what``) and exit 1; usage errors exit 2; ``--debug`` shows the traceback instead.

The command line codes through the public API only (``dnacomp.api``, listed in
``dnacomp.__all__``); beside it, it uses its own plumbing (``jobs``, ``signals``, ``fileio``, the
kernel cache's compile notice) and the measuring layer (``measure``: ``bench``, the ``info``
report). ``pyproject.toml``'s import contracts keep it from reaching further down.
"""

from __future__ import annotations

import argparse
import os
import signal
import stat
import sys
import traceback
from collections.abc import Callable

from .errors import DnacompError
from .jobs import Job, display_name, plan_jobs, still_same_file
from .signals import Terminated, die_by_signal, terminate_by_unwinding
from .version import __version__

EPILOG = """\
examples:
  dnacomp compress chr1.fa               writes chr1.fa.dnac, removes chr1.fa (gzip habit; -k keeps it)
  dnacomp compress -k -9 reads.fastq.gz  strongest level; the archive restores the plain FASTQ
  dnacomp compress -9 --model gru chr1.fa  also mix in a GRU trained while coding (~0.2% smaller, ~4x slower)
  zcat x.fa.gz | dnacomp compress - > x.fa.dnac
  dnacomp decompress chr1.fa.dnac        writes chr1.fa back, byte for byte
  dnacomp decompress -c chr1.fa.dnac | head
  dnacomp info chr1.fa.dnac              size of each stream in bits/base
  dnacomp test chr1.fa.dnac              decode and verify checksums, write nothing
  dnacomp extract chr1.fa.dnac chr1:1000001-1001000   one region (samtools faidx syntax), decoding one segment
  dnacomp extract reads.fq.dnac '#1000-1999'         reads 1000..1999 of a FASTQ archive
  dnacomp compress -T 8 genome.fa        8 segments at once (same archive for any -T)
  dnacomp bench chr1.fa                  levels and peer compressors on the same file
  dnacomp warmup                         compile the kernels for this CPU ahead (e.g. in a container build)
"""

LEVEL_HELP = "compression level 1 (fastest) .. 9 (strongest); default %(default)s"


def build_parser() -> argparse.ArgumentParser:
    from .api import DEFAULT_LEVEL, DEFAULT_MODEL, LEVEL_DESCRIPTIONS, MODELS, READ_LEVEL_DESCRIPTIONS

    parser = argparse.ArgumentParser(
        prog="dnacomp",
        description="Lossless compressor for FASTA and FASTQ (plain, gzipped or stdin). Bases are "
        "predicted by mixed k-mer context models and arithmetic coded; headers, line "
        "layout, N runs, IUPAC codes, lowercase and qualities are kept exactly.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"dnacomp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-o", "--output", metavar="PATH", help="write to PATH (one input only)")
    common.add_argument("-c", "--stdout", action="store_true", help="write to standard output, keep inputs")
    common.add_argument("-k", "--keep", action="store_true", help="keep the input file (default: remove it on success)")
    common.add_argument("-f", "--force", action="store_true", help="overwrite existing outputs")
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    common.add_argument("-v", "--verbose", action="store_true", help="print sizes and bits/base per file")
    common.add_argument("--debug", action="store_true", help="show tracebacks on errors")

    levels = "\n".join(
        f"  -{lv}  FASTA: {text}\n      FASTQ: {READ_LEVEL_DESCRIPTIONS[lv]}"
        for lv, text in sorted(LEVEL_DESCRIPTIONS.items())
    )
    comp = sub.add_parser(
        "compress",
        aliases=["c"],
        parents=[common],
        help="FASTA/FASTQ -> .dnac",
        description="Compress FASTA/FASTQ files ('-' = stdin) into .dnac archives.\n\n"
        "levels (they set the base model; FASTQ qualities and read names use the same\n"
        "models at every level):\n" + levels,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    comp.add_argument("files", nargs="+", metavar="FILE", help="FASTA/FASTQ files, plain or gzipped ('-' = stdin)")
    for lv in range(1, 10):
        comp.add_argument(f"-{lv}", dest="level", action="store_const", const=lv, help=argparse.SUPPRESS)
    comp.add_argument("-l", "--level", dest="level", type=int, choices=range(1, 10), metavar="N", help=LEVEL_HELP)
    comp.add_argument(
        "--model",
        choices=MODELS,
        default=DEFAULT_MODEL,
        help="base model: 'cm' = context models and mixers (default); 'gru' = the same plus a "
        "small GRU network, trained online while coding, that mixes all their predictions "
        "(no weights stored; 0.01-0.2%% smaller on genomes, 0.7%% on read bases; "
        "250-400 k bases/s, ~4x slower)",
    )
    comp.add_argument(
        "-T",
        "--threads",
        type=int,
        default=1,
        metavar="N",
        help="segments coded at once (the same archive for any N); each thread holds its model "
        "tables and a segment's buffers: " + _thread_memory_text(),
    )
    comp.add_argument(
        "--segment-size",
        type=parse_size,
        default=None,
        metavar="SIZE",
        help="input bytes per independently coded segment (K, M, G suffixes). Default: a file "
        "of known size is cut into equal segments of at most 32M (FASTA -7..-9: 128M; FASTQ: "
        "8M, or 32M for long reads), stdin into segments of that size. "
        "Larger costs less ratio; smaller spreads a file over more threads and lets `extract` "
        "decode less. Recorded in the archive; the thread count never changes it",
    )
    comp.add_argument(
        "--memory",
        type=parse_size,
        default=None,
        metavar="LIMIT",
        help="use fewer threads than -T when that many would need more than LIMIT (e.g. 4G); never fewer than one",
    )
    comp.set_defaults(level=DEFAULT_LEVEL, func=cmd_compress)

    dec = sub.add_parser(
        "decompress",
        aliases=["d"],
        parents=[common],
        help=".dnac -> original file",
        description="Restore the original files, verified against their checksums.",
    )
    dec.add_argument("files", nargs="+", metavar="FILE", help=".dnac archives ('-' = stdin)")
    dec.add_argument("-T", "--threads", type=int, default=1, metavar="N", help="segments decoded at once")
    dec.set_defaults(func=cmd_decompress)

    info = sub.add_parser("info", help="stream sizes and bits/base of archives")
    info.add_argument("files", nargs="+", metavar="FILE", help="archives ('-' = stdin)")
    info.add_argument(
        "--records",
        action="store_true",
        help="list the records (FASTA: name and length) or segments (FASTQ: read ranges)",
    )
    info.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    info.set_defaults(func=cmd_info)

    ext = sub.add_parser(
        "extract",
        aliases=["x"],
        help="regions or reads out of an archive, decoding only their segments",
        description="Write regions of a FASTA archive as samtools faidx does (REGION = name, "
        "name:beg or name:beg-end, 1-based and inclusive; output lines as wide as the "
        "record's), or reads of a FASTQ archive by number ('#from-to', 1-based) or by name "
        "(-n). Only the segments holding them are decoded (-v says how many). Needs a "
        "version-5 archive, a file (not a pipe).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    ext.add_argument("archive", metavar="ARCHIVE", help="a .dnac file")
    ext.add_argument("regions", nargs="*", metavar="REGION", help="FASTA regions, or FASTQ read ranges '#from-to'")
    ext.add_argument("-r", "--region-file", metavar="PATH", help="regions (or read ranges), one per line")
    ext.add_argument("-n", "--names", metavar="PATH", help="FASTQ: the reads named in PATH, one name per line")
    ext.add_argument(
        "-i", "--reverse-complement", action="store_true", help="FASTA: reverse complement (header gets '/rc')"
    )
    ext.add_argument("--fai", action="store_true", help="write the original file's .fai index (samtools faidx) instead")
    ext.add_argument("-o", "--output", metavar="PATH", help="write to PATH instead of standard output")
    ext.add_argument("-f", "--force", action="store_true", help="overwrite an existing -o file")
    ext.add_argument("-v", "--verbose", action="store_true", help="say how many segments were decoded")
    ext.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    ext.set_defaults(func=cmd_extract)

    test = sub.add_parser("test", aliases=["t"], help="decode and verify archives, write nothing")
    test.add_argument("files", nargs="+", metavar="FILE", help="archives ('-' = stdin)")
    test.add_argument("-T", "--threads", type=int, default=1, metavar="N", help="segments decoded at once")
    test.add_argument("-q", "--quiet", action="store_true", help="print nothing for archives that pass")
    test.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    test.set_defaults(func=cmd_test)

    bench = sub.add_parser(
        "bench",
        help="compare levels and peer tools on one file",
        description="Compress, decompress and verify FILE with dnacomp levels and "
        "peer tools found on PATH; print bits/base, speed and peak memory.",
    )
    bench.add_argument("file", metavar="FILE", help="a FASTA or FASTQ file (plain or gzipped)")
    bench.add_argument("--levels", default=f"1,{DEFAULT_LEVEL},9", help="dnacomp levels, comma separated")
    bench.add_argument(
        "--tools",
        default="auto",
        help="peers, comma separated: gzip,bzip2,xz,zstd,mfcompress,geco3,jarvis3,naf (FASTA), "
        "fqzcomp,cram (FASTQ), or 'auto' for every peer of the file's format; "
        "missing ones are reported as not available (default: %(default)s)",
    )
    bench.add_argument("--repeat", type=int, default=1, help="runs per tool; medians are reported")
    bench.add_argument("--tsv", metavar="PATH", help="also write the table as TSV")
    bench.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    bench.set_defaults(func=cmd_bench)

    warm = sub.add_parser(
        "warmup",
        aliases=["selftest"],
        help="compile the kernels for this CPU ahead, and self-test",
        description="Compile every kernel for this machine's CPU into the per-user kernel cache "
        "(what a first run would do, ~1 minute) and check a FASTA and a FASTQ round "
        "trip with each model. Run it once in a container build or before a cluster "
        "job; DNACOMP_CACHE_DIR chooses the cache directory.",
    )
    warm.add_argument("-q", "--quiet", action="store_true", help="print nothing unless a round trip fails")
    warm.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    warm.set_defaults(func=cmd_warmup)
    return parser


_SIZE_SUFFIXES = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str) -> int:
    """'8M' -> 8388608: a byte count with an optional K/M/G/T suffix (powers of 1024; 'B', 'iB'
    tolerated)."""
    import re

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", text.upper())
    if not m:
        raise argparse.ArgumentTypeError(f"bad size {text!r} (e.g. 8M, 512K, 4G)")
    value = int(float(m.group(1)) * _SIZE_SUFFIXES[m.group(2)])
    if value < 1:
        raise argparse.ArgumentTypeError(f"bad size {text!r} (must be at least 1 byte)")
    return value


def _thread_memory_text() -> str:
    from .api import DEFAULT_LEVEL, memory_per_thread

    per = {lv: memory_per_thread(lv) >> 20 for lv in (1, DEFAULT_LEVEL, 9)}
    reads = memory_per_thread(DEFAULT_LEVEL, "fastq") >> 20
    long = memory_per_thread(DEFAULT_LEVEL, "fastq", long_reads=True) >> 20
    per_fasta = ", ".join(f"-{lv} ~{mib} MiB" for lv, mib in per.items())
    return f"{per_fasta} per thread (FASTA), FASTQ -5 ~{reads} MiB (long reads ~{long} MiB)"


def _progress_bar(total: int | None, desc: str, quiet: bool):
    from tqdm import tqdm

    disable = quiet or not sys.stderr.isatty()
    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, disable=disable, file=sys.stderr, leave=False)


def _input_size(path: str) -> int | None:
    """The progress bar's total: the size of a plain regular file, else unknown."""
    if path == "-" or path.endswith((".gz", ".bgz")):
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_size if stat.S_ISREG(st.st_mode) else None


def _named(message: str, source: str) -> str:
    """Every error names its file: archive and codec errors are raised without it."""
    name = display_name(source)
    return message if message.startswith(name) else f"{name}: {message}"


def _report_error(message: str) -> None:
    print(f"dnacomp: {message}", file=sys.stderr)


def _run_jobs(args, jobs: list[Job], work: Callable[[Job], None]) -> int:
    """Runs each job that the plan allows; one failing file does not stop the others (gzip)."""
    status = 0
    reported = set()
    for job in jobs:
        if job.error:
            if job.error not in reported:  # a collision is one message for both inputs
                _report_error(job.error)
                reported.add(job.error)
            status = 1
            continue
        try:
            work(job)
        except BrokenPipeError:
            raise
        except DnacompError as exc:
            if getattr(args, "debug", False):
                raise
            _report_error(_named(str(exc), job.source))
            status = 1
        except OSError as exc:
            if getattr(args, "debug", False):
                raise
            _report_error(f"{exc.filename or display_name(job.source)}: {exc.strerror or exc}")
            status = 1
    return status


def _plan(args, default_output: Callable[[str], str]) -> list[Job]:
    return plan_jobs(
        args.files,
        output=args.output,
        to_stdout=args.stdout,
        keep=args.keep,
        force=args.force,
        default_output=default_output,
    )


def _each_file(args, work: Callable[[str], None]) -> int:
    """For commands that write no files (test, info): every file, its errors named."""
    jobs = [Job(path, None, remove_input=False) for path in args.files]
    return _run_jobs(args, jobs, lambda job: work(job.source))


def _remove_input(job: Job) -> None:
    if not job.remove_input:
        return
    if still_same_file(job):
        os.unlink(job.source)
    else:
        print(f"dnacomp: {job.source}: was replaced while it was being read; not removed", file=sys.stderr)


def _stdout_writer():
    from .fileio import FullWriter

    return FullWriter(sys.stdout.buffer, "<stdout>")


def cmd_compress(args) -> int:
    from .api import compress_stream, default_archive_name, known_input_size
    from .fileio import atomic_output, copy_mode, open_input

    def work(job: Job) -> None:
        path, source = job.source, display_name(job.source)
        if job.output is None and sys.stdout.isatty() and not args.force:
            raise DnacompError("compressed data not written to a terminal; use -f to force, or -o")
        with open_input(path) as src, _progress_bar(_input_size(path), os.path.basename(source), args.quiet) as bar:
            options = dict(
                level=args.level,
                source=source,
                threads=args.threads,
                progress=bar.update,
                model=args.model,
                segment_size=args.segment_size,
                memory=args.memory,
                input_size=known_input_size(path),
            )
            if job.output is None:
                dst = _stdout_writer()
                stats = compress_stream(src, dst, **options)
                dst.flush()
            else:
                with atomic_output(job.output, args.force) as out:
                    stats = compress_stream(src, out, **options)
                if path != "-":
                    copy_mode(path, job.output)
        if args.verbose:
            print(
                f"{source} -> {job.output or '<stdout>'}: {stats.input_bytes:,} -> {stats.archive_bytes:,} bytes, "
                f"{stats.bits_per_base:.4f} bits/base over {stats.n_symbols:,} symbols, "
                f"{stats.seconds:.1f} s ({stats.input_bytes / 1e6 / max(stats.seconds, 1e-9):.2f} MB/s)",
                file=sys.stderr,
            )
        _remove_input(job)

    if args.threads < 1:
        raise DnacompError("--threads must be at least 1")
    return _run_jobs(args, _plan(args, default_archive_name), work)


def cmd_decompress(args) -> int:
    from .api import decompress_stream, default_restored_name, open_archive_file
    from .fileio import atomic_output, copy_mode

    if args.threads < 1:
        raise DnacompError("--threads must be at least 1")

    def work(job: Job) -> None:
        path, source = job.source, display_name(job.source)
        with open_archive_file(path) as src, _progress_bar(None, os.path.basename(source), args.quiet) as bar:
            if job.output is None:
                dst = _stdout_writer()
                stats = decompress_stream(src, dst, progress=bar.update, threads=args.threads)
                dst.flush()
            else:
                with atomic_output(job.output, args.force) as out:
                    stats = decompress_stream(src, out, progress=bar.update, threads=args.threads)
                if path != "-":
                    copy_mode(path, job.output)
        if args.verbose:
            print(
                f"{source} -> {job.output or '<stdout>'}: {stats.input_bytes:,} bytes restored and verified, "
                f"{stats.seconds:.1f} s ({stats.input_bytes / 1e6 / max(stats.seconds, 1e-9):.2f} MB/s)",
                file=sys.stderr,
            )
        _remove_input(job)

    return _run_jobs(args, _plan(args, default_restored_name), work)


def cmd_test(args) -> int:
    from .api import test_file
    from .measure.report import plural

    if args.threads < 1:
        raise DnacompError("--threads must be at least 1")

    def work(path: str) -> None:
        stats = test_file(path, threads=args.threads)
        if not args.quiet:
            print(
                f"{display_name(path)}: OK ({stats.input_bytes:,} bytes, {plural(stats.n_records, 'record')}, "
                "sha256 verified)"
            )

    return _each_file(args, work)


def cmd_info(args) -> int:
    from .api import archive_info
    from .measure.report import format_info

    def work(path: str) -> None:
        print(format_info(display_name(path), archive_info(path)))
        if args.records:
            from .api import open_archive
            from .measure.report import format_records

            with open_archive(path) as archive:
                print(format_records(archive))

    return _each_file(args, work)


def _lines_of(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def cmd_extract(args) -> int:
    """Regions, read ranges, named reads or the .fai of one archive, written in request order."""
    from .api import open_archive
    from .fileio import atomic_output

    wanted = list(args.regions) + (_lines_of(args.region_file) if args.region_file else [])
    names = [n.encode() for n in _lines_of(args.names)] if args.names else []
    if not (wanted or names or args.fai):
        raise DnacompError("extract: nothing asked: give regions, -r FILE, -n FILE or --fai")
    try:
        archive = open_archive(args.archive)
    except (DnacompError, OSError) as exc:
        message = str(exc) if isinstance(exc, DnacompError) else (exc.strerror or str(exc))
        raise DnacompError(_named(message, args.archive)) from None

    def write_all(out) -> None:
        if args.fai:
            out.write(archive.fai_text())
        for item in wanted:
            if archive.kind == "fastq":
                out.write(archive.reads_text(item))
            else:
                out.write(archive.region_text(item, args.reverse_complement))
        for read in archive.reads_named(names) if names else ():
            out.write(read)

    with archive:
        try:
            if args.output:
                with atomic_output(args.output, args.force) as out:
                    write_all(out)
            else:
                write_all(_stdout_writer())
                sys.stdout.buffer.flush()
        except DnacompError as exc:
            raise DnacompError(_named(str(exc), args.archive)) from None
        if args.verbose:
            print(
                f"{args.archive}: decoded {len(archive.decoded)} of {archive.n_segments} segments",
                file=sys.stderr,
            )
    return 0


def cmd_bench(args) -> int:
    from .measure.bench import run_bench

    levels = [int(x) for x in args.levels.split(",") if x]
    tools = [t for t in args.tools.split(",") if t]
    return run_bench(args.file, levels=levels, tools=tools, repeat=args.repeat, tsv=args.tsv)


def _refuse_bad_level_flags(parser: argparse.ArgumentParser, argv: list[str]) -> None:
    """``-10`` would otherwise parse as ``-1`` with a stray '0' and a puzzling message."""
    for arg in argv:
        if arg == "--":
            return
        if len(arg) > 1 and arg[0] == "-" and arg[1:].isdigit() and not 1 <= int(arg[1:]) <= 9:
            parser.error(f"unknown level {arg}: levels are -1 (fastest) .. -9 (strongest)")


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def cmd_warmup(args) -> int:
    from .api import warm_up

    status = warm_up(say=(lambda line: None) if args.quiet else print)
    if status and args.quiet:
        print("dnacomp: warmup: a round trip failed (run without -q for details)", file=sys.stderr)
    return status


def _compile_notice(args) -> None:
    """The first run on a machine compiles the kernels for a while: say so on stderr (not -q)."""
    from .kernel_cache import set_notice

    set_notice(None if getattr(args, "quiet", False) or args.func is cmd_warmup else sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Exit status: 0 ok, 1 a file failed, 2 usage; killed by the signal that stopped it (TERM,
    HUP, PIPE) after removing any temporary output, as gzip does; 130 after Ctrl-C."""
    import contextlib

    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    _refuse_bad_level_flags(parser, argv)
    args = parser.parse_args(argv)
    signals = terminate_by_unwinding() if _in_main_thread() else contextlib.nullcontext()
    _compile_notice(args)
    try:
        with signals:
            status = args.func(args)
            sys.stdout.flush()  # a reader that left shows up here at the latest
        return status
    except DnacompError as exc:
        if args.debug:
            raise
        print(f"dnacomp: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        if args.debug:
            traceback.print_exc()
        print("dnacomp: interrupted; no partial output was left", file=sys.stderr)
        return 130
    except Terminated as stop:
        print(f"dnacomp: stopped by {signal.Signals(stop.signum).name}; no temporary file was left", file=sys.stderr)
        die_by_signal(stop.signum)
        raise  # not reached
    except BrokenPipeError:  # the reader left (| head): no message, SIGPIPE's status, like gzip
        die_by_signal(signal.SIGPIPE)
        raise  # not reached


if __name__ == "__main__":
    sys.exit(main())
