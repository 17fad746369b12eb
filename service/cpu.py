"""How many CPU threads one Maillon process uses (settings.cpu_threads, MAILLON_CPU_THREADS).

Several processes share the cores (API workers, RQ workers, a CLI ingest): a torch or BLAS pool
per process sized to every core makes them fight. Two concurrent ingests on 2 cores took 80 s of
embedding each with the default pools, 28 s each with one thread per process.
"""
from __future__ import annotations

import os
import sys

_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def limit_threads(threads: int) -> None:
    """Apply to every pool already loaded; the environment covers the ones loaded later."""
    for var in _VARS:
        os.environ[var] = str(threads)
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
    if "numpy" in sys.modules:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)
