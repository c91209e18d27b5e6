import numpy as np
from numpy.typing import ArrayLike

class TSNE:
    # the number of iterations is max_iter (scikit-learn 1.5 and later) or n_iter (before): map_2d passes the one
    # that the installed version has
    def __init__(
        self,
        n_components: int = 2,
        *,
        perplexity: float = 30.0,
        init: str = "pca",
        random_state: int | None = None,
        max_iter: int = ...,
        n_iter: int = ...,
    ) -> None: ...
    def fit_transform(self, X: ArrayLike, y: None = None) -> np.ndarray: ...
