"""Binary arithmetic coder: 32-bit, carry-less, 16-bit probabilities, integer only.

Byte format: the encoder emits the leading byte of the range whenever the top bytes of the low
and high ends agree, and on flush writes the 4 bytes of ``low``. The decoder reads 4 bytes to
start and shifts in one byte per emitted byte, reading zero past the end of its buffer, so a
coded stream is exactly the bytes produced, with no length prefix needed.

The state lives in a small int64 array so that numba kernels can code in slices and resume
(progress bars, growing output buffers) without any Python per-bit work:
``state[0] = low, state[1] = high, state[2] = code (decoder only)``.
"""

from __future__ import annotations

import numpy as np

from ..kernel_cache import njit

MASK32 = 0xFFFFFFFF
TOP_MASK = 0xFF000000


def new_coder_state() -> np.ndarray:
    state = np.zeros(3, dtype=np.int64)
    state[1] = MASK32
    return state


@njit(cache=True, inline="always")
def _split(low: int, high: int, p1: int) -> int:
    """Point where the interval splits: [low, mid] codes bit 1, (mid, high] codes bit 0."""
    rng = high - low
    return low + (rng >> 16) * p1 + (((rng & 0xFFFF) * p1) >> 16)


@njit(cache=True, inline="always")
def encode_bit(state: np.ndarray, out: np.ndarray, pos: int, bit: int, p1: int) -> int:
    """Code ``bit`` with P(bit == 1) = p1 / 65536; returns the new output position."""
    low = state[0]
    high = state[1]
    mid = _split(low, high, p1)
    if bit:
        high = mid
    else:
        low = mid + 1
    while ((low ^ high) & TOP_MASK) == 0:
        out[pos] = (high >> 24) & 0xFF
        pos += 1
        low = (low << 8) & MASK32
        high = ((high << 8) & MASK32) | 0xFF
    state[0] = low
    state[1] = high
    return pos


@njit(cache=True)
def encode_flush(state: np.ndarray, out: np.ndarray, pos: int) -> int:
    low = state[0]
    for _ in range(4):
        out[pos] = (low >> 24) & 0xFF
        pos += 1
        low = (low << 8) & MASK32
    return pos


@njit(cache=True)
def decode_init(state: np.ndarray, buf: np.ndarray, pos: int) -> int:
    code = 0
    n = buf.shape[0]
    for _ in range(4):
        byte = buf[pos] if pos < n else 0
        code = (code << 8) | byte
        pos += 1
    state[0] = 0
    state[1] = MASK32
    state[2] = code
    return pos


@njit(cache=True, inline="always")
def decode_bit(state: np.ndarray, buf: np.ndarray, pos: int, p1: int):
    """Returns (bit, new input position)."""
    low = state[0]
    high = state[1]
    code = state[2]
    mid = _split(low, high, p1)
    if code <= mid:
        bit = 1
        high = mid
    else:
        bit = 0
        low = mid + 1
    n = buf.shape[0]
    while ((low ^ high) & TOP_MASK) == 0:
        low = (low << 8) & MASK32
        high = ((high << 8) & MASK32) | 0xFF
        byte = buf[pos] if pos < n else 0
        code = ((code << 8) & MASK32) | byte
        pos += 1
    state[0] = low
    state[1] = high
    state[2] = code
    return bit, pos
