"""Interactive views built from ipywidgets alone, so they work in JupyterLab, Notebook 7 and VS Code.

* :class:`NeighbourExplorer` (notebook 05): query with an indexed emoji (type to search its name), a skin-tone
  variant the index never saw, or your own uploaded picture; choose k, the metric and the embedding; see the
  query as the model sees it, the autoencoder's reconstruction of it, and the neighbours with their distances.
  A neighbour's button makes it the next query.
* :func:`reconstruction_viewer` (notebook 03): a slider over the epochs, showing reconstructions as they sharpen.

The widgets only read from :mod:`tutorial_utils.search` and draw PNGs; all the logic is in plain methods
(:meth:`NeighbourExplorer.query_upload` and friends) that the unit tests call without a browser.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import torch
from PIL import Image
from torch import nn

from .data import ImageReadError, decode_pil, pil_to_float_tensor, rgb_square_pil, tensor_to_pil
from .embeddings import Embedder, pool_features
from .search import METRICS

if TYPE_CHECKING:  # annotations only
    from .search import Neighbours, SimilarityIndex

MAX_UPLOAD_BYTES = 50_000_000  # an upload bigger than this is refused before it is decoded


def short_name(name: str, width: int = 24) -> str:
    """``name`` cut at a word to at most ``width`` characters, with "…" when words were left out."""
    if len(name) <= width:
        return name
    head = name[: width - 1]
    cut = head.rsplit(" ", 1)[0] if " " in head else head
    return cut.rstrip(" ,:") + "…"


def png_bytes(image: Image.Image | torch.Tensor, scale: int = 1) -> bytes:
    """An RGB picture (PIL image, or a (3, H, W) tensor in [0, 1]) as PNG bytes, enlarged ``scale`` times."""
    if isinstance(image, torch.Tensor):
        image = tensor_to_pil(image)
    if scale != 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def read_upload(name: str, content: bytes) -> Image.Image:
    """Uploaded bytes -> a decoded PIL image; :class:`ImageReadError` naming the file when it is not an image."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise ImageReadError(name, "too large", f"{len(content):,} bytes, limit {MAX_UPLOAD_BYTES:,}")
    if not content:
        raise ImageReadError(name, "not an image", "the file is empty")
    return decode_pil(bytes(content), name)  # fully decoded, or ImageReadError


