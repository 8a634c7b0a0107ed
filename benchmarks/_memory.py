"""Resident memory of this process (Linux), in a module that imports nothing heavy: the Word2Vec rows'
fresh processes read it without loading Keras."""

from __future__ import annotations

import resource


def resident_mb() -> float:
    """This process's resident memory now (Linux), in MB."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_resident_mb() -> float:
    """This process's peak resident memory (Linux's VmHWM), in MB. Not `getrusage`'s `ru_maxrss`: Linux
    carries that over `exec` from the parent, so a child of a large process would report the parent's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("/proc/self/status has no VmHWM line")
