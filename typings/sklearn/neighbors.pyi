from typing import Any, Literal, overload

import numpy as np
from numpy.typing import ArrayLike
from typing_extensions import Self

class NearestNeighbors:
    def __init__(
        self,
        *,
        n_neighbors: int = 5,
        radius: float = 1.0,
        algorithm: str = "auto",
        leaf_size: int = 30,
        metric: str = "minkowski",
        p: float = 2,
        metric_params: dict[str, Any] | None = None,
        n_jobs: int | None = None,
    ) -> None: ...
    def fit(self, X: ArrayLike, y: None = None) -> Self: ...
    @overload
    def kneighbors(
        self, X: ArrayLike | None = None, n_neighbors: int | None = None, *, return_distance: Literal[False]
    ) -> np.ndarray: ...
    @overload
    def kneighbors(
        self, X: ArrayLike | None = None, n_neighbors: int | None = None, return_distance: Literal[True] = True
    ) -> tuple[np.ndarray, np.ndarray]: ...
