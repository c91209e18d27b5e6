from typing import Any

import numpy as np
from numpy.typing import ArrayLike

def pairwise_distances(
    X: ArrayLike, Y: ArrayLike | None = None, metric: str = "euclidean", *, n_jobs: int | None = None, **kwds: Any
) -> np.ndarray: ...
