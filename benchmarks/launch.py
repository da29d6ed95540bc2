"""Run a module or script as ``python -m`` / ``python script`` would, and record its peak memory at exit.

Usage: ``python launch.py PEAK_FILE -m MODULE ARGS...`` or ``python launch.py PEAK_FILE SCRIPT ARGS...``.

Why not ``ru_maxrss`` from ``wait4``: Linux carries the high-water mark of the memory a process had *before*
``exec`` into it, and a child forked from the (large) harness starts with the harness's size.  ``VmHWM`` in
``/proc/self/status`` belongs to the new address space only, so the process reads it itself on the way out.
"""

from __future__ import annotations

import atexit
import os
import runpy
import sys


def _record_peak(path: str) -> None:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    with open(path, "w", encoding="ascii") as out:
                        out.write(line.split()[1])
                    return
    except OSError:
        pass


def main() -> None:
    peak_file, target, *rest = sys.argv[1:]
    atexit.register(_record_peak, peak_file)
    if target == "-m":
        module, *args = rest
        sys.argv = [module, *args]
        sys.path[0] = os.getcwd()
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    else:
        sys.argv = [target, *rest]
        sys.path[0] = os.path.dirname(os.path.abspath(target))
        runpy.run_path(target, run_name="__main__")


if __name__ == "__main__":
    main()
