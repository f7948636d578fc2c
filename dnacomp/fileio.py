"""Opening inputs (plain, gzip/BGZF, stdin) and writing outputs atomically.

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
from contextlib import contextmanager
from typing import BinaryIO, Iterator

from .errors import DnacompError

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


@contextmanager
def atomic_output(path: str, force: bool) -> Iterator[BinaryIO]:
    """Yields a temporary file that becomes ``path`` only when the block exits without error."""
    if os.path.lexists(path) and not force:
        raise DnacompError(f"{path}: already exists; use -f to overwrite")
    if os.path.isdir(path):
        raise DnacompError(f"{path}: is a directory")
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".dnacomp-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def copy_mode(src: str, dst: str) -> None:
    """Gives the output the input's permission bits and times, as gzip does."""
    try:
        st = os.stat(src)
        os.chmod(dst, stat.S_IMODE(st.st_mode))
        os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))
    except OSError:
        pass
