"""Single-threaded BLAS for the optimiser's small dense linear algebra.

On a small (2-4 core), shared machine multithreaded OpenBLAS makes a
100 x 100 QR or eigen-decomposition 10-60x slower than one thread; the
optimiser therefore runs its numerical work under a one-thread BLAS limit
(threadpoolctl, restored on exit).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from functools import lru_cache

__all__ = ["single_blas"]


@lru_cache(maxsize=1)
def _controller():  # noqa: ANN202 - threadpoolctl.ThreadpoolController
    # load scipy's BLAS before inspecting (numpy's is loaded already); scikit-learn adds
    # only an OpenMP runtime, which a ``user_api="blas"`` limit does not touch, so it is
    # not imported here (it costs ~1 s and only some risk models need it)
    import scipy.linalg  # noqa: F401
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def single_blas() -> AbstractContextManager:
    """Context limiting BLAS libraries to one thread (a no-op if threadpoolctl is unavailable)."""
    try:
        return _controller().limit(limits=1, user_api="blas")
    except Exception:  # noqa: BLE001 - never fail an optimisation over thread tuning
        return nullcontext()
