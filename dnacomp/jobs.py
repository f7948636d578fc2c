"""What one `compress`/`decompress` command will do to the file system, checked before it starts.

Why a plan first: a compressor is trusted with the only copy of someone's data, and the classic
ways to lose it are decided by names, not by codecs. An output that is the input under another
name (the same path, a hard link, a symlink) would be renamed over the input and then unlinked;
two inputs mapping to one output (``d.fa.gz d.fa``) would remove the first input and overwrite its
archive; a symlink, FIFO or device given as input would be unlinked after reading. Every such case
is found here, before any byte is read, by comparing device and inode numbers (names lie), and
refused with a one-line error, following gzip:

* inputs that are not regular files (FIFOs, devices, sockets) are read only with ``-f`` and are
  never removed; a symlink is followed only with ``-f``, ``-k`` or ``-c`` (``-f`` removes the link,
  as gzip does, never its target); a file with other hard links is removed only with ``-f``;
* an output that is the same file as any input of the command, or that two inputs share, is
  refused whatever the flags;
* standard output that is a regular file identical to an input (``dnacomp compress -c x >> x``)
  is refused.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass

from .errors import DnacompError

STDIO = "-"


@dataclass
class Job:
    """One input, where its output goes (None = standard output), and whether it is removed after."""

    source: str
    output: str | None
    remove_input: bool
    identity: tuple[int, int] | None = None  # (st_dev, st_ino) of what was checked, for the removal
    error: str | None = None  # set when the job is refused; nothing is done for it


def display_name(path: str) -> str:
    return "<stdin>" if path == STDIO else path


def _kind_of(mode: int) -> str:
    for test, name in (
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _identity(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _stdout_identity() -> tuple[int, int] | None:
    """(dev, ino) of standard output when it is a regular file (else None: a pipe or terminal)."""
    try:
        st = os.fstat(1)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISREG(st.st_mode) else None


def _check_input(job: Job, *, force: bool, keep: bool, to_stdout: bool) -> None:
    """Refuses inputs that are dangerous to read or to remove (see the module docstring)."""
    if job.source == STDIO:
        return
    path = job.source
    lst = os.lstat(path)  # FileNotFoundError etc. -> the CLI's one-line OSError message
    if stat.S_ISLNK(lst.st_mode):
        if not (force or keep or to_stdout):
            raise DnacompError(
                f"{path}: is a symbolic link; use -k to read it and keep it, or -f to "
                "also remove the link (never its target)"
            )
        st = os.stat(path)
    else:
        st = lst
    if stat.S_ISDIR(st.st_mode):
        raise DnacompError(f"{path}: is a directory")
    if not stat.S_ISREG(st.st_mode):
        if not force:
            raise DnacompError(
                f"{path}: is {_kind_of(st.st_mode)}, not a regular file; use -f to read it anyway (it is never removed)"
            )
        job.remove_input = False
    elif job.remove_input and not stat.S_ISLNK(lst.st_mode) and st.st_nlink > 1 and not force:
        others = st.st_nlink - 1
        raise DnacompError(
            f"{path}: has {others} other link{'s' if others > 1 else ''}; use -k to keep it, "
            "or -f to remove this name anyway"
        )
    job.identity = (lst.st_dev, lst.st_ino)


def plan_jobs(
    files: list[str],
    *,
    output: str | None,
    to_stdout: bool,
    keep: bool,
    force: bool,
    default_output: Callable[[str], str],
) -> list[Job]:
    """Maps every input to its output and marks the jobs that must not run (``Job.error``).

    All checks happen before the first job runs, so a refusal never comes after an input was
    already removed."""
    if output and len(files) > 1:
        raise DnacompError("-o takes a single input file")
    jobs = []
    for path in files:
        stdout_job = to_stdout or (path == STDIO and not output)
        job = Job(path, None, remove_input=not (stdout_job or keep or path == STDIO))
        try:
            if not stdout_job:
                job.output = output or default_output(path)
            _check_input(job, force=force, keep=keep, to_stdout=stdout_job)
        except DnacompError as exc:
            job.error = str(exc)
        except OSError as exc:
            job.error = f"{display_name(path)}: {exc.strerror or exc}"
        jobs.append(job)
    _refuse_shared_files(jobs)
    return jobs


def _refuse_shared_files(jobs: list[Job]) -> None:
    """Outputs identical to any input (by inode), outputs shared by several jobs (by path and
    inode), and a standard output that is one of the inputs."""
    inputs = {}
    for job in jobs:
        if job.source != STDIO:
            ident = _identity(job.source)
            if ident is not None:
                inputs.setdefault(ident, job.source)
    out_owner: dict[object, Job] = {}
    stdout_ident = _stdout_identity()
    for job in jobs:
        if job.error:
            continue
        if job.output is None:
            if stdout_ident is not None and stdout_ident in inputs:
                job.error = (
                    f"{display_name(job.source)}: standard output is the input file "
                    f"{inputs[stdout_ident]}; refusing to write over it"
                )
            continue
        ident = _identity(job.output)
        if ident is not None and ident in inputs:
            same = inputs[ident]
            what = "the input" if same == job.source or _identity(job.source) == ident else f"the input {same}"
            job.error = f"{job.output}: is {what} (same file); refusing to write over it, choose another -o"
            continue
        keys = [os.path.normcase(os.path.abspath(job.output))] + ([ident] if ident else [])
        other = next((out_owner[k] for k in keys if k in out_owner), None)
        if other is not None:
            message = (
                f"{job.output}: is the output of both {display_name(other.source)} and "
                f"{display_name(job.source)}; compress them in separate commands or use -o"
            )
            job.error = other.error = message
            continue
        for key in keys:
            out_owner[key] = job


def still_same_file(job: Job) -> bool:
    """Whether the input path still names the file that was read (it may have been replaced
    meanwhile); only then is it removed."""
    try:
        st = os.lstat(job.source)
    except OSError:
        return False
    return job.identity == (st.st_dev, st.st_ino)


def refuse_same_file(source: str, output: str) -> None:
    """The Python API's guard: writing ``output`` must not replace ``source`` (any name of it)."""
    ident = _identity(output)
    if ident is not None and source != STDIO and ident == _identity(source):
        raise DnacompError(f"{output}: is the input {source} (same file); refusing to write over it")
