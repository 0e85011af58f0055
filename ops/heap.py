"""The master's free heap taken before the fork, so a worker's allocations land in pages of
its own (issue 8, memory).

A worker forked from a preloading master shares the master's pages until it writes to one.
The master's C heap (glibc's malloc: a dict's table, a list's items, a code object, a
SQLite or OpenSSL buffer) is full of free chunks left by start-up and the warm-up — a few
hundred kilobytes in all, but spread over thousands of pages that also hold live data. A
worker's malloc serves its requests from those chunks first, and each one it writes into
copies a whole 4 KiB page of the master: on the bench harness's paths about 5 MiB a worker
for a few hundred kilobytes of data. Taking every such chunk in the master before it
forks, and never giving them back, sends the workers' allocations to the top of the heap,
into fresh pages packed with their own data.

Measured on the harness's paths (`bench/README.md`, session 37): the master and four
workers 201 → 183 MiB PSS, for ~0.3 MiB of chunks kept in the master and ~0.1 s at start.

Only glibc's allocator is known here (`mallinfo2`, glibc 2.33 and later); elsewhere nothing
is done. Python's own small-object allocator has free blocks too, but they are few and
packed (filling them saved under 2 MiB), so they are left alone.
"""
import ctypes
import logging

log = logging.getLogger(__name__)

#: the most chunks taken, a bound on the work (the profiling database's master: ~3,500)
MAX_CHUNKS = 200_000
#: the largest chunk looked for; bigger allocations are mmap'd on their own, not carved
LARGEST = 64 * 1024
#: glibc's per-thread cache keeps up to 7 freed chunks of each small size outside its bins
TCACHE_COUNT = 7
TCACHE_LARGEST = 1032


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]


def _glibc(libc=None):
    """(mallinfo2, malloc) bound with their types, or None where the C library has no
    mallinfo2 (not glibc, or older than 2.33)."""
    try:
        libc = libc if libc is not None else ctypes.CDLL(None)
        mallinfo2, malloc, free = libc.mallinfo2, libc.malloc, libc.free
    except (OSError, AttributeError):
        return None
    mallinfo2.restype = _MallInfo2
    mallinfo2.argtypes = []
    malloc.restype = ctypes.c_void_p
    malloc.argtypes = [ctypes.c_size_t]
    free.restype = None
    free.argtypes = [ctypes.c_void_p]
    return mallinfo2, malloc, free


def free_outside_top(libc=None) -> int | None:
    """Bytes free in the heap's holes (all free chunks but the top one), None without glibc."""
    bound = _glibc(libc)
    if bound is None:
        return None
    info = bound[0]()
    return info.fordblks - info.keepcost


def take_free_chunks(libc=None) -> tuple[int, int | None]:
    """Allocate, and keep for the process's life, the free chunks inside the C heap: the
    largest first, each size until the allocator has to carve from the top chunk (the
    heap's unused end) instead, then the per-thread cache of small ones. Returns (chunks
    taken, bytes still free in holes); (0, None) where the allocator is not glibc's."""
    bound = _glibc(libc)
    if bound is None:
        return 0, None
    mallinfo2, malloc, free = bound
    taken = 0
    size = LARGEST
    while size >= 16 and taken < MAX_CHUNKS:
        while taken < MAX_CHUNKS:
            before = mallinfo2()
            if before.fordblks - before.keepcost < size + 64:
                break  # no hole this big is left
            pointer = malloc(size)
            if not pointer:
                return taken, free_outside_top(libc)
            if mallinfo2().keepcost < before.keepcost:
                # carved from the top: every hole left is smaller than this. Give the chunk
                # back (it merges into the top again) and try a smaller size.
                free(pointer)
                break
            taken += 1
        size = size * 3 // 4 if size > 1024 else size - 16
    # freed small chunks wait in the thread's cache, which the bins' figures leave out
    for size in range(16, TCACHE_LARGEST + 1, 16):
        for _ in range(TCACHE_COUNT):
            if not malloc(size - 8):
                break
            taken += 1
    return taken, free_outside_top(libc)