def read_variants(folder: str | Path) -> list[tuple[str, Path]]:
    """(label, path) of each skin-tone variant in ``folder``, from the ``labels.csv`` beside it when there is one."""
    folder = Path(folder)
    labels_csv = folder.parent / "labels.csv"
    if not labels_csv.is_file():
        return [(p.name, p) for p in sorted(folder.glob("*.png"))]
    with open(labels_csv, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return [
        (f"{r['name']}, {r['skin_tone']} ({r['file']})", folder / r["file"])
        for r in rows
        if (folder / r["file"]).is_file()
    ]


def pooled_searcher(searcher: SimilarityIndex, shape: tuple[int, int, int], pooling: str = "avg") -> SimilarityIndex:
    """The same index with every row pooled from a flattened (C, H, W) feature map, and an embedder to match.

    No image is read again: a flattened map holds everything the per-channel mean needs.
    """
    from dataclasses import replace

    from .search import SimilarityIndex

    rows = torch.from_numpy(np.array(searcher.index.embeddings, dtype=np.float32)).view(-1, *shape)  # a copy: the
    # index rows are a read-only memory map
    index = replace(searcher.index, embeddings=pool_features(rows, pooling).numpy())
    embedder = None
    if searcher.embedder is not None:
        embedder = Embedder(searcher.embedder.encoder, searcher.embedder.image_size, pooling, searcher.embedder.device)
    return SimilarityIndex(index, embedder, metric=searcher.metric)


@dataclass
class Query:
    """What the explorer searches with: a label for people, the picture, and its row when it is indexed."""

    label: str
    image: Image.Image | Path
    row: int | None = None


class NeighbourExplorer:
    """Pick a query (indexed emoji, skin-tone variant or upload), k, metric and embedding; see its neighbours.

    ``searchers`` maps an embedding's name to a cosine :class:`SimilarityIndex` with an embedder (the
    Euclidean twin of each is made when first asked for); ``decoders`` maps the name of an autoencoder's
    embedding to its decoder, to show the reconstruction. ``names`` label the index rows.
    """

    def __init__(
        self,
        searchers: Mapping[str, SimilarityIndex],
        names: Sequence[str],
        variants: str | Path | None = None,
        decoders: Mapping[str, nn.Module] | None = None,
        k: int = 6,
        max_k: int = 12,
    ) -> None:
        import ipywidgets as w

        if not searchers:
            raise ValueError("give at least one embedding (name -> SimilarityIndex)")
        self.searchers = {(name, s.metric): s for name, s in searchers.items()}
        self.names = list(names)
        self.decoders = dict(decoders or {})
        first = next(iter(searchers.values()))
        self.files = first.index.files
        self.paths = first.index.paths
        self.labels = [f"{name} ({file})" for name, file in zip(self.names, self.files, strict=True)]
        self.row_of = {label: row for row, label in enumerate(self.labels)}
        self.variant_paths = dict(read_variants(variants)) if variants is not None else {}
        self.query = Query(self.labels[0], self.paths[0], 0)
        self.results: Neighbours | None = None
        self.error = ""

        self.emoji = w.Combobox(
            options=sorted(self.labels),
            value=self.labels[0],
            ensure_option=True,
            placeholder="type a name, e.g. cat",
            description="emoji",
            layout=w.Layout(width="420px"),
        )
        self.variant = w.Dropdown(
            options=[("(none)", "")] + [(v, v) for v in self.variant_paths],
            value="",
            description="variant",
            layout=w.Layout(width="420px"),
        )
        self.upload = w.FileUpload(accept="image/*", multiple=False, description="your image")
        self.k = w.IntSlider(value=k, min=1, max=max_k, description="k")
        self.metric = w.ToggleButtons(options=list(METRICS), value="cosine", description="metric")
        self.embedding = w.Dropdown(options=list(searchers), value=next(iter(searchers)), description="embedding")
        self.message = w.HTML()
        self.query_caption = w.HTML()
        self.query_picture = w.Image(format="png", width=128, height=128)
        self.reconstruction = w.Image(format="png", width=128, height=128)
        self.neighbours = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        for widget, css in [
            (self.emoji, "explorer-emoji"),
            (self.variant, "explorer-variant"),
            (self.upload, "explorer-upload"),
            (self.k, "explorer-k"),
            (self.metric, "explorer-metric"),
            (self.embedding, "explorer-embedding"),
            (self.message, "explorer-message"),
            (self.query_picture, "explorer-query"),
            (self.reconstruction, "explorer-reconstruction"),
            (self.neighbours, "explorer-neighbours"),
        ]:
            widget.add_class(css)

        self.emoji.observe(
            lambda change: self.query_indexed(self.row_of[change.new]) if change.new in self.row_of else None,
            names="value",
        )
        self.variant.observe(lambda change: self.query_variant(change.new) if change.new else None, names="value")
        self.upload.observe(self._on_upload, names="value")
        for control in (self.k, self.metric, self.embedding):
            control.observe(lambda change: self.refresh(), names="value")

        gap = w.Layout(margin="0 32px 0 0")
        pictures = w.HBox(
            [
                w.VBox([w.HTML("<b>query, as the model sees it</b>"), self.query_picture], layout=gap),
                w.VBox([w.HTML("<b>its reconstruction</b>"), self.reconstruction]),
            ]
        )
        self.widget = w.VBox(
            [
                self.emoji,
                self.variant,
                self.upload,
                self.k,
                self.metric,
                self.embedding,
                self.message,
                self.query_caption,
                pictures,
                w.HTML("<b>nearest neighbours</b> (<i>search</i> makes one the next query)"),
                self.neighbours,
            ]
        )
        self.widget.add_class("neighbour-explorer")
        self.refresh()

    # -- queries: each sets the query and redraws; an unreadable one leaves everything as it was -----------------
    def query_indexed(self, row: int) -> None:
        """Search with indexed image ``row`` (it is left out of its own results)."""
        self._set(Query(self.labels[row], self.paths[row], row))

    def query_variant(self, label: str) -> None:
        """Search with a skin-tone variant from the query folder (never indexed)."""
        self._set(Query(f"variant: {label}", self.variant_paths[label]))

    def query_upload(self, name: str, content: bytes) -> None:
        """Search with uploaded bytes; a file that is not a readable image gives a message and changes nothing."""
        try:
            image = read_upload(name, content)
        except ImageReadError as err:
            self._fail(f"could not use {name}: {err.why}")
            return
        self._set(Query(f"upload: {name} ({image.width}×{image.height} {image.mode})", image))

    def _on_upload(self, change) -> None:
        files = change.new
        if not files:
            return
        self.query_upload(files[0]["name"], bytes(files[0]["content"]))  # ipywidgets 8: a tuple of dicts

    def _set(self, query: Query) -> None:
        previous = self.query
        self.query, self.error = query, ""
        try:
            self.refresh()
        except (ImageReadError, OSError, ValueError) as err:  # e.g. a variant file deleted since the listing
            self.query = previous
            self._fail(f"could not use {query.label}: {getattr(err, 'why', err)}")
            self.refresh()

    def _fail(self, text: str) -> None:
        self.error = text
        self.message.value = f"<span style='color:#b00020'>{html.escape(text)}</span>"

    # -- drawing ----------------------------------------------------------------------------------------------
    def searcher(self) -> SimilarityIndex:
        """The searcher for the chosen embedding and metric (the Euclidean one made on first use)."""
        from .search import SimilarityIndex

        embedding, metric = str(self.embedding.value), str(self.metric.value)
        if (embedding, metric) not in self.searchers:
            cosine = self.searchers[(embedding, "cosine")]
            self.searchers[(embedding, metric)] = SimilarityIndex(cosine.index, cosine.embedder, metric=metric)
        return self.searchers[(embedding, metric)]

    def search(self) -> Neighbours:
        """The k neighbours of the current query with the chosen embedding and metric."""
        searcher = self.searcher()
        if self.query.row is not None:
            return searcher.search_indexed(self.query.row, k=self.k.value)[0]
        return searcher.search(self.query.image, k=self.k.value, exclude_self=False)[0]

    def refresh(self) -> None:
        """Search again and redraw the query, its reconstruction and the neighbours."""
        import ipywidgets as w

        embedder = cast(Embedder, self.searcher().embedder)  # every searcher of the explorer has one
        results = self.search()
        size = embedder.image_size
        seen = rgb_square_pil(self.query.image, size)
        self.query_picture.value = png_bytes(seen, scale=2)
        decoder = self.decoders.get(str(self.embedding.value))
        if decoder is not None:
            from .training import reconstruct

            self.reconstruction.value = png_bytes(
                reconstruct(embedder.encoder, decoder, pil_to_float_tensor(seen)[None])[0], scale=2
            )
        else:
            self.reconstruction.value = png_bytes(Image.new("RGB", (size, size), (235, 235, 235)), scale=2)
        self.query_caption.value = f"query: <b>{html.escape(self.query.label)}</b>"
        if not self.error:
            self.message.value = ""
        cells = []
        for rank, (row, dist) in enumerate(zip(results.indices, results.distances, strict=True), start=1):
            picture = w.Image(value=png_bytes(rgb_square_pil(self.paths[row], size)), format="png", width=80, height=80)
            caption = w.HTML(f"<small>#{rank} d={dist:.3f}<br>{html.escape(short_name(self.names[row]))}</small>")
            button = w.Button(description="search", tooltip=self.labels[row], layout=w.Layout(width="90px"))
            button.on_click(lambda _, row=row: self._choose(row))
            cell = w.VBox([picture, caption, button], layout=w.Layout(width="100px", margin="4px"))
            cell.add_class("explorer-neighbour")
            cells.append(cell)
        self.neighbours.children = cells
        self.results = results

    def _choose(self, row: int) -> None:
        """A neighbour's button: it becomes the query (and the emoji box shows it)."""
        if self.emoji.value == self.labels[row]:
            self.query_indexed(row)
        else:
            self.emoji.value = self.labels[row]  # its observer searches

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


def reconstruction_viewer(snapshots: Mapping[str, torch.Tensor], scale: int = 2):
    """A slider over training snapshots: the originals on top, the reconstructions after the chosen epoch below.

    ``snapshots`` is ``{"original": images, "epoch 1": reconstructions, ...}`` with (N, 3, H, W) tensors.
    """
    import ipywidgets as w
    from torchvision.utils import make_grid

    epochs = [name for name in snapshots if name != "original"]
    if "original" not in snapshots or not epochs:
        raise ValueError("snapshots needs the 'original' images and at least one epoch")
    picture = w.Image(format="png")
    picture.add_class("reconstruction-picture")
    slider = w.SelectionSlider(
        options=epochs, value=epochs[0], description="after", continuous_update=True, layout=w.Layout(width="500px")
    )
    slider.add_class("reconstruction-slider")

    def show(name: str) -> None:
        grid = make_grid(
            torch.cat([snapshots["original"], snapshots[name]]),
            nrow=len(snapshots["original"]),
            padding=2,
            pad_value=1.0,
        )
        picture.value = png_bytes(grid, scale=scale)

    slider.observe(lambda change: show(change.new), names="value")
    show(epochs[0])
    box = w.VBox([slider, w.HTML("top: originals · bottom: reconstructions"), picture])
    box.add_class("reconstruction-viewer")
    return box
