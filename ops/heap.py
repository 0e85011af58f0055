"""The master's free heap taken before the fork, so a worker's allocations land in pages of
its own (issue 8, memory).

A worker forked from a preloading master shares the master's pages until it writes to one.
The master's C heap (glibc's malloc: a dict's table, a list's items, a code object, a
SQLite or OpenSSL buffer) is full of free chunks left by start-up and the warm-up — a few
megabytes in all, spread over thousands of pages that also hold live data. A
worker's malloc serves its requests from those chunks first, and each one it writes into
copies a whole 4 KiB page of the master: on the bench harness's paths about 5 MiB a worker
for a few hundred kilobytes of data. Taking every such chunk in the master before it
forks, and never giving them back, sends the workers' allocations to the end of the heap,
into fresh pages packed with their own data.

Measured on the harness's paths (`bench/README.md`, session 37): the master and four
workers 208.5 → 191.2 MiB PSS. The chunks kept (~6.6 MB after the warm-up on the
profiling database) were free memory the master held already: it holds no more.

A chunk is a hole when malloc hands out an address inside the main heap below its top
chunk (the heap's unused end) as it was at the start; anything else — carved from the
top, mapped on its own, from another arena — is given back and ends that size. The work is
bounded by the holes' size at the start, a count and a time. Only glibc's allocator on
the main thread is known here (`mallinfo2`, glibc 2.33 and later); elsewhere nothing is
done. Python's own small-object allocator has free blocks too, but they are few and packed
(filling them saved under 2 MiB), so they are left alone.
"""
import ctypes
import threading
import time

#: the most chunks taken, a bound on the work (the profiling database's master: ~2,800)
MAX_CHUNKS = 50_000
#: the longest the master spends on it before its first fork
MAX_SECONDS = 1.0
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
    """(mallinfo2, malloc, free, sbrk) bound with their types, or None where the C library
    has no mallinfo2 (not glibc, or older than 2.33)."""
    try:
        libc = libc if libc is not None else ctypes.CDLL(None)
        mallinfo2, malloc, free, sbrk = libc.mallinfo2, libc.malloc, libc.free, libc.sbrk
    except (OSError, AttributeError):
        return None
    mallinfo2.restype = _MallInfo2
    mallinfo2.argtypes = []
    malloc.restype = ctypes.c_void_p
    malloc.argtypes = [ctypes.c_size_t]
    free.restype = None
    free.argtypes = [ctypes.c_void_p]
    sbrk.restype = ctypes.c_void_p
    sbrk.argtypes = [ctypes.c_ssize_t]
    return mallinfo2, malloc, free, sbrk


def _main_heap() -> tuple[int, int] | None:
    """The [heap] mapping's (start, end), None when the process has none."""
    try:
        with open("/proc/self/maps") as maps:
            for line in maps:
                if line.rstrip().endswith("[heap]"):
                    start, end = line.split()[0].split("-")
                    return int(start, 16), int(end, 16)
    except OSError:
        return None
    return None


def free_outside_top(libc=None) -> int | None:
    """Bytes free in the heaps' holes (every free chunk of every arena but the main heap's
    top), None without glibc."""
    bound = _glibc(libc)
    if bound is None:
        return None
    info = bound[0]()
    return info.fordblks - info.keepcost


def take_free_chunks(libc=None) -> tuple[int, int]:
    """Allocate, and keep for the process's life, the free chunks inside the main heap:
    the largest first, each size until malloc answers from elsewhere than a hole, then the
    per-thread cache of small ones. Returns (chunks taken, bytes taken); (0, 0) where the
    allocator is not glibc's, off the main thread, or without a heap."""
    bound = _glibc(libc)
    heap = _main_heap()
    if bound is None or heap is None or threading.current_thread() is not threading.main_thread():
        return 0, 0
    mallinfo2, malloc, free, sbrk = bound
    start = mallinfo2()
    holes = start.fordblks - start.keepcost
    top = sbrk(0) - start.keepcost  # where the main heap's top chunk began
    if not heap[0] <= top <= heap[1]:
        return 0, 0  # the main heap is not one contiguous brk heap: leave it alone
    deadline = time.monotonic() + MAX_SECONDS
    taken = taken_bytes = 0

    def take(size: int) -> bool:
        """One chunk of `size` if it is a hole, kept; False when it was not one."""
        nonlocal taken, taken_bytes
        pointer = malloc(size)
        if not pointer:
            return False
        if not heap[0] <= pointer < top:
            free(pointer)
            return False
        taken += 1
        taken_bytes += size
        return True

    def budget_left() -> bool:
        return taken < MAX_CHUNKS and taken_bytes < holes and time.monotonic() < deadline

    size = LARGEST
    while size >= 16 and budget_left():
        while budget_left() and take(size):
            pass
        size = size * 3 // 4 if size > 1024 else size - 16
    # freed small chunks wait in the thread's cache, which the bins' figures leave out
    for size in range(16, TCACHE_LARGEST + 1, 16):
        for _ in range(TCACHE_COUNT):
            if not (budget_left() and take(size - 8)):
                break
    return taken, taken_bytes
