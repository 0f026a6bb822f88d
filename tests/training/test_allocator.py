"""`grpo.keep_freed_memory`: glibc keeps freed memory, so reusing it takes no page faults."""

from __future__ import annotations

import ctypes.util
import json
import subprocess
import sys

import pytest

from toolzero.training.recipe import load_recipe

# In a fresh process: 4 rounds of 100 x 1 MiB blocks, each written then freed; the minor
# page faults of rounds 2-4 (round 1 maps the pages either way). glibc by default maps
# such blocks per use or trims the freed heap back to the kernel, so every round faults
# its 100 MiB in again; with the memory kept, later rounds reuse mapped pages.
PROBE = r"""
import ctypes, ctypes.util, json, resource, sys
if sys.argv[1] == "keep":
    from toolzero.training.allocator import keep_freed_memory
    print(keep_freed_memory(), file=sys.stderr)
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
faults = []
for _ in range(4):
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    blocks = [libc.malloc(1 << 20) for _ in range(100)]
    for b in blocks:
        ctypes.memset(b, 1, 1 << 20)
    for b in blocks:
        libc.free(b)
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
print(json.dumps(faults))
"""


def later_round_faults(mode: str) -> int:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True
    )
    return sum(json.loads(out.stdout)[1:])


def glibc() -> bool:
    name = ctypes.util.find_library("c")
    return name is not None and hasattr(ctypes.CDLL(name), "gnu_get_libc_version")


@pytest.mark.skipif(not glibc(), reason="the allocator setting applies to glibc only")
def test_kept_memory_is_reused_without_page_faults() -> None:
    pages = 3 * 100 * (1 << 20) // 4096  # what rounds 2-4 touch
    default, kept = later_round_faults("default"), later_round_faults("keep")
    assert default > pages // 2  # glibc's default gives the memory back: it faults again
    assert kept < pages // 20  # kept: reused as mapped


def test_the_setting_is_on_by_default_and_can_be_turned_off() -> None:
    assert load_recipe(None, ["grpo.max_steps=1"]).grpo.keep_freed_memory is True
    off = load_recipe(None, ["grpo.max_steps=1", "grpo.keep_freed_memory=false"])
    assert off.grpo.keep_freed_memory is False
