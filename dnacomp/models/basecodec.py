"""Python side of the base model: code whole arrays of 2-bit bases in resumable slices.

The kernel does all per-base work; this module only grows the output buffer, reports progress
and frames one block's coded bytes. A block's coded bases are the arithmetic coder's bytes for
exactly ``len(bases)`` symbols; the model state carries over from block to block.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..coding.arith import decode_init, encode_flush, new_coder_state
from ..errors import ArchiveError
from .kernel import code_bases
from .params import ModelParams
from .state import BaseModel

SLICE = 1 << 20  # bases per kernel call: granularity of progress reports
DECODE_SLICE = 1 << 16  # smaller when decoding: how soon a damaged stream is given up

Progress = Callable[[int], None] | None
_NO_COSTS = np.zeros(0, dtype=np.int64)


class BaseEncoder:
    """Encodes successive blocks of bases with one adaptive model."""

    def __init__(self, params: ModelParams):
        self.model = BaseModel(params)
        self._args = self.model.kernel_args()

    def encode(self, bases: np.ndarray, progress: Progress = None, costs: np.ndarray | None = None) -> bytes:
        """The coded bytes of ``bases``; ``costs`` (int64, one per base), when given, receives what
        each base cost in 1/256 bit, for learning curves (``dnacomp.measure.curve``)."""
        bases = np.ascontiguousarray(bases, dtype=np.uint8)
        n = bases.shape[0]
        cost_out = _NO_COSTS if costs is None else costs
        if cost_out.shape[0] not in (0, n) or cost_out.dtype != np.int64:
            raise ValueError("costs must be an int64 array with one entry per base")
        coder = new_coder_state()
        out = np.empty(max(1024, n // 3 + 1024), dtype=np.uint8)
        pos = 0
        i = 0
        while i < n:
            stop = min(n, i + SLICE)
            reached, pos = code_bases(0, bases, i, stop, out, pos, coder, cost_out, *self._args)
            if progress is not None and reached > i:
                progress(reached - i)
            i = reached
            if i < stop:  # output nearly full: grow and resume
                out = np.concatenate([out, np.empty(out.shape[0], dtype=np.uint8)])
        if out.shape[0] - pos < 8:
            out = np.concatenate([out, np.empty(16, dtype=np.uint8)])
        pos = encode_flush(coder, out, pos)
        return out[:pos].tobytes()


class BaseDecoder:
    """Decodes successive blocks of bases; must see the same blocks in the same order."""

    def __init__(self, params: ModelParams):
        self.model = BaseModel(params)
        self._args = self.model.kernel_args()

    def decode(self, data: bytes, n: int, progress: Progress = None) -> np.ndarray:
        buf = np.frombuffer(data, dtype=np.uint8).copy()  # writable: one kernel serves both modes
        out = np.empty(n, dtype=np.uint8)
        coder = new_coder_state()
        pos = decode_init(coder, buf, 0)
        i = 0
        end = buf.shape[0]
        while i < n:
            stop = min(n, i + DECODE_SLICE)
            reached, pos = code_bases(1, out, i, stop, buf, pos, coder, _NO_COSTS, *self._args)
            if progress is not None:
                progress(reached - i)
            i = reached
            # a valid stream is never read past its end before its last base (the decoder has
            # consumed 4 + the bytes the encoder had emitted so far): stop at once rather than
            # decode up to 2^34 bases (container.MAX_BLOCK_RAW) of garbage for an archive that
            # claims more than it holds
            if pos > end:
                break
        # the encoder flushed 4 bytes after its last emitted byte, and the decoder consumed
        # exactly those; any other count means the stream was damaged
        if pos != end:
            raise ArchiveError("base stream does not end where it should (truncated or corrupt block)")
        return out
