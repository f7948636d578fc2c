"""Opening inputs (plain, gzip/BGZF, stdin) and writing outputs completely and atomically.

Why complete writes: ``write`` on a raw file (``sys.stdout.buffer`` under ``python -u`` or
``PYTHONUNBUFFERED=1``, set in most containers) may write fewer bytes than asked, on a full disk
or a pipe whose reader left; ignoring the count silently truncates the output and exits 0. Every
archive or restored byte goes through :func:`write_fully`, which loops until all is written or
the system reports the error.

Why atomic output: a compressor is trusted with the only copy of someone's data. Output goes to a
temporary file beside the target and is renamed over it only once complete (and fsynced), so an
interrupted or failed run never leaves a truncated archive or a half-restored genome, and never
replaces an existing file unless asked to.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import sys
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from .errors import DnacompError
from .signals import deferred

GZIP_MAGIC = b"\x1f\x8b"


class PrefixedReader(io.RawIOBase):
    """A reader that first returns ``prefix`` (bytes already read for sniffing), then ``rest``."""

    def __init__(self, prefix: bytes, rest: BinaryIO):
        self._prefix = memoryview(prefix)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self._prefix.nbytes:
            n = min(len(b), self._prefix.nbytes)
            b[:n] = self._prefix[:n]
            self._prefix = self._prefix[n:]
            return n
        data = self._rest.read(len(b))
        b[: len(data)] = data
        return len(data)


class _CheckedGzip(io.RawIOBase):
    """gzip reader whose decoding errors become one-line DnacompErrors naming the file.

    Python's gzip raises BadGzipFile, EOFError (truncated member) or zlib.error (bad data) from
    deep inside a read; without this, a damaged .gz input would end in a traceback."""

    def __init__(self, stream: BinaryIO, source: str):
        self._gz = gzip.GzipFile(fileobj=stream, mode="rb")  # multi-member: BGZF too
        self._source = source

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        try:
            return self._gz.readinto(b)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise DnacompError(f"{self._source}: corrupt or truncated gzip data ({exc})") from None


@contextmanager
def open_input(path: str) -> Iterator[BinaryIO]:
    """Opens a file or '-' (stdin) for reading, transparently gunzipping gzip and BGZF input."""
    if path == "-":
        raw: BinaryIO = sys.stdin.buffer
        close = False
    else:
        if os.path.isdir(path):
            raise DnacompError(f"{path}: is a directory")
        raw = open(path, "rb")
        close = True
    try:
        magic, stream = sniff_stream(raw, 2)
        if magic == GZIP_MAGIC:
            stream = io.BufferedReader(_CheckedGzip(stream, "<stdin>" if path == "-" else path), 1 << 20)
        yield stream
    finally:
        if close:
            raw.close()


def read_all(stream: BinaryIO, size: int) -> bytes:
    """Reads up to ``size`` bytes, looping over short reads."""
    parts = []
    got = 0
    while got < size:
        part = stream.read(size - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def sniff_stream(stream: BinaryIO, size: int = 1 << 16) -> tuple[bytes, BinaryIO]:
    """Returns the first ``size`` bytes and a reader that still yields the whole stream."""
    head = read_all(stream, size)
    return head, io.BufferedReader(PrefixedReader(head, stream), buffer_size=1 << 20)


def write_fully(out: BinaryIO, data) -> None:
    """Writes all of ``data`` or raises: loops over short writes of raw (unbuffered) files."""
    view = memoryview(data).cast("B")
    while view.nbytes:
        n = out.write(view)
        if n is None:  # a non-blocking file that would block: cannot happen on our outputs
            raise BlockingIOError(0, "output would block")
        if n <= 0:
            raise OSError(0, "output accepted no bytes")
        if n >= view.nbytes:
            return
        view = view[n:]


class FullWriter:
    """A binary writer whose ``write`` always writes everything (see :func:`write_fully`);
    errors name the output (``<stdout>``) rather than the input being read."""

    def __init__(self, out: BinaryIO, name: str):
        self.out = out
        self.name = name

    def write(self, data) -> int:
        try:
            write_fully(self.out, data)
        except OSError as exc:
            if exc.filename is None:
                exc.filename = self.name
            raise
        return len(data)

    def flush(self) -> None:
        self.out.flush()


@contextmanager
def atomic_output(path: str, force: bool) -> Iterator[BinaryIO]:
    """Yields a temporary file that becomes ``path`` only when the block exits without error.

    An existing FIFO or character device (``-o /dev/null``) is written directly instead: it cannot
    be replaced, and renaming a file over it would destroy it (as root, /dev/null itself)."""
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise DnacompError(f"{path}: is a directory")
    if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
        with open(path, "wb") as stream:
            yield stream
        return
    if os.path.lexists(path) and not force:
        raise DnacompError(f"{path}: already exists; use -f to overwrite")
    if not os.path.isdir(directory):
        raise DnacompError(f"{path}: cannot write it, the directory {os.path.dirname(path) or '.'} does not exist")
    tmp = None
    try:
        with deferred():  # a signal between creating the file and naming it would leak it
            fd, tmp = tempfile.mkstemp(prefix=".dnacomp-", suffix=".tmp", dir=directory)
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if isinstance(exc, OSError) and exc.filename in (None, tmp):
            exc.filename = path  # "x.fa.dnac: No space left on device", not the temporary name
        try:
            if tmp is not None:
                os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    """Makes the rename durable before the caller removes the input (a crash must not lose both)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def copy_mode(src: str, dst: str) -> None:
    """Gives the output the input's permission bits and times, as gzip does (regular files only:
    never chmod a device given as ``-o /dev/null``, nor copy a FIFO's bits)."""
    try:
        st = os.stat(src)
        if not (stat.S_ISREG(st.st_mode) and stat.S_ISREG(os.stat(dst).st_mode)):
            return
        os.chmod(dst, stat.S_IMODE(st.st_mode))
        os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
    except OSError:
        pass
