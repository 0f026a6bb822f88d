"""Keep freed memory in the process on CPU runs, so each step's large tensors reuse pages.

A CPU GRPO step allocates and frees the same large tensors every step (activations,
logits, gradients). glibc's malloc hands any block above its mmap threshold (dynamic,
128 KiB to start) straight back to the kernel and trims the heap's top as soon as it is
free, so the next step maps the pages again and takes one minor page fault per 4 KiB
touched. Measured on the quickstart's step (`benchmarks/cpu_step.py`, 2-core EPYC, idle):
~3.4 million minor faults and 10.6 s of kernel time per step; with the settings below,
0.9 million and 2.9 s, training 19.5 -> 14.4 s, the step 1.12x (tcmalloc or jemalloc
preloaded do better still, 1.15-1.18x: `LD_PRELOAD`, see docs/performance.md).

`keep_freed_memory()` sets, through `mallopt` at run time (the same knobs as glibc's
`MALLOC_*_` environment variables, which only take effect when a process starts):
the mmap threshold to glibc's 64-bit maximum (32 MiB: smaller blocks come from the heap
and go back to it), the trim threshold to 2 GiB (freed memory at the heap's top is kept)
and the top pad to 256 MiB (the heap grows in large steps). Blocks above 32 MiB are
still mapped per use. Peak memory is unchanged within a few percent (the pages are the
ones the next step needs); the process's resident size stays at its peak between steps.
Recipe switch: `grpo.keep_freed_memory` (on by default; off for comparison).
"""

from __future__ import annotations

import ctypes
import ctypes.util

# glibc's mallopt parameter numbers (malloc.h).
M_TRIM_THRESHOLD = -1
M_TOP_PAD = -2
M_MMAP_THRESHOLD = -3

SETTINGS = (
    (M_MMAP_THRESHOLD, 32 << 20),  # glibc's maximum on 64-bit systems
    (M_TRIM_THRESHOLD, (1 << 31) - 1),  # mallopt takes an int: 2 GiB
    (M_TOP_PAD, 256 << 20),
)


def _glibc() -> ctypes.CDLL | None:
    """The process's C library when it is glibc (it exports `gnu_get_libc_version`)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    if not hasattr(libc, "gnu_get_libc_version") or not hasattr(libc, "mallopt"):
        return None
    return libc


def keep_freed_memory() -> str:
    """Tell glibc's malloc to keep freed memory (see the module docstring); returns the
    one line the run logs, saying what was set or why nothing was. Never raises."""
    libc = _glibc()
    if libc is None:
        return "allocator: left as it is (not glibc: nothing to set)"
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.mallopt.restype = ctypes.c_int
    refused = [param for param, value in SETTINGS if libc.mallopt(param, value) != 1]
    if refused:
        return f"allocator: glibc refused mallopt parameter(s) {refused}; left as it is"
    return (
        "allocator: glibc keeps freed memory for reuse (mmap threshold 32 MiB, trim 2 GiB, "
        "top pad 256 MiB; grpo.keep_freed_memory=false turns it off)"
    )


__all__ = ["SETTINGS", "keep_freed_memory"]
