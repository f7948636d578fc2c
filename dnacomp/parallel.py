"""Coding several segments at once, handing the results back in input order.

Why threads and not processes: every kernel (base model, GRU, names, qualities) is numba code
compiled with ``nogil=True``, so segments coded in threads run on separate cores while sharing
the compiled kernels and the input buffers, without pickling a segment to another process.

The pipeline is bounded: at most ``workers`` + 1 segments are in flight (read but not yet
written; the one waiting is ready when a worker frees), so memory is about ``workers`` x (model
tables + a segment's buffers) whatever the input size, and a
result that finished early waits for the ones before it (the reorder buffer).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from typing import Any

#: bytes a segment in flight needs beside the model tables, per byte of segment: the input
#: chunk, its parsed streams (one byte per residue, the side fields), the coded output and the
#: restored text when decoding
SEGMENT_BUFFERS = 4


def memory_per_worker(model_bytes: int, segment_size: int) -> int:
    """What one worker holds: its model's tables (``ModelParams.memory_bytes``) and one
    segment's buffers."""
    return model_bytes + SEGMENT_BUFFERS * segment_size


def workers_for(threads: int, model_bytes: int, segment_size: int, memory: int | None) -> int:
    """How many segments to code at once: ``threads``, fewer when ``memory`` (bytes) does not
    hold that many workers, never fewer than one."""
    workers = max(1, threads)
    if memory is not None:
        workers = max(1, min(workers, memory // memory_per_worker(model_bytes, segment_size)))
    return workers


def locked(progress: Callable[[int], Any] | None) -> Callable[[int], Any] | None:
    """``progress`` made safe to call from several threads (a tqdm bar's update)."""
    if progress is None:
        return None
    lock = threading.Lock()

    def update(n: int) -> None:
        with lock:
            progress(n)

    return update


class InOrder:
    """A bounded pool whose results come back in the order the work was submitted.

    ``submit(fn, args, tag)`` starts ``fn(*args, side)`` (``side``: an executor for work inside
    one segment, or None) and returns the (result, tag) pairs that are due, oldest first, once
    more than ``workers`` are in flight; ``drain()`` returns the rest. With one worker the work
    runs at once in the caller's thread. An exception is raised when its result is due, and
    leaving the ``with`` block cancels what has not started."""

    def __init__(self, workers: int, side_threads: int = 0):
        self.workers = workers
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="segment") if workers > 1 else None
        self._side = ThreadPoolExecutor(side_threads, thread_name_prefix="side") if side_threads > 0 else None
        self._queue: deque[tuple[Future, Any]] = deque()

    def __enter__(self) -> InOrder:
        return self

    def __exit__(self, *exc) -> None:
        for future, _ in self._queue:
            future.cancel()
        for pool in (self._pool, self._side):
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    @property
    def side(self) -> Executor | None:
        return self._side

    def submit(self, fn: Callable[..., Any], args: tuple, tag: Any = None) -> list[tuple[Any, Any]]:
        if self._pool is None:
            return [(fn(*args, self._side), tag)]
        due = []
        while len(self._queue) > self.workers:  # one more than runs: the next is ready when a worker frees
            future, old_tag = self._queue.popleft()
            due.append((future.result(), old_tag))
        self._queue.append((self._pool.submit(fn, *args, self._side), tag))
        return due

    def drain(self) -> Iterator[tuple[Any, Any]]:
        while self._queue:
            future, tag = self._queue.popleft()
            yield future.result(), tag
