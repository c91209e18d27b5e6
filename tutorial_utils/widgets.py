"""An ipywidgets explorer: pick a query emoji and k, see its neighbours. Reads from search and plots only."""

from __future__ import annotations

from collections.abc import Sequence

from .plots import plot_neighbours
from .search import SimilarityIndex


def neighbour_explorer(searcher: SimilarityIndex, names: Sequence[str], k: int = 6):
    """A dropdown of indexed images (by name) and a k slider; shows the neighbours of the chosen image."""
    import ipywidgets as widgets
    from IPython.display import display

    options = sorted((f"{name} ({file})", row) for row, (name, file) in enumerate(zip(names, searcher.index.files)))
    query = widgets.Dropdown(options=options, value=options[0][1], description="query")
    k_slider = widgets.IntSlider(value=k, min=1, max=12, description="k")

    def show(row: int, k: int) -> None:
        (result,) = searcher.search_indexed(row, k=k)
        display(plot_neighbours(searcher.index.paths[row], result, query_title=names[row][:18]))

    return widgets.interactive(show, row=query, k=k_slider)
