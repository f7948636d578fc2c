"""Shared by the FASTA and FASTQ parser tests: chunk, parse and unparse, asserting exactness."""

import hashlib
import io

from dnacomp.formats import PARSERS, UNPARSERS
from dnacomp.formats.chunks import iter_chunks
from dnacomp.formats.streams import FIELD_NAMES, ChunkStreams


def chunked_round_trip(data: bytes, kind: str, chunk_size: int) -> list[ChunkStreams]:
    """Chunk, parse and unparse ``data``; assert every chunk and the whole come back exactly."""
    parsed, restored = [], []
    for chunk, first_line, first_record in iter_chunks(io.BytesIO(data), kind, "test", chunk_size):
        streams = PARSERS[kind](chunk, "test", first_line, first_record)
        assert sorted(streams.fields) == sorted(FIELD_NAMES[kind])
        # the unparser sees only what survives a byte codec: copies of the fields and the bases
        copy = ChunkStreams(
            kind,
            streams.bases.copy(),
            {k: bytes(v) for k, v in streams.fields.items()},
            streams.n_symbols,
            streams.n_records,
        )
        back = UNPARSERS[kind](copy)
        assert back == chunk
        parsed.append(streams)
        restored.append(back)
    assert hashlib.sha256(b"".join(restored)).digest() == hashlib.sha256(data).digest()
    return parsed
