"""One BLAS thread while feedlab models run: the same bits whatever the machine's cores.

NumPy hands a float64 vector dot product (``a @ b``) to its BLAS library, and OpenBLAS
splits one of more than ~10,000 elements over its threads, each summing a part: the sum's
last bits then depend on how many threads there are. The live metrics use such products
(the echo-chamber index's Pearson correlation, ``analysis/metrics/polarisation.py``), so
a run of more than 10,000 users gave different bits on machines with different core
counts, and ``feedlab run`` gave different bits from the same run in a sweep (whose
isolated run processes set ``OPENBLAS_NUM_THREADS=1`` before NumPy loads; the variable
set later by ``experiments/run.py`` has no effect on a BLAS already loaded). Idle BLAS
threads also spin after each call, and that CPU is charged to the phases that follow.

:func:`pin` limits every BLAS library loaded in the process to one thread (threadpoolctl,
the standard way to do it after loading); a model calls it when built. feedlab's own
parallelism is Numba's (``platform.threads``), which this does not touch.
"""

from __future__ import annotations

_pinned = False


def pin() -> None:
    """Limit the process's BLAS libraries to one thread (once per process)."""
    global _pinned
    if _pinned:
        return
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1, user_api="blas")
    _pinned = True
